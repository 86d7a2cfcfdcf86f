import OmniTensor

/// Everything that defines one puppet clip; `Clip.render(_:)` turns it into frames, audio and ground truth, the
/// same bytes for the same spec. `random(seed:…)` draws a whole scenario (character, motions that suit the audio,
/// framing, background, camera, caption) from one seed.
public struct ClipSpec: Sendable, Codable, Equatable {
    public var seed: UInt64
    public var character: Character
    public var framing: Framing
    public var size: FrameSize
    /// Frames per second.
    public var fps: Int
    /// Seconds; the clip has `round(duration · fps)` frames.
    public var duration: Double
    public var background: Background
    public var jitter: CameraJitter
    /// The reference image's camera placement (differs from the clip's).
    public var referenceJitter: CameraJitter
    /// The reference image's arm pose: the upper arms' outward angle in radians.
    public var referenceArms: Float
    public var timeline: MotionTimeline
    public var audio: AudioSpec
    /// Seconds at which the eyes blink.
    public var blinks: [Double]
    public var caption: String

    /// Frames in the clip: `round(duration · fps)`.
    public var frameCount: Int { Int((duration * Double(fps)).rounded()) }

    public init(seed: UInt64, character: Character, framing: Framing, size: FrameSize, fps: Int, duration: Double,
                background: Background, jitter: CameraJitter, referenceJitter: CameraJitter, referenceArms: Float,
                timeline: MotionTimeline, audio: AudioSpec, blinks: [Double], caption: String) {
        precondition(fps > 0 && duration > 0, "a clip needs a positive frame rate and duration")
        self.seed = seed; self.character = character; self.framing = framing; self.size = size; self.fps = fps
        self.duration = duration; self.background = background; self.jitter = jitter; self.referenceJitter = referenceJitter
        self.referenceArms = referenceArms; self.timeline = timeline; self.audio = audio; self.blinks = blinks; self.caption = caption
    }

    /// The three kinds of scenario a random clip plays.
    enum Scenario: CaseIterable { case talking, music, action }

    /// A random clip, a pure function of its arguments. `style` / `framing` nil = any. With `realSpeech`, talking
    /// clips use espeak-ng for half of the seeds where it is installed (making the audio depend on the machine).
    /// With `alignedReference` the reference picture is taken with the clip's own camera placement (offset and zoom,
    /// no drift) instead of one of its own — as in a video that starts on the reference; every other draw is the same.
    public static func random(seed: UInt64, style: CharacterStyle? = nil, framing: Framing? = nil, size: FrameSize = .square,
                              duration: Double = 3, fps: Int = 25, realSpeech: Bool = false, alignedReference: Bool = false) -> ClipSpec {
        var rng = RandomStream(seed: seed, stream: 0xC11B).split("clip")
        let character = Character.random(seed: rng.nextUInt64(), style: style)
        let framing = framing ?? rng.pick([Framing.head, .half, .half, .full, .full])
        let scenario: Scenario = rng.chance(0.4) ? .talking : (rng.chance(0.4) ? .music : .action)

        // Audio.
        let voice = Voice.random(&rng)
        var audio = AudioSpec(kind: .silence, seed: rng.nextUInt64(), voice: voice)
        switch scenario {
        case .talking:
            audio.kind = .speech
            let sentence = rng.pick(EspeakSpeech.sentences)
            if realSpeech && EspeakSpeech.isAvailable && rng.chance(0.5) { audio.kind = .espeak; audio.sentence = sentence }
        case .music:
            audio.kind = .music
            audio.bpm = Double(rng.integer(in: 90...140))
            audio.beatOffset = rng.uniformDouble(0, 60 / audio.bpm)
        case .action:
            audio.kind = .silence
        }

        // Motions: one or two segments suited to the scenario and framing.
        var kinds: [MotionKind]
        switch scenario {
        case .talking:
            kinds = [.talk]
            if rng.chance(0.35) { kinds.append(rng.pick([MotionKind.nod, .tilt, .waveRight, .waveLeft])) }
        case .music:
            kinds = [.dance]
            if rng.chance(0.3) { kinds.append(rng.pick([MotionKind.clap, .raiseArms])) }
        case .action:
            let pool = MotionKind.allCases.filter { $0 != .talk && $0 != .dance && !(framing == .head && $0.needsLegs) }
            kinds = [rng.pick(pool)]
            if rng.chance(0.45) {
                let second = rng.pick(pool.filter { $0 != kinds[0] })
                kinds.append(second)
            }
        }
        var segments: [MotionSegment] = []
        for (i, kind) in kinds.enumerated() {
            let start = i == 0 ? 0 : duration * rng.uniformDouble(0.4, 0.6)
            segments.append(MotionSegment(motion: .random(kind, &rng), start: start))
        }
        let timeline = MotionTimeline(segments: segments)

        // Scene.
        let bgKind = rng.pick(Background.Kind.self)
        var first = rng.pick(Palette.backgrounds)
        let second = rng.pick(Palette.backgrounds)
        if character.style == .photo { first = first.mixed(with: Colour(0.5, 0.5, 0.5), 0.25) }
        let background = Background(kind: bgKind, primary: first, secondary: bgKind == .room ? second.shaded(0.25) : second,
                                    noiseSeed: rng.nextUInt64(), stripePeriod: rng.uniform(0.08, 0.18))
        let jitter = CameraJitter.random(&rng)
        var referenceJitter = CameraJitter.random(&rng)   // drawn either way, so the draws after it stay put
        if alignedReference { referenceJitter = jitter; referenceJitter.driftZoom = 0 }
        referenceJitter.driftPixels = 0
        let referenceArms = rng.uniform(0.2, 0.45)
        var blinks: [Double] = []
        var b = rng.uniformDouble(0.3, 2.0)
        while b < duration { blinks.append(b); b += rng.uniformDouble(1.8, 4.5) }

        let caption = Caption.make(character: character, timeline: timeline, framing: framing, audio: audio, rng: &rng)
        return ClipSpec(seed: seed, character: character, framing: framing, size: size, fps: fps, duration: duration,
                        background: background, jitter: jitter, referenceJitter: referenceJitter, referenceArms: referenceArms,
                        timeline: timeline, audio: audio, blinks: blinks, caption: caption)
    }
}
