import Foundation

/// The scene behind a character. Positions that belong to the world (the room's floor line, noise features) are
/// given in skeleton units and follow the camera, so a jittering camera moves the background with the character.
public struct Background: Sendable, Codable, Equatable {
    public enum Kind: String, Sendable, Codable, CaseIterable {
        /// One colour.
        case solid
        /// Top colour → bottom colour.
        case gradient
        /// Soft vertical stripes of the two colours.
        case stripes
        /// A wall (first colour) above a floor (second colour) with a skirting line, the floor at the feet.
        case room
        /// Smooth two-octave value noise between the two colours.
        case noise
    }

    public var kind: Kind
    public var primary: Colour
    public var secondary: Colour
    /// Seed of the noise lattice (kind `.noise`).
    public var noiseSeed: UInt64
    /// Stripe period in skeleton units (kind `.stripes`).
    public var stripePeriod: Float

    public init(kind: Kind, primary: Colour, secondary: Colour, noiseSeed: UInt64 = 0, stripePeriod: Float = 0.12) {
        self.kind = kind; self.primary = primary; self.secondary = secondary
        self.noiseSeed = noiseSeed; self.stripePeriod = stripePeriod
    }

    /// Fills `canvas` with this background as seen through `camera`; `floorY` is the floor line in skeleton units
    /// (where the shoes stand).
    public func render(into canvas: inout Canvas, camera: Camera, floorY: Float) {
        let w = canvas.width, h = canvas.height
        switch kind {
        case .solid:
            for y in 0..<h { for x in 0..<w { canvas.set(x, y, primary) } }
        case .gradient:
            let top = camera.toPixels(Point2(0, -0.4)).y, bottom = camera.toPixels(Point2(0, 0.8)).y
            for y in 0..<h {
                let c = primary.mixed(with: secondary, smoothstep(top, bottom, Float(y)))
                for x in 0..<w { canvas.set(x, y, c) }
            }
        case .stripes:
            let period = max(2, stripePeriod * camera.scale)
            let x0 = camera.toPixels(.zero).x
            for x in 0..<w {
                let s = sinf(2 * Float.pi * (Float(x) - x0) / period) * period / (2 * Float.pi)
                let c = primary.mixed(with: secondary, clamp01(0.5 + s) * 0.8)
                for y in 0..<h { canvas.set(x, y, c) }
            }
        case .room:
            let floor = camera.toPixels(Point2(0, floorY - 0.05)).y
            let skirting = max(1, 0.02 * camera.scale)
            let trim = primary.shaded(0.35)
            let far = camera.toPixels(Point2(0, floorY + 0.35)).y
            for y in 0..<h {
                let fy = Float(y)
                let wallShade = 1 - 0.12 * clamp01((fy - floor + 0.4 * camera.scale) / (0.4 * camera.scale))
                var c = primary.scaled(wallShade)
                c = c.mixed(with: trim, clamp01(0.5 - abs(fy - (floor - skirting / 2)) + skirting / 2))
                let onFloor = clamp01(fy - floor + 0.5)
                let floorColour = secondary.scaled(0.9 + 0.1 * smoothstep(floor, far, fy))
                c = c.mixed(with: floorColour, onFloor)
                for x in 0..<w { canvas.set(x, y, c) }
            }
        case .noise:
            let noise = ValueNoise(seed: noiseSeed)
            let origin = camera.toPixels(.zero)
            let cell = max(2, 0.25 * camera.scale)
            for y in 0..<h {
                for x in 0..<w {
                    let u = (Float(x) - origin.x) / cell + 64, v = (Float(y) - origin.y) / cell + 64
                    let n = 0.65 * noise.value(u, v) + 0.35 * noise.value(u * 2.3 + 5.1, v * 2.3 + 1.7)
                    canvas.set(x, y, primary.mixed(with: secondary, smoothstep(0.2, 0.8, n)))
                }
            }
        }
    }
}
