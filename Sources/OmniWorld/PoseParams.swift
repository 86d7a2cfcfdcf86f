/// A body pose as a few angles and offsets — what motions produce and blend — turned into COCO-18 joints by
/// `Skeleton.joints(_:proportions:)`. Angles in radians.
///
/// Arm `raise` is the upper arm's angle from hanging straight down, positive outward (π/2 = horizontal to the
/// side, π = straight up, negative = across the body); `bend` adds to it for the forearm. Leg `spread` is the
/// thigh's outward angle; `lift` (0…1) raises the knee towards the camera (foreshortening the thigh).
/// Index 0 of the arrays is the character's right side (the image's left when facing the camera), 1 its left.
public struct PoseParams: Sendable, Equatable {
    /// Whole-body offset in skeleton units (jumps, sway, bounce).
    public var offset: Point2 = .zero
    /// Torso roll about the hips.
    public var lean: Float = 0
    /// 0…1: knees bend and the hips drop (landing, dancing).
    public var crouch: Float = 0
    /// Shoulders raised, skeleton units.
    public var shrug: Float = 0
    /// −1…1 breathing phase (chest rises a little).
    public var breathe: Float = 0
    /// −1…1 body yaw: shoulders and hips narrow, the face turns (positive = towards the character's left).
    public var turn: Float = 0
    /// Head roll (tilt) relative to the torso.
    public var headRoll: Float = 0
    /// −1…1 head yaw added to `turn`.
    public var headYaw: Float = 0
    /// −1…1 head pitch (positive = looking down, as in a nod).
    public var headPitch: Float = 0
    public var armRaise: [Float] = [0.12, 0.12]
    public var armBend: [Float] = [-0.1, -0.1]
    public var legSpread: [Float] = [0.04, 0.04]
    public var legLift: [Float] = [0, 0]

    public init() {}

    /// The standing neutral pose (arms relaxed at the sides).
    public static let neutral = PoseParams()

    /// `a` moved towards `b` by `t` (every field interpolated linearly).
    public static func blend(_ a: PoseParams, _ b: PoseParams, _ t: Float) -> PoseParams {
        if t <= 0 { return a }
        if t >= 1 { return b }
        var r = PoseParams()
        r.offset = a.offset + (b.offset - a.offset) * t
        r.lean = lerp(a.lean, b.lean, t); r.crouch = lerp(a.crouch, b.crouch, t); r.shrug = lerp(a.shrug, b.shrug, t)
        r.breathe = lerp(a.breathe, b.breathe, t); r.turn = lerp(a.turn, b.turn, t)
        r.headRoll = lerp(a.headRoll, b.headRoll, t); r.headYaw = lerp(a.headYaw, b.headYaw, t)
        r.headPitch = lerp(a.headPitch, b.headPitch, t)
        for s in 0..<2 {
            r.armRaise[s] = lerp(a.armRaise[s], b.armRaise[s], t); r.armBend[s] = lerp(a.armBend[s], b.armBend[s], t)
            r.legSpread[s] = lerp(a.legSpread[s], b.legSpread[s], t); r.legLift[s] = lerp(a.legLift[s], b.legLift[s], t)
        }
        return r
    }
}
