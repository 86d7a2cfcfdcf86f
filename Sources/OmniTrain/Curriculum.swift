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

    public init(reference: Double = 0.7, text: Double = 0.9, audio: Double = 0.5, pose: Double = 0.5, motion: Double = 0.5) {
        self.reference = reference; self.text = text; self.audio = audio; self.pose = pose; self.motion = motion
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
