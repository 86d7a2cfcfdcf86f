/// The omni-conditions curriculum (docs/ARCHITECTURE.md §7.2): which conditions a DiT stage trains and how often each is kept.
/// A sample whose condition is dropped trains exactly the unconditional branch guidance uses later (no R tokens,
/// no X tokens, no A tokens, zero pose features). Defaults follow OmniHuman's reported ratios (reference 70 %,
/// text 90 %, audio 50 %, pose 50 %); stronger conditions get lower ratios.
public struct ConditionRatios: Codable, Sendable, Equatable {
    /// Fractions of samples, 0…1.
    public var reference: Double
    public var text: Double
    public var audio: Double
    public var pose: Double
    /// Fraction of samples given the window's first motion frames (continuations); the rest start from nothing.
    public var motion: Double
    /// Of the samples with motion frames and the reference, the fraction whose motion frames are the reference
    /// picture held still — what generation's `reference.starts_video` gives the first segment — instead of the
    /// window's own first frames. Absent in older runs: 0.
    public var referenceStart: Double
    /// The most noise mixed into given motion latents: each such sample takes (1 − s)·m + s·ε with s uniform in
    /// 0…this, so continuations learn not to copy their motion frames blindly (in generation those come from the
    /// model's own, blurrier frames). Absent in older runs: 0.
    public var motionNoise: Double
    /// Of the samples continuing from the window's own frames, the fraction whose motion latents are instead the
    /// model's own one-step estimate of them (x_τ − τ·v at τ in 0.3…0.7, no gradient): blurred and drifted the way
    /// generated motion frames are, so a continuation learns to restore the reference's details rather than copy
    /// what it is given. Absent in older runs: 0.
    public var selfMotion: Double
    /// Extra weight λ of the loss at the latent positions around the mouth (the eval's mouth box of the frames a
    /// latent frame covers, from the clip's head joints): they count 1 + λ, the rest 1. At 64×64 a mouth is one
    /// or two of 16×16 latent positions, so the plain loss barely sees lips move. Absent in older runs: 0.
    public var mouthWeight: Double

    public init(reference: Double = 0.7, text: Double = 0.9, audio: Double = 0.5, pose: Double = 0.5, motion: Double = 0.5,
                referenceStart: Double = 0, motionNoise: Double = 0, selfMotion: Double = 0, mouthWeight: Double = 0) {
        self.reference = reference; self.text = text; self.audio = audio; self.pose = pose; self.motion = motion
        self.referenceStart = referenceStart; self.motionNoise = motionNoise; self.selfMotion = selfMotion
        self.mouthWeight = mouthWeight
    }

    enum CodingKeys: String, CodingKey { case reference, text, audio, pose, motion, referenceStart, motionNoise, selfMotion, mouthWeight }

    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        self.init(reference: try c.decode(Double.self, forKey: .reference), text: try c.decode(Double.self, forKey: .text),
                  audio: try c.decode(Double.self, forKey: .audio), pose: try c.decode(Double.self, forKey: .pose),
                  motion: try c.decode(Double.self, forKey: .motion),
                  referenceStart: try c.decodeIfPresent(Double.self, forKey: .referenceStart) ?? 0,
                  motionNoise: try c.decodeIfPresent(Double.self, forKey: .motionNoise) ?? 0,
                  selfMotion: try c.decodeIfPresent(Double.self, forKey: .selfMotion) ?? 0,
                  mouthWeight: try c.decodeIfPresent(Double.self, forKey: .mouthWeight) ?? 0)
    }

    /// The ratios stage `stage` uses: stage 1 text + reference, stage 2 adds audio, stage 3 adds pose.
    public func forStage(_ stage: Int) -> ConditionRatios {
        precondition((1...3).contains(stage), "DiT stages are 1, 2, 3")
        var r = self
        if stage < 2 { r.audio = 0 }
        if stage < 3 { r.pose = 0 }
        return r
    }
}
