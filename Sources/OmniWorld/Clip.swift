import Foundation
import OmniMedia

/// A rendered puppet clip with its ground truth.
public struct Clip: Sendable {
    public let spec: ClipSpec
    /// `spec.frameCount` frames of `spec.size`.
    public let frames: [RGBImage]
    /// 16 kHz mono, `spec.duration` seconds.
    public let audio: AudioClip
    /// COCO-18 joints in frame pixels at `spec.fps`; joints outside the frame are missing (OpenPose convention).
    public let pose: PoseTrack
    /// Mouth openness 0…1 per frame (leads the speech by ~40 ms).
    public let mouth: [Float]
    /// Speech energy 0…1 per frame (the envelope the voice was shaped with).
    public let energy: [Float]
    /// Blink 0…1 per frame.
    public let blink: [Float]
    /// The motion playing in each frame.
    public let motionPerFrame: [MotionKind]
    /// Beat times in seconds (music clips).
    public let beats: [Double]
    /// The same character in a neutral pose with another camera placement; never equal to a clip frame.
    public let reference: RGBImage
    /// The reference's pose in its pixels (every joint, even outside the frame).
    public let referencePose: PoseFrame

    public var caption: String { spec.caption }

    /// Renders `spec` (deterministic: the same spec gives the same bytes).
    public static func render(_ spec: ClipSpec) -> Clip {
        let plan = ClipPlan(spec)
        var frames: [RGBImage] = []
        frames.reserveCapacity(plan.frameCount)
        var poses: [PoseFrame] = []
        for f in 0..<plan.frameCount {
            let (image, pose) = plan.frame(f)
            frames.append(image)
            poses.append(pose.clipped(width: spec.size.width, height: spec.size.height))
        }
        var (reference, referencePose) = plan.reference()
        var nudge = 0
        while frames.contains(reference) && nudge < 8 {   // practically never: the camera already differs
            nudge += 1
            (reference, referencePose) = plan.reference(extraOffset: Point2(Float(nudge), 0))
        }
        return Clip(spec: spec, frames: frames, audio: plan.audio.clip,
                    pose: PoseTrack(fps: Double(spec.fps), width: spec.size.width, height: spec.size.height, frames: poses),
                    mouth: plan.mouth, energy: plan.energy, blink: plan.blink,
                    motionPerFrame: (0..<plan.frameCount).map { plan.motion(at: $0) }, beats: plan.audio.beats,
                    reference: reference, referencePose: referencePose)
    }
}

/// A clip's sound and poses without its pictures: what a DiT trainer reading cached latents still needs for a
/// window's audio and pose conditions (painting the frames is most of `Clip.render`). Its fields equal those of
/// `Clip.render` of the same spec.
public struct ClipTracks: Sendable {
    public let spec: ClipSpec
    public let audio: AudioClip
    /// The poses in frame pixels, joints outside the frame missing (as `Clip.pose`).
    public let pose: PoseTrack

    public static func render(_ spec: ClipSpec) -> ClipTracks {
        let plan = ClipPlan(spec)
        let poses = (0..<plan.frameCount).map { plan.pose($0).clipped(width: spec.size.width, height: spec.size.height) }
        return ClipTracks(spec: spec, audio: plan.audio.clip,
                          pose: PoseTrack(fps: Double(spec.fps), width: spec.size.width, height: spec.size.height, frames: poses))
    }
}

/// The per-clip state shared by every frame: audio, tracks, renderer. Renders single frames on demand (the contact
/// sheet needs only one or two).
struct ClipPlan {
    let spec: ClipSpec
    let audio: SynthesizedAudio
    let context: MotionContext
    let mouth: [Float]
    let energy: [Float]
    let blink: [Float]
    let renderer: PuppetRenderer
    let floorY: Float
    var frameCount: Int { spec.frameCount }

    init(_ spec: ClipSpec) {
        self.spec = spec
        audio = spec.audio.synthesize(duration: spec.duration)
        let fps = Double(spec.fps)
        context = MotionContext(envelope: audio.envelope, envelopeRate: SynthesizedAudio.envelopeRate,
                                bpm: spec.audio.bpm, beatOffset: spec.audio.beatOffset)
        mouth = MouthTrack.mouth(envelope: audio.envelope, frameCount: spec.frameCount, fps: fps)
        energy = MouthTrack.energy(envelope: audio.envelope, frameCount: spec.frameCount, fps: fps)
        blink = (0..<spec.frameCount).map { f in
            let t = (Double(f) + 0.5) / fps
            return spec.blinks.reduce(Float(0)) { max($0, Float(max(0, 1 - abs(t - $1) / 0.09))) }
        }
        renderer = PuppetRenderer(character: spec.character)
        floorY = spec.character.standingExtent.feet
    }

    func motion(at frame: Int) -> MotionKind {
        spec.timeline.segments[spec.timeline.segmentIndex(at: Double(frame) / Double(spec.fps))].motion.kind
    }

    /// Frame `f` and its full pose (every joint present, in pixels).
    func frame(_ f: Int) -> (RGBImage, PoseFrame) {
        let (params, camera) = placement(f)
        let face = FaceState(mouthOpen: mouth[f], mouthWidth: 1, blink: blink[f], browRaise: min(1, energy[f] * 0.8))
        return draw(params, camera: camera, face: face)
    }

    /// The reference picture: neutral standing pose with arms a little out, eyes open, mouth closed, the reference
    /// camera placement (shifted by `extraOffset` pixels).
    func reference(extraOffset: Point2 = .zero) -> (RGBImage, PoseFrame) {
        var params = PoseParams.neutral
        params.armRaise = [spec.referenceArms, spec.referenceArms]
        var camera = Camera.framing(spec.framing, character: spec.character, size: spec.size, jitter: spec.referenceJitter)
        camera.centre += extraOffset
        return draw(params, camera: camera, face: .neutral)
    }

    /// Frame `f`'s full pose without drawing the frame (what `frame(f)` returns beside its picture).
    func pose(_ f: Int) -> PoseFrame {
        let (params, camera) = placement(f)
        return pose(params, camera: camera)
    }

    /// Frame `f`'s body parameters and camera.
    private func placement(_ f: Int) -> (PoseParams, Camera) {
        let t = Double(f) / Double(spec.fps)
        return (spec.timeline.params(at: t, context: context),
                Camera.framing(spec.framing, character: spec.character, size: spec.size, jitter: spec.jitter, time: t))
    }

    func pose(_ params: PoseParams, camera: Camera) -> PoseFrame {
        let joints = Skeleton.joints(params, proportions: spec.character.proportions)
        return PoseFrame(keypoints: joints.map { p in
            let q = camera.toPixels(p)
            return PoseKeypoint(x: q.x, y: q.y, confidence: 1)
        })
    }

    func draw(_ params: PoseParams, camera: Camera, face: FaceState) -> (RGBImage, PoseFrame) {
        let pose = pose(params, camera: camera)
        var canvas = Canvas(width: spec.size.width, height: spec.size.height)
        spec.background.render(into: &canvas, camera: camera, floorY: floorY)
        renderer.draw(pose: pose, face: face, scale: camera.scale, into: &canvas)
        return (canvas.image(), pose)
    }
}

extension PoseFrame {
    /// This pose with joints outside a `width × height` frame marked missing (OpenPose reports only what it sees).
    public func clipped(width: Int, height: Int) -> PoseFrame {
        PoseFrame(keypoints: keypoints.map { k in
            guard k.isPresent, k.x >= -0.5, k.y >= -0.5, k.x < Float(width) - 0.5, k.y < Float(height) - 0.5 else { return .missing }
            return k
        })
    }
}
