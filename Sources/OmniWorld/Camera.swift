import Foundation
import OmniTensor

/// The map from skeleton space (units, y down) to frame pixels: `pixel = centre + scale · (point − focus)`.
public struct Camera: Sendable, Equatable {
    /// Pixels per skeleton unit.
    public var scale: Float
    /// The skeleton point (units) shown at `centre`.
    public var focus: Point2
    /// Pixels.
    public var centre: Point2

    public init(scale: Float, focus: Point2, centre: Point2) {
        self.scale = scale; self.focus = focus; self.centre = centre
    }

    @inline(__always)
    public func toPixels(_ p: Point2) -> Point2 { centre + (p - focus) * scale }

    /// The camera that fits `framing`'s window of `character` into a `size` frame (the window's height fills the
    /// frame's height, or its width-limited share for narrow frames), moved and zoomed by `jitter` at `time`.
    public static func framing(_ framing: Framing, character: Character, size: FrameSize,
                               jitter: CameraJitter = .none, time: Double = 0) -> Camera {
        let window = framing.window(for: character)
        let windowHeight = window.bottom - window.top
        // Needed width: the body with raised arms spans about 0.62 of its height; the head-and-shoulders window less.
        let windowWidth: Float = framing == .head ? 0.46 : (framing == .half ? 0.62 : 0.64)
        let base = min(Float(size.height) / windowHeight, Float(size.width) / windowWidth)
        let drift = jitter.drift(at: time)
        let scale = base * jitter.zoom * (1 + drift.zoom)
        let focus = Point2(0, (window.top + window.bottom) / 2)
        let centre = Point2(Float(size.width) / 2 - 0.5, Float(size.height) / 2 - 0.5)
            + jitter.offset * Float(min(size.width, size.height)) + drift.offset
        return Camera(scale: scale, focus: focus, centre: centre)
    }
}

/// A per-clip camera placement plus a slow hand-held drift: `offset` (fractions of the frame's short side), `zoom`
/// (scale factor), and a drift of `driftPixels` pixels and `driftZoom` at frequencies `driftHz` (Hz).
public struct CameraJitter: Sendable, Codable, Equatable {
    public var offset: Point2
    public var zoom: Float
    public var driftPixels: Float
    public var driftZoom: Float
    public var driftHz: [Float]
    public var phases: [Float]

    public init(offset: Point2, zoom: Float, driftPixels: Float, driftZoom: Float, driftHz: [Float], phases: [Float]) {
        precondition(driftHz.count == 3 && phases.count == 3, "a camera drift has three frequencies and phases")
        self.offset = offset; self.zoom = zoom; self.driftPixels = driftPixels; self.driftZoom = driftZoom
        self.driftHz = driftHz; self.phases = phases
    }

    /// No offset, no zoom, no drift.
    public static let none = CameraJitter(offset: .zero, zoom: 1, driftPixels: 0, driftZoom: 0, driftHz: [0, 0, 0], phases: [0, 0, 0])

    /// A slight random placement: offsets up to ±`amount` of the short side, zoom ±1.5·`amount`, drift ≤ 0.6 px.
    public static func random(_ rng: inout RandomStream, amount: Float = 0.04) -> CameraJitter {
        CameraJitter(offset: Point2(rng.uniform(-amount, amount), rng.uniform(-amount, amount)),
                     zoom: 1 + rng.uniform(-1.5 * amount, 1.5 * amount),
                     driftPixels: rng.uniform(0.1, 0.6), driftZoom: rng.uniform(0, 0.012),
                     driftHz: [rng.uniform(0.08, 0.3), rng.uniform(0.08, 0.3), rng.uniform(0.05, 0.2)],
                     phases: [rng.uniform(0, 6.283), rng.uniform(0, 6.283), rng.uniform(0, 6.283)])
    }

    /// The drift at `time` seconds: an offset in pixels and a relative zoom.
    public func drift(at time: Double) -> (offset: Point2, zoom: Float) {
        let t = Float(time) * 2 * Float.pi
        return (Point2(driftPixels * sinf(driftHz[0] * t + phases[0]), driftPixels * sinf(driftHz[1] * t + phases[1])),
                driftZoom * sinf(driftHz[2] * t + phases[2]))
    }
}
