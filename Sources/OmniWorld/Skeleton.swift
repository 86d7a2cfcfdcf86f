import Foundation
import OmniMedia

/// Forward kinematics of the puppet: `PoseParams` + `BodyProportions` → the 18 COCO-18 joints in skeleton units
/// (y down; the standing neck at (0, 0), the soles near y 0.69 for the standard body).
///
/// Head joints follow a fixed layout around the head centre H (radius R): eyes at H + (∓0.38R, 0.05R), nose at
/// H + (0, 0.3R), ears at H + (∓0.92R, 0.1R), each moved by yaw and pitch. `PuppetRenderer` inverts this layout
/// to find the head from any pose's ear (or eye) joints.
public enum Skeleton {
    /// Side signs: index 0 (the character's right) is drawn on the image's left.
    static let sides: [Float] = [-1, 1]

    /// The joints of `params` for a body of `proportions`, in skeleton units, indexed by `PoseJoint.rawValue`.
    public static func joints(_ params: PoseParams, proportions b: BodyProportions) -> [Point2] {
        var j = [Point2](repeating: .zero, count: 18)
        let width = cosf(params.turn * 0.9)
        let crouchDrop = params.crouch * 0.07
        let hipCentre = params.offset + Point2(0, b.torsoLength + crouchDrop)
        let up = Point2(0, -1).rotated(params.lean)
        let across = Point2(1, 0).rotated(params.lean)
        let neck = hipCentre + up * b.torsoLength
        j[PoseJoint.neck.rawValue] = neck

        // Arms: shoulders on the torso line, raised by a shrug and the breath.
        let shoulderLift = params.shrug + params.breathe * 0.004
        for s in 0..<2 {
            let side = sides[s]
            let shoulder = neck + across * (side * b.shoulderHalf * width) + up * (-0.02 + shoulderLift)
            let a = params.armRaise[s], f = a + params.armBend[s]
            let elbow = shoulder + Point2(side * sinf(a), cosf(a)).rotated(params.lean) * b.upperArm
            let wrist = elbow + Point2(side * sinf(f), cosf(f)).rotated(params.lean) * b.forearm
            let (sj, ej, wj): (PoseJoint, PoseJoint, PoseJoint) = s == 0 ? (.rightShoulder, .rightElbow, .rightWrist)
                                                                          : (.leftShoulder, .leftElbow, .leftWrist)
            j[sj.rawValue] = shoulder; j[ej.rawValue] = elbow; j[wj.rawValue] = wrist
        }

        // Legs: hips on the hip line; crouching pushes the knees outward while the feet stay down.
        for s in 0..<2 {
            let side = sides[s]
            let hip = hipCentre + across * (side * b.hipHalf * width)
            let spread = params.legSpread[s]
            let lift = clamp01(params.legLift[s])
            let straightKnee = hip + Point2(side * sinf(spread), cosf(spread)) * b.thigh
            var knee = hip + Point2(side * sinf(spread), cosf(spread) * cosf(lift * 1.25)) * b.thigh
            knee.x += side * params.crouch * 0.05
            var ankle = straightKnee + Point2(side * sinf(spread) * 0.5, 1).normalized * b.shin
            ankle.y -= crouchDrop
            if lift > 0 { ankle.y = min(ankle.y, knee.y + b.shin) }
            let (hj, kj, aj): (PoseJoint, PoseJoint, PoseJoint) = s == 0 ? (.rightHip, .rightKnee, .rightAnkle)
                                                                          : (.leftHip, .leftKnee, .leftAnkle)
            j[hj.rawValue] = hip; j[kj.rawValue] = knee; j[aj.rawValue] = ankle
        }

        // Head: centre above the neck, rolled with the torso and the head roll; features shifted by yaw and pitch.
        let r = b.headRadius
        let roll = params.lean + params.headRoll
        let headUp = Point2(0, -1).rotated(roll), headAcross = Point2(1, 0).rotated(roll)
        let h = neck + headUp * (b.neckLength + r)
        let yaw = max(-1, min(1, params.turn + params.headYaw))
        let pitch = max(-1, min(1, params.headPitch))
        let face = headAcross * (yaw * 0.42 * r) - headUp * (pitch * 0.25 * r)
        let squeeze = cosf(yaw * 0.9)
        func at(_ x: Float, _ y: Float) -> Point2 { h + headAcross * x - headUp * y }
        j[PoseJoint.nose.rawValue] = at(0, 0.3 * r) + face * 1.15
        j[PoseJoint.rightEye.rawValue] = at(-0.38 * r * squeeze, 0.05 * r) + face
        j[PoseJoint.leftEye.rawValue] = at(0.38 * r * squeeze, 0.05 * r) + face
        j[PoseJoint.rightEar.rawValue] = at(-0.92 * r * squeeze, 0.1 * r) + face * 0.25
        j[PoseJoint.leftEar.rawValue] = at(0.92 * r * squeeze, 0.1 * r) + face * 0.25
        return j
    }
}
