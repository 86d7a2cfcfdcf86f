import Foundation

/// How a shape is filled: a base colour, an optional outline drawn inside its edge (flat cartoon style), a
/// cylinder-like shading amount (shaded "photo-like" style), an optional clothing pattern, opacity and edge
/// softness.
public struct Paint: Sendable {
    public var colour: Colour
    /// Outline colour, or nil for none.
    public var outline: Colour?
    /// Outline width in pixels.
    public var outlineWidth: Float
    /// 0 = flat; 0.3–0.5 darkens towards the shape's edge and lightens towards the upper left (light from there).
    public var shading: Float
    /// Half the shape's thickness in pixels, the depth at which shading reaches full light.
    public var thickness: Float
    public var pattern: Pattern?
    /// 0…1.
    public var opacity: Float
    /// Edge blur in pixels (1 = a crisp anti-aliased edge; larger = a soft shadow).
    public var softness: Float

    public init(_ colour: Colour, outline: Colour? = nil, outlineWidth: Float = 1, shading: Float = 0, thickness: Float = 4,
                pattern: Pattern? = nil, opacity: Float = 1, softness: Float = 1) {
        self.colour = colour; self.outline = outline; self.outlineWidth = outlineWidth; self.shading = shading
        self.thickness = thickness; self.pattern = pattern; self.opacity = opacity; self.softness = softness
    }
}

/// A clothing pattern laid in a local frame on the body: `origin` and unit `down` in pixels (the torso's axis),
/// `period` in pixels.
public struct Pattern: Sendable {
    public enum Kind: Sendable { case stripes, dots, twoTone }
    public var kind: Kind
    public var colour: Colour
    public var origin: Point2
    public var down: Point2
    public var period: Float

    public init(kind: Kind, colour: Colour, origin: Point2, down: Point2, period: Float) {
        self.kind = kind; self.colour = colour; self.origin = origin; self.down = down; self.period = period
    }

    /// How much of the pattern colour covers pixel `p` (0…1, anti-aliased over about one pixel).
    @inline(__always)
    func amount(at p: Point2) -> Float {
        let q = p - origin
        let v = q.dot(down)
        switch kind {
        case .stripes:
            // distance to the nearest stripe edge ≈ sin(phase)·period/2π
            let s = sinf(2 * Float.pi * v / period) * period / (2 * Float.pi)
            return clamp01(0.5 + s)
        case .dots:
            let u = q.dot(down.perpendicular)
            let fu = u / period - (u / period).rounded(.down) - 0.5
            let fv = v / period - (v / period).rounded(.down) - 0.5
            let d = (fu * fu + fv * fv).squareRoot() * period - period * 0.22
            return clamp01(0.5 - d)
        case .twoTone:
            return clamp01(0.5 + v - period)
        }
    }
}

