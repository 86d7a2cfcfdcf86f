import Foundation

/// A 2-D point or vector. Units depend on the space: skeleton units (see `Skeleton`) or pixels of a frame
/// (x to the right, y down, (0, 0) the centre of the top-left pixel).
public typealias Point2 = SIMD2<Float>

extension SIMD2 where Scalar == Float {
    @inline(__always) func dot(_ other: SIMD2<Float>) -> Float { x * other.x + y * other.y }
    @inline(__always) var length: Float { (x * x + y * y).squareRoot() }
    /// This vector scaled to length 1 (itself when it is zero).
    @inline(__always) var normalized: SIMD2<Float> { let l = length; return l > 1e-12 ? self / l : self }
    /// This vector turned 90° (x, y) → (−y, x).
    @inline(__always) var perpendicular: SIMD2<Float> { SIMD2(-y, x) }
    /// This vector rotated by `angle` radians (positive turns +x towards +y, i.e. clockwise on screen).
    @inline(__always) func rotated(_ angle: Float) -> SIMD2<Float> {
        let c = cosf(angle), s = sinf(angle)
        return SIMD2(c * x - s * y, s * x + c * y)
    }
}

@inline(__always) func clamp01(_ v: Float) -> Float { min(1, max(0, v)) }
@inline(__always) func lerp(_ a: Float, _ b: Float, _ t: Float) -> Float { a + (b - a) * t }
@inline(__always) func smoothstep(_ e0: Float, _ e1: Float, _ x: Float) -> Float {
    let t = clamp01((x - e0) / (e1 - e0))
    return t * t * (3 - 2 * t)
}
