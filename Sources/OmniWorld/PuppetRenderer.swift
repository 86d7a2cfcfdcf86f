import Foundation
import OmniMedia

/// Draws a `Character` from a COCO-18 pose (joint positions in pixels) and a `FaceState`, anti-aliased, in the
/// character's style. Any pose track drives any character: limbs whose joints are missing are left out, and the
/// head is found from the ear joints (or the eyes, or above the neck).
///
/// Draw order, back to front: ground shadow, hair behind the body, legs and shoes, torso with its pattern, hips,
/// neck, ears, head, hair, face, hat and glasses, arms and hands.
public struct PuppetRenderer: Sendable {
    public let character: Character

    public init(character: Character) { self.character = character }

    /// A `size` image of the character over a plain `background` colour.
    public func render(pose: PoseFrame, face: FaceState = .neutral, scale: Float? = nil, size: FrameSize,
                       background: Colour = Colour(hex: 0xDDE6EE)) -> RGBImage {
        var canvas = Canvas(width: size.width, height: size.height, fill: background)
        draw(pose: pose, face: face, scale: scale, into: &canvas)
        return canvas.image()
    }

    /// Pixels per skeleton unit implied by a pose for this character's proportions: from the torso length, else
    /// the shoulder span, else the ear span; nil when none of them is present.
    public func estimatedScale(of pose: PoseFrame) -> Float? {
        let p = character.proportions
        func at(_ j: PoseJoint) -> Point2? { pose[j].isPresent ? Point2(pose[j].x, pose[j].y) : nil }
        if let n = at(.neck), let rh = at(.rightHip), let lh = at(.leftHip) {
            return ((rh + lh) / 2 - n).length / p.torsoLength
        }
        if let rs = at(.rightShoulder), let ls = at(.leftShoulder) { return (ls - rs).length / (2 * p.shoulderHalf) }
        if let re = at(.rightEar), let le = at(.leftEar) { return (le - re).length / (1.84 * p.headRadius) }
        return nil
    }

    /// Draws the character onto `canvas` (whose background is already there). `scale` is pixels per skeleton unit
    /// (limb thickness and head size); nil estimates it from the pose.
    public func draw(pose: PoseFrame, face: FaceState = .neutral, scale: Float? = nil, into canvas: inout Canvas) {
        guard !pose.isEmpty else { return }
        let s = max(1, scale ?? estimatedScale(of: pose) ?? 50)
        var scene = PuppetScene(character: character, pose: pose, face: face, scale: s)
        scene.draw(into: &canvas)
    }
}

/// One drawing of one character: the pixel joints, the paints of its style, and the parts in order.
struct PuppetScene {
    let c: Character
    let face: FaceState
    /// Pixels per skeleton unit.
    let s: Float
    var joints: [Point2?]
    let head: HeadFrame
    let outline: Colour?
    let outlineWidth: Float
    let shading: Float

    init(character: Character, pose: PoseFrame, face: FaceState, scale: Float) {
        c = character
        self.face = face
        s = scale
        joints = pose.keypoints.map { $0.isPresent ? Point2($0.x, $0.y) : nil }
        let photo = character.style == .photo
        outline = photo ? nil : Colour(hex: 0x2B2230)
        outlineWidth = max(0.55, scale * 0.009)
        shading = photo ? 0.42 : 0.06
        // Synthesize a missing neck and hips so a partial pose still draws a body.
        if joints[PoseJoint.neck.rawValue] == nil, let rs = joints[2], let ls = joints[5] { joints[1] = (rs + ls) / 2 }
        head = HeadFrame(joints: joints, proportions: character.proportions, scale: scale, extraTilt: face.headTilt)
        if face.headTilt != 0 {
            for j in [PoseJoint.nose, .rightEye, .leftEye, .rightEar, .leftEar] {
                if let p = joints[j.rawValue] { joints[j.rawValue] = head.centre + (p - head.centre).rotated(face.headTilt) }
            }
        }
    }

    func at(_ j: PoseJoint) -> Point2? { joints[j.rawValue] }

    /// The style's paint for a body part `thickness` pixels thick (half width).
    func paint(_ colour: Colour, thickness: Float, pattern: Pattern? = nil, outlined: Bool = true) -> Paint {
        Paint(colour, outline: outlined ? outline : nil, outlineWidth: outlineWidth, shading: shading,
              thickness: thickness, pattern: pattern)
    }

    mutating func draw(into canvas: inout Canvas) {
        drawGroundShadow(into: &canvas)
        drawHairBehind(into: &canvas)
        drawLegs(into: &canvas)
        drawTorso(into: &canvas)
        drawNeck(into: &canvas)
        drawHead(into: &canvas)
        drawArms(into: &canvas)
    }

    func drawGroundShadow(into canvas: inout Canvas) {
        guard let ra = at(.rightAnkle), let la = at(.leftAnkle) else { return }
        let centre = Point2((ra.x + la.x) / 2, max(ra.y, la.y) + 0.035 * s)
        let photo = c.style == .photo
        canvas.draw(.ellipse(centre, 0.2 * s, 0.035 * s, 0),
                    Paint(.black, opacity: photo ? 0.35 : 0.16, softness: photo ? 0.04 * s : 1))
    }

    func drawLegs(into canvas: inout Canvas) {
        let b = c.proportions.build
        let pants = c.bottomsColour
        let legs: [(PoseJoint, PoseJoint, PoseJoint, Float)] = [(.rightHip, .rightKnee, .rightAnkle, -1), (.leftHip, .leftKnee, .leftAnkle, 1)]
        for (hj, kj, aj, side) in legs {
            guard let hip = at(hj), let knee = at(kj) else { continue }
            let thighColour = c.bottoms == .skirt ? c.skin : pants
            let shinColour = c.bottoms == .trousers ? pants : c.skin
            if let ankle = at(aj) {
                canvas.draw(.capsule(knee, ankle, 0.036 * b * s, 0.03 * b * s), paint(shinColour, thickness: 0.033 * b * s))
            }
            canvas.draw(.capsule(hip, knee, 0.043 * b * s, 0.037 * b * s), paint(thighColour, thickness: 0.04 * b * s))
            if let ankle = at(aj) {
                let shoe = ankle + Point2(side * 0.012, 0.02) * s
                canvas.draw(.ellipse(shoe, 0.048 * s, 0.026 * s, 0), paint(c.shoes, thickness: 0.025 * s))
            }
        }
    }

    func drawTorso(into canvas: inout Canvas) {
        guard let neck = at(.neck) else { return }
        let p = c.proportions, b = p.build
        let rs = at(.rightShoulder) ?? neck + Point2(-p.shoulderHalf, 0.02) * s
        let ls = at(.leftShoulder) ?? neck + Point2(p.shoulderHalf, 0.02) * s
        let rh = at(.rightHip) ?? neck + Point2(-p.hipHalf, p.torsoLength) * s
        let lh = at(.leftHip) ?? neck + Point2(p.hipHalf, p.torsoLength) * s
        let hipMid = (rh + lh) / 2
        let down = (hipMid - neck).normalized
        let across = down.perpendicular * -1
        let rounding = 0.035 * b * s
        let flare = 0.018 * b * s
        let vertices = [rs + down * (0.012 * s), neck + down * (0.004 * s), ls + down * (0.012 * s),
                        lh + across * flare + down * (0.01 * s), rh - across * flare + down * (0.01 * s)]
        let pattern: Pattern?
        switch c.pattern {
        case .solid: pattern = nil
        case .stripes: pattern = Pattern(kind: .stripes, colour: c.shirtSecondary, origin: neck, down: down, period: max(2.2, 0.055 * s))
        case .dots: pattern = Pattern(kind: .dots, colour: c.shirtSecondary, origin: neck, down: down, period: max(3, 0.06 * s))
        case .twoTone: pattern = Pattern(kind: .twoTone, colour: c.shirtSecondary, origin: neck, down: down, period: 0.55 * (hipMid - neck).length)
        }
        let torsoWidth = (ls - rs).length / 2
        canvas.draw(.polygon(vertices, rounding), paint(c.shirt, thickness: max(torsoWidth, 1), pattern: pattern))

        // Hips: trousers/shorts seat, or a flared skirt.
        let waist = 0.05 * p.torso * s
        switch c.bottoms {
        case .trousers, .shorts:
            let seat = [rh - down * waist - across * flare, lh - down * waist + across * flare,
                        lh + across * flare * 0.8 + down * (0.03 * s), rh - across * flare * 0.8 + down * (0.03 * s)]
            canvas.draw(.polygon(seat, rounding * 0.8), paint(c.bottomsColour, thickness: torsoWidth))
        case .skirt:
            let hem = 0.13 * p.legs * s
            let seat = [rh - down * waist, lh - down * waist,
                        lh + across * (flare * 2.8) + down * hem, rh - across * (flare * 2.8) + down * hem]
            canvas.draw(.polygon(seat, rounding * 0.5), paint(c.bottomsColour, thickness: torsoWidth))
        }
    }

    func drawNeck(into canvas: inout Canvas) {
        guard let neck = at(.neck) else { return }
        let h = head
        let top = h.centre + h.down * (0.7 * h.radius)
        let w = 0.034 * c.proportions.build * s
        canvas.draw(.capsule(neck + h.down * (0.02 * s), top, w, w), paint(c.skin, thickness: w * 2.5))
        if c.style == .photo {
            canvas.draw(.ellipse(h.centre + h.down * (0.98 * h.radius), 0.36 * h.radius, 0.12 * h.radius, h.roll),
                        Paint(.black, opacity: 0.12, softness: max(1, 0.12 * h.radius)))
        }
        if c.accessories.contains(.scarf) {
            let a = neck - h.across * (0.075 * s) - h.down * (0.008 * s), b = neck + h.across * (0.075 * s) - h.down * (0.008 * s)
            let scarf = paint(c.accessoryColour, thickness: 0.025 * s)
            canvas.draw(.capsule(b - h.across * (0.02 * s), b + h.down * (0.1 * s), 0.022 * s, 0.018 * s), scarf)
            canvas.draw(.capsule(a, b, 0.027 * s, 0.027 * s), scarf)
        }
        if c.accessories.contains(.bowTie) {
            let k = neck + h.down * (0.012 * s)
            let w = 0.045 * s, t = 0.024 * s
            let bow = paint(c.accessoryColour, thickness: 0.02 * s)
            canvas.draw(.polygon([k, k - h.across * w - h.down * t, k - h.across * w + h.down * t], 0.004 * s), bow)
            canvas.draw(.polygon([k, k + h.across * w - h.down * t, k + h.across * w + h.down * t], 0.004 * s), bow)
            canvas.draw(.circle(k, 0.012 * s), bow)
        }
    }

    func drawArms(into canvas: inout Canvas) {
        let b = c.proportions.build
        let arms: [(PoseJoint, PoseJoint, PoseJoint)] = [(.rightShoulder, .rightElbow, .rightWrist), (.leftShoulder, .leftElbow, .leftWrist)]
        let handColour = c.style == .animal ? c.skin.shaded(-0.08) : c.skin
        for (sj, ej, wj) in arms {
            guard let shoulder = at(sj), let elbow = at(ej) else { continue }
            let upper0 = 0.034 * b * s, upper1 = 0.03 * b * s, fore1 = 0.025 * b * s
            if c.longSleeves {
                canvas.draw(.capsule(shoulder, elbow, upper0, upper1), paint(c.shirt, thickness: upper0))
            } else {
                canvas.draw(.capsule(shoulder, elbow, upper1 * 0.9, upper1 * 0.9), paint(c.skin, thickness: upper1))
                canvas.draw(.capsule(shoulder, shoulder + (elbow - shoulder) * 0.5, upper0, upper0 * 1.02), paint(c.shirt, thickness: upper0))
            }
            guard let wrist = at(wj) else { continue }
            canvas.draw(.capsule(elbow, wrist, upper1 * (c.longSleeves ? 1 : 0.9), fore1), paint(c.longSleeves ? c.shirt : c.skin, thickness: upper1))
            let dir = (wrist - elbow).normalized
            let hand = wrist + dir * (0.012 * s)
            canvas.draw(.ellipse(hand, 0.031 * b * s, 0.027 * b * s, atan2f(dir.y, dir.x)), paint(handColour, thickness: 0.028 * s))
        }
    }
}
