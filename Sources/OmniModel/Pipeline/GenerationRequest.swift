import Foundation
import OmniMedia

/// Everything one generation needs — the switchboard — and exactly the schema of `recipe.toml`. Optional
/// numbers mean "the model's default"; `resolved(for:)` fills them in, and the written recipe always holds the
/// resolved values, so it reproduces the run bit-for-bit.
///
/// Units: `fps` frames per second; `width`/`height` pixels (multiples of 8); `duration` seconds (nil: the
/// audio's length, else the pose clip's); guidance scales are CFG scales (1 = no guidance).
public struct GenerationRequest: Codable, Sendable, Equatable {
    /// The reference picture, and whether the video starts on it (`startsVideo`): the first segment then continues
    /// from the picture held for the motion frames — its first frames are the reference, and the model's motion-frame
    /// continuation carries the person's details into the frames after (docs/ARCHITECTURE.md §3.4).
    public struct ReferenceCondition: Codable, Sendable, Equatable {
        public var enabled: Bool
        public var path: String
        public var startsVideo: Bool
        public init(enabled: Bool = false, path: String = "", startsVideo: Bool = true) {
            self.enabled = enabled; self.path = path; self.startsVideo = startsVideo
        }
    }

    /// The pose condition: its file, the canvas the poses were taken on when the file does not say (pixels; nil:
    /// inferred from the joints, with a note), and whether the pose is retargeted onto the person in the reference
    /// (`PoseRetarget`: one scale and shift for the whole track).
    public struct PoseCondition: Codable, Sendable, Equatable {
        public var enabled: Bool
        public var path: String
        public var canvasWidth: Int?
        public var canvasHeight: Int?
        public var retarget: Bool
        public init(enabled: Bool = false, path: String = "", canvasWidth: Int? = nil, canvasHeight: Int? = nil, retarget: Bool = true) {
            self.enabled = enabled; self.path = path; self.canvasWidth = canvasWidth; self.canvasHeight = canvasHeight; self.retarget = retarget
        }
    }

    public struct AudioCondition: Codable, Sendable, Equatable {
        public var enabled: Bool
        public var path: String
        public var guidance: Double?
        public var guidanceEnd: Double?
        public var annealing: AnnealingCurve
        public init(enabled: Bool = false, path: String = "", guidance: Double? = nil, guidanceEnd: Double? = nil,
                    annealing: AnnealingCurve = .linear) {
            self.enabled = enabled; self.path = path; self.guidance = guidance; self.guidanceEnd = guidanceEnd; self.annealing = annealing
        }
    }

    public struct TextCondition: Codable, Sendable, Equatable {
        public var enabled: Bool
        public var prompt: String
        public var guidance: Double?
        public init(enabled: Bool = false, prompt: String = "", guidance: Double? = nil) {
            self.enabled = enabled; self.prompt = prompt; self.guidance = guidance
        }
    }

    public var model: String
    public var seed: UInt64
    public var steps: Int?
    public var shift: Double?
    public var sampler: SamplerKind
    /// Which of the model's step counts an unset `steps` takes (`SamplingSpeed`); nil: the model's
    /// `sampling.speed` (quality where it names none).
    public var speed: SamplingSpeed?
    /// Noise mixed into a continuation's motion latents, 0…1: the model sees (1 − s)·m + s·ε, not the previous
    /// segment's frames as they are, so it copies their blur and drift less (the first segment's held reference is
    /// left clean). nil: the model's `sampling.motion_noise` (0 where it names none).
    public var motionNoise: Double?
    public var fps: Int?
    public var width: Int?
    public var height: Int?
    public var duration: Double?
    public var fit: FitMode
    public var reference: ReferenceCondition
    public var audio: AudioCondition
    public var pose: PoseCondition
    public var text: TextCondition

    public init(model: String = GenerationRequest.defaultModel, seed: UInt64 = 0, steps: Int? = nil, shift: Double? = nil,
                sampler: SamplerKind = .euler, fps: Int? = nil, width: Int? = nil, height: Int? = nil, duration: Double? = nil,
                fit: FitMode = .crop, reference: ReferenceCondition = .init(), audio: AudioCondition = .init(),
                pose: PoseCondition = .init(), text: TextCondition = .init()) {
        self.model = model; self.seed = seed; self.steps = steps; self.shift = shift; self.sampler = sampler
        self.fps = fps; self.width = width; self.height = height; self.duration = duration; self.fit = fit
        self.reference = reference; self.audio = audio; self.pose = pose; self.text = text
    }

    /// The bundled model.
    public static let defaultModel = "Models/omni-mini"

    /// The allowed ranges of the settings — for requests and for the defaults a model's config.json gives them.
    public static let stepRange = 1...1000
    public static let fpsRange = 1...120
    public static let sideRange = 8...1024
    public static let maxShift = 100.0
    public static let guidanceRange = 0.0...30.0
    public static let maxDuration = 3600.0

    /// This request with every model default filled in.
    public func resolved(for config: ModelConfig) -> GenerationRequest {
        var r = self
        let speed = speed ?? config.sampling.speed ?? .quality
        r.speed = speed
        r.steps = steps ?? (speed == .fast ? config.sampling.fastSteps : nil) ?? config.sampling.steps
        r.shift = shift ?? config.sampling.shift
        r.motionNoise = motionNoise ?? config.sampling.motionNoise ?? 0
        r.fps = fps ?? config.video.fps
        r.width = width ?? config.video.sizes.first?[0] ?? 64
        r.height = height ?? config.video.sizes.first?[1] ?? 64
        r.audio.guidance = audio.guidance ?? config.sampling.audioGuidance
        r.audio.guidanceEnd = audio.guidanceEnd ?? r.audio.guidance ?? config.sampling.audioGuidanceEnd
        if audio.guidance == nil && audio.guidanceEnd == nil { r.audio.guidanceEnd = config.sampling.audioGuidanceEnd }
        r.text.guidance = text.guidance ?? config.sampling.textGuidance
        return r
    }

    /// Checks the settings that do not need the files; the error names the setting.
    public func validate() throws(ModelError) {
        func fail(_ key: String, _ reason: String) -> ModelError { .invalidRequest(setting: key, reason: reason) }
        let s = Self.self
        if let steps, !s.stepRange.contains(steps) { throw fail("steps", "must be \(s.stepRange.lowerBound)…\(s.stepRange.upperBound), got \(steps)") }
        if let shift, !(shift > 0 && shift <= s.maxShift) { throw fail("shift", "must be in (0, \(Int(s.maxShift))], got \(shift)") }
        if let motionNoise, !(0...1).contains(motionNoise) { throw fail("motion_noise", "must be within 0…1, got \(motionNoise)") }
        if let fps, !s.fpsRange.contains(fps) { throw fail("fps", "must be \(s.fpsRange.lowerBound)…\(s.fpsRange.upperBound), got \(fps)") }
        for (key, side) in [("width", width), ("height", height)] {
            if let side, !s.sideRange.contains(side) || side % 8 != 0 {
                throw fail(key, "must be a multiple of 8 in \(s.sideRange.lowerBound)…\(s.sideRange.upperBound), got \(side)")
            }
        }
        if let duration, !(duration > 0 && duration <= s.maxDuration) {
            throw fail("duration", "must be in (0, \(Int(s.maxDuration))] seconds, got \(duration)")
        }
        for (key, g) in [("audio.guidance", audio.guidance), ("audio.guidance_end", audio.guidanceEnd), ("text.guidance", text.guidance)] {
            if let g, !s.guidanceRange.contains(g) { throw fail(key, "must be in 0…30, got \(g)") }
        }
        if reference.enabled && reference.path.isEmpty { throw fail("reference.path", "the reference is on but no image is given") }
        if audio.enabled && audio.path.isEmpty { throw fail("audio.path", "audio is on but no audio file is given") }
        if pose.enabled && pose.path.isEmpty { throw fail("pose.path", "pose is on but no pose file is given") }
        if text.enabled && text.prompt.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty {
            throw fail("text.prompt", "text is on but the prompt is empty")
        }
        if !audio.enabled && !pose.enabled && duration == nil {
            throw fail("duration", "with neither audio nor pose driving the video, give a duration in seconds")
        }
    }
}
