import Foundation

/// A 2-D shape given by its signed distance in pixels (negative inside), the primitive the puppet renderer paints
/// with. Coverage of a pixel is `clamp(0.5 − d, 0, 1)` at its centre, which anti-aliases every edge.
public enum Shape: Sendable {
    /// A disc: centre, radius (pixels).
    case circle(Point2, Float)
    /// An ellipse: centre, radii along its own axes, rotation (radians) of its x axis.
    case ellipse(Point2, Float, Float, Float)
    /// A segment a→b whose radius goes from ra at a to rb at b (a limb).
    case capsule(Point2, Point2, Float, Float)
    /// A convex or concave polygon (vertices in order), with its outline pushed out by `rounding` pixels.
    case polygon([Point2], Float)
    /// The first shape cut by a half plane: points p with `dot(p − point, normal) ≤ 0` are kept (`normal` unit).
    indirect case clipped(Shape, point: Point2, normal: Point2)
    /// The outline of a shape, `width` pixels thick, centred on its edge.
    indirect case ring(Shape, Float)

    /// Signed distance (pixels) from `p` to the shape's edge; negative inside.
    @inline(__always)
    public func distance(_ p: Point2) -> Float {
        switch self {
        case .circle(let c, let r):
            return (p - c).length - r
        case .ellipse(let c, let rx, let ry, let angle):
            let q = (p - c).rotated(-angle)
            let k = (q / Point2(rx, ry)).length
            return (k - 1) * min(rx, ry)
        case .capsule(let a, let b, let ra, let rb):
            let ba = b - a, pa = p - a
            let len2 = ba.dot(ba)
            let t = len2 > 1e-9 ? clamp01(pa.dot(ba) / len2) : 0
            return (pa - ba * t).length - (ra + (rb - ra) * t)
        case .polygon(let v, let rounding):
            return Shape.polygonDistance(v, p) - rounding
        case .clipped(let shape, let point, let normal):
            return max(shape.distance(p), (p - point).dot(normal))
        case .ring(let shape, let width):
            return abs(shape.distance(p)) - width / 2
        }
    }

    /// A box (pixels, inclusive) that holds every point with distance < `margin`.
    public func bounds(margin: Float) -> (minX: Float, minY: Float, maxX: Float, maxY: Float) {
        switch self {
        case .circle(let c, let r):
            return (c.x - r - margin, c.y - r - margin, c.x + r + margin, c.y + r + margin)
        case .ellipse(let c, let rx, let ry, _):
            let r = max(rx, ry) + margin
            return (c.x - r, c.y - r, c.x + r, c.y + r)
        case .capsule(let a, let b, let ra, let rb):
            let r = max(ra, rb) + margin
            return (min(a.x, b.x) - r, min(a.y, b.y) - r, max(a.x, b.x) + r, max(a.y, b.y) + r)
        case .polygon(let v, let rounding):
            let r = rounding + margin
            var box = (minX: Float.infinity, minY: Float.infinity, maxX: -Float.infinity, maxY: -Float.infinity)
            for p in v { box = (min(box.minX, p.x), min(box.minY, p.y), max(box.maxX, p.x), max(box.maxY, p.y)) }
            return (box.minX - r, box.minY - r, box.maxX + r, box.maxY + r)
        case .clipped(let shape, _, _):
            return shape.bounds(margin: margin)
        case .ring(let shape, let width):
            return shape.bounds(margin: margin + width)
        }
    }

    /// Exact signed distance to a polygon (Inigo Quilez's winding-number form).
    static func polygonDistance(_ v: [Point2], _ p: Point2) -> Float {
        var d = (p - v[0]).dot(p - v[0])
        var sign: Float = 1
        var j = v.count - 1
        for i in 0..<v.count {
            let e = v[j] - v[i], w = p - v[i]
            let b = w - e * clamp01(w.dot(e) / max(e.dot(e), 1e-12))
            d = min(d, b.dot(b))
            let c1 = p.y >= v[i].y, c2 = p.y < v[j].y, c3 = e.x * w.y > e.y * w.x
            if (c1 && c2 && c3) || (!c1 && !c2 && !c3) { sign = -sign }
            j = i
        }
        return sign * d.squareRoot()
    }
}
