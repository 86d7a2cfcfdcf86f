import Foundation
import OmniMedia

/// Where a pose puts the head, in pixels: the inverse of `Skeleton`'s head layout. The ear joints give the roll and
/// the centre (ears sit 0.1 R below it), the nose's offset along the ear line gives the yaw; without ears the
/// eyes are used, without either the head sits above the neck.
struct HeadFrame {
    /// Pixels.
    let centre: Point2
    /// Pixels.
    let radius: Float
    /// Unit vector along the eye line, towards the character's left (image right when facing the camera).
    let across: Point2
    /// Unit vector from forehead to chin.
    let down: Point2
    /// Radians.
    let roll: Float
    /// −1…1.
    let yaw: Float

    init(joints: [Point2?], proportions: BodyProportions, scale: Float, extraTilt: Float) {
        let r = proportions.headRadius * scale
        radius = r
        let ears = (joints[PoseJoint.rightEar.rawValue], joints[PoseJoint.leftEar.rawValue])
        let eyes = (joints[PoseJoint.rightEye.rawValue], joints[PoseJoint.leftEye.rawValue])
        let nose = joints[PoseJoint.nose.rawValue]
        var across = Point2(1, 0)
        var centre: Point2
        var yaw: Float = 0
        if let re = ears.0, let le = ears.1, (le - re).length > 1e-3 {
            across = (le - re).normalized
            let mid = (re + le) / 2
            if let nose { yaw = max(-1, min(1, (nose - mid).dot(across) / (0.378 * r))) }
            centre = mid - across.perpendicular * (0.1 * r) - across * (yaw * 0.105 * r)
        } else if let re = eyes.0, let le = eyes.1, (le - re).length > 1e-3 {
            across = (le - re).normalized
            let mid = (re + le) / 2
            if let nose { yaw = max(-1, min(1, (nose - mid).dot(across) / (0.063 * r))) }
            centre = mid - across.perpendicular * (0.05 * r) - across * (yaw * 0.42 * r)
        } else if let neck = joints[PoseJoint.neck.rawValue] {
            centre = neck - Point2(0, (proportions.neckLength + proportions.headRadius) * scale)
        } else if let nose {
            centre = nose - Point2(0, 0.3 * r)
        } else {
            centre = Point2(-1000, -1000)
        }
        if extraTilt != 0 {
            across = across.rotated(extraTilt)
            if let neck = joints[PoseJoint.neck.rawValue] { centre = neck + (centre - neck).rotated(extraTilt) }
        }
        self.centre = centre
        self.across = across
        self.down = across.perpendicular
        self.roll = atan2f(across.y, across.x)
        self.yaw = yaw
    }

    /// The point (x, y) in head units (multiples of the radius; x along `across`, y along `down`) in pixels.
    @inline(__always)
    func local(_ x: Float, _ y: Float) -> Point2 { centre + across * (x * radius) + down * (y * radius) }

    /// A half plane for `Shape.clipped` that keeps the part of the head above the line y = `y` (head units),
    /// tilted by `slope` (y change per unit x).
    func above(_ y: Float, slope: Float = 0) -> (point: Point2, normal: Point2) {
        let n = (down - across * slope).normalized
        return (local(0, y), n)
    }
}
