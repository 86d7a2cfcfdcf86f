import Foundation
import OmniMedia

/// A float RGB drawing surface (`width × height` pixels, channels in [0, 1]) that shapes are painted onto with
/// anti-aliased coverage, then converted to an `RGBImage`.
public struct Canvas: Sendable {
    public let width: Int
    public let height: Int
    /// Interleaved R, G, B, row-major.
    public var values: [Float]

    public init(width: Int, height: Int, fill: Colour = .black) {
        self.width = width
        self.height = height
        values = [Float](repeating: 0, count: width * height * 3)
        for i in 0..<(width * height) { values[3 * i] = fill.r; values[3 * i + 1] = fill.g; values[3 * i + 2] = fill.b }
    }

    /// Sets pixel (x, y).
    @inline(__always)
    public mutating func set(_ x: Int, _ y: Int, _ c: Colour) {
        let i = (y * width + x) * 3
        values[i] = c.r; values[i + 1] = c.g; values[i + 2] = c.b
    }

    /// Paints `shape` with `paint`: every pixel whose centre is within reach of the shape is blended towards the
    /// paint's colour by its coverage.
    public mutating func draw(_ shape: Shape, _ paint: Paint) {
        let soft = max(1, paint.softness)
        let box = shape.bounds(margin: soft)
        let x0 = max(0, Int(box.minX.rounded(.down))), x1 = min(width - 1, Int(box.maxX.rounded(.up)))
        let y0 = max(0, Int(box.minY.rounded(.down))), y1 = min(height - 1, Int(box.maxY.rounded(.up)))
        guard x0 <= x1, y0 <= y1, paint.opacity > 0 else { return }
        let w = width
        values.withUnsafeMutableBufferPointer { buf in
            for y in y0...y1 {
                for x in x0...x1 {
                    let p = Point2(Float(x), Float(y))
                    let d = shape.distance(p)
                    let coverage = clamp01(0.5 - d / soft) * paint.opacity
                    if coverage <= 0 { continue }
                    var c = paint.colour
                    if let pattern = paint.pattern { c = c.mixed(with: pattern.colour, pattern.amount(at: p)) }
                    if paint.shading > 0 {
                        let depth = clamp01(-d / max(paint.thickness, 0.5))
                        let light = 1 - paint.shading * (1 - depth.squareRoot())
                        c = c.scaled(light)
                    }
                    if let outline = paint.outline {
                        c = c.mixed(with: outline, clamp01(0.5 + paint.outlineWidth + d))
                    }
                    let i = (y * w + x) * 3
                    buf[i] += (c.r - buf[i]) * coverage
                    buf[i + 1] += (c.g - buf[i + 1]) * coverage
                    buf[i + 2] += (c.b - buf[i + 2]) * coverage
                }
            }
        }
    }

    /// The canvas as 8-bit RGB (rounded, clamped).
    public func image() -> RGBImage {
        var bytes = [UInt8](repeating: 0, count: values.count)
        values.withUnsafeBufferPointer { v in
            for i in 0..<v.count { bytes[i] = UInt8(clamp01(v[i]) * 255 + 0.5) }
        }
        return RGBImage(width: width, height: height, pixels: bytes)
    }
}
