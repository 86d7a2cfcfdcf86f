import OmniTensor

/// Body proportions as factors of the standard puppet (1 = standard). The standard body in skeleton units
/// (y down, the neck at (0, 0)): head radius 0.105, shoulders ±0.12, hips ±0.065 at y 0.30, upper arm 0.15,
/// forearm 0.13, thigh 0.18, shin 0.17 — about 0.94 units from the top of the head to the soles.
public struct BodyProportions: Sendable, Codable, Equatable {
    public var head: Float
    public var shoulders: Float
    public var hips: Float
    public var torso: Float
    public var arms: Float
    public var legs: Float
    /// Limb and torso thickness.
    public var build: Float

    public init(head: Float = 1, shoulders: Float = 1, hips: Float = 1, torso: Float = 1, arms: Float = 1, legs: Float = 1, build: Float = 1) {
        self.head = head; self.shoulders = shoulders; self.hips = hips; self.torso = torso
        self.arms = arms; self.legs = legs; self.build = build
    }

    public static let standard = BodyProportions()

    /// Random proportions within ±10–15 % of the standard (kids' heads larger).
    public static func random(_ rng: inout RandomStream) -> BodyProportions {
        let child = rng.chance(0.25)
        return BodyProportions(head: child ? rng.uniform(1.1, 1.22) : rng.uniform(0.9, 1.08),
                               shoulders: rng.uniform(0.88, 1.12), hips: rng.uniform(0.9, 1.15),
                               torso: child ? rng.uniform(0.85, 0.95) : rng.uniform(0.95, 1.08),
                               arms: rng.uniform(0.92, 1.06), legs: child ? rng.uniform(0.8, 0.9) : rng.uniform(0.95, 1.1),
                               build: rng.uniform(0.85, 1.2))
    }

    // Segment lengths and radii in skeleton units.
    var headRadius: Float { 0.105 * head }
    var neckLength: Float { 0.02 }
    var shoulderHalf: Float { 0.12 * shoulders }
    var hipHalf: Float { 0.065 * hips }
    var torsoLength: Float { 0.30 * torso }
    var upperArm: Float { 0.15 * arms }
    var forearm: Float { 0.13 * arms }
    var thigh: Float { 0.18 * legs }
    var shin: Float { 0.17 * legs }
}
