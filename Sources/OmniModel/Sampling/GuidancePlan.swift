/// Classifier-free guidance on audio and text (never pose): which forward passes one step needs and how their
/// velocities combine (docs/ARCHITECTURE.md §3.5):
///
///     v = v(∅a,∅x) + s_x·(v(∅a,x) − v(∅a,∅x)) + s_a·(v(a,x) − v(∅a,x))
///
/// as a linear combination Σ cᵢ·v(passᵢ). A scale of exactly 1 skips its unconditional pass: with s_x = 1 the
/// formula reduces to v(∅a,x) + s_a·(v(a,x) − v(∅a,x)); with s_a = 1 audio simply stays on in every pass,
/// v = v(a,∅x) + s_x·(v(a,x) − v(a,∅x)). A condition that is switched off (no audio file, no prompt) is off in
/// every pass and its scale is ignored. A guidance-distilled student (`distilled`) makes one pass with every present
/// condition on and reads the scales as inputs (`scales(step:of:)`). Pure value type: no tensors.
public struct GuidancePlan: Sendable, Equatable {
    /// One forward pass: which of the guided conditions it reads, and its weight in the combination.
    public struct Pass: Sendable, Equatable {
        public var textOn: Bool
        public var audioOn: Bool
        public var weight: Double

        public init(textOn: Bool, audioOn: Bool, weight: Double) { self.textOn = textOn; self.audioOn = audioOn; self.weight = weight }
    }

    public var hasText: Bool
    public var hasAudio: Bool
    public var textScale: Double
    public var audioStart: Double
    public var audioEnd: Double
    public var annealing: AnnealingCurve
    /// One pass per step, the scales as the model's inputs (a model with `dit.guidance_embedding`).
    public var distilled: Bool

    public init(hasText: Bool, hasAudio: Bool, textScale: Double, audioStart: Double, audioEnd: Double, annealing: AnnealingCurve,
                distilled: Bool = false) {
        self.hasText = hasText; self.hasAudio = hasAudio; self.textScale = textScale
        self.audioStart = audioStart; self.audioEnd = audioEnd; self.annealing = annealing; self.distilled = distilled
    }

    public func audioScale(step k: Int, of steps: Int) -> Double {
        annealing.value(start: audioStart, end: audioEnd, step: k, of: steps)
    }

    /// The passes of step `k` of `steps`, in a fixed order (the fully conditioned pass first), with weights
    /// summing to 1. Passes of weight 0 are dropped.
    public func passes(step k: Int, of steps: Int) -> [Pass] {
        if distilled { return [Pass(textOn: hasText, audioOn: hasAudio, weight: 1)] }
        let sx = hasText ? textScale : 1
        let sa = hasAudio ? audioScale(step: k, of: steps) : 1
        let a = hasAudio, x = hasText
        var out: [Pass]
        switch (sx == 1, sa == 1) {
        case (true, true):
            out = [Pass(textOn: x, audioOn: a, weight: 1)]
        case (true, false):
            out = [Pass(textOn: x, audioOn: true, weight: sa), Pass(textOn: x, audioOn: false, weight: 1 - sa)]
        case (false, true):
            out = [Pass(textOn: true, audioOn: a, weight: sx), Pass(textOn: false, audioOn: a, weight: 1 - sx)]
        case (false, false):
            out = [Pass(textOn: true, audioOn: true, weight: sa),
                   Pass(textOn: true, audioOn: false, weight: sx - sa),
                   Pass(textOn: false, audioOn: false, weight: 1 - sx)]
        }
        return out.filter { $0.weight != 0 }
    }

    /// The guidance scales of step `k` as a distilled student reads them: 1 for a condition that is off (the step
    /// size is the sampler's to set).
    public func controls(step k: Int, of steps: Int) -> SamplingControls {
        SamplingControls(audio: Float(hasAudio ? audioScale(step: k, of: steps) : 1), text: Float(hasText ? textScale : 1))
    }
}
