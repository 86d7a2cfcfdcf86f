/// The ground truth of a clip as written to `truth.json`: tracks per frame, motions, audio and the full spec
/// (character parameters included), enough to regenerate the clip.
public struct ClipTruth: Codable, Sendable {
    public var caption: String
    public var fps: Int
    public var width: Int
    public var height: Int
    public var frameCount: Int
    public var framing: Framing
    public var style: CharacterStyle
    public var audioKind: AudioSpec.Kind
    /// Mouth openness 0…1 per frame.
    public var mouth: [Float]
    /// Speech energy 0…1 per frame.
    public var energy: [Float]
    /// Blink 0…1 per frame.
    public var blink: [Float]
    /// Motion name per frame.
    public var motionPerFrame: [MotionKind]
    /// The motions in order with their start times (seconds).
    public var motions: [MotionSegment]
    /// Beat times, seconds (music).
    public var beats: [Double]
    public var spec: ClipSpec

    public init(clip: Clip) {
        caption = clip.caption; fps = clip.spec.fps; width = clip.spec.size.width; height = clip.spec.size.height
        frameCount = clip.frames.count; framing = clip.spec.framing; style = clip.spec.character.style
        audioKind = clip.spec.audio.kind; mouth = clip.mouth; energy = clip.energy; blink = clip.blink
        motionPerFrame = clip.motionPerFrame; motions = clip.spec.timeline.segments; beats = clip.beats; spec = clip.spec
    }
}
