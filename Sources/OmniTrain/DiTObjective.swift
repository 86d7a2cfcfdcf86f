import Foundation
import OmniMedia
import OmniModel
import OmniTensor
import OmniWorld

/// Stages 1–3: flow matching for the MMDiT (and, in stage 3, the pose guider) on puppet clips, through the
/// uncached path (`MMDiT.velocityUncached`, tape on) — the same module code as inference.
///
/// One sample: a 2 s clip, a window of `segmentFrames` frames at a random start; target x₀ = the frozen VAE's
/// normalised latent mean of the window; the reference picture's latent; the caption's MiniLM states; the
/// window's audio rows; its pose maps. With probability `ratios.motion` the first `motionFrames` frames are given
/// as motion latents (mask 1) — as the sampler gives the previous segment's last frames — and drop out of the loss.
/// σ = sigmoid(n), n ~ N(0, 1) (logit-normal); x_σ = (1 − σ)·x₀ + σ·ε; loss = mean (v − (ε − x₀))². All samples of
/// a step share one aspect bucket; each is its own forward/backward (gradients summed, scaled by 1/batch), so
/// prompts of different lengths need no padding.
public final class DiTObjective: TrainingObjective {
    public let weights: OmniModelWeights
    public let parameters: [(key: String, tensor: Tensor)]
    public let samples: PuppetSamples
    public let stage: Int
    public let ratios: ConditionRatios
    public var batch: Int
    let config: ModelConfig
    /// Pre-encoded target windows (`LatentCache`); nil: the frozen VAE encodes each window at each step.
    public var latents: LatentCache? { examples.latents }
    let examples: DiTExamples
    let tape = Tape()

    /// `text` maps a caption to MiniLM token states `[L, 384]` (the real encoder in training; tests may pass
    /// another deterministic map). `trainable`: when given, only the parameters the stage trains whose keys contain
    /// one of these substrings get gradients (e.g. `["audio"]`: the audio path alone, the rest frozen); it must
    /// leave at least one.
    public init(weights: OmniModelWeights, config: ModelConfig, samples: PuppetSamples, stage: Int, ratios: ConditionRatios,
                batch: Int, latents: LatentCache? = nil, trainable: [String]? = nil, text: @escaping (String) throws -> Tensor) throws {
        examples = try DiTExamples(vae: weights.vae, config: config, samples: samples, ratios: ratios.forStage(stage), latents: latents, text: text)
        self.weights = weights
        self.config = config
        self.samples = samples
        self.stage = stage
        self.ratios = ratios.forStage(stage)
        self.batch = batch
        weights.setTrainable(false)
        var trained = weights.dit.namedTensors().map { ("dit." + $0.key, $0.tensor) }
        if stage < 2 {   // audio projections get no gradient before stage 2: keep them out of weight decay too
            trained = trained.filter { !$0.0.contains("audio") }
        }
        if stage >= 3 { trained += weights.poseGuider.namedTensors().map { ("poseGuider." + $0.key, $0.tensor) } }
        if let trainable {
            trained = trained.filter { key, _ in trainable.contains { key.contains($0) } }
            guard !trained.isEmpty else {
                throw TrainingError.data("no parameter of stage \(stage) has a key containing \(trainable.joined(separator: " or "))")
            }
        }
        for (_, t) in trained { t.requiresGrad = true }
        parameters = trained
    }

    func example(step: Int, index: Int) throws -> DiTExamples.Example {
        var profile = TrainingProfile()
        return try examples.example(step: step, index: index, perStep: batch, profile: &profile)
    }

    func example(step: Int, index: Int, profile: inout TrainingProfile) throws -> DiTExamples.Example {
        try examples.example(step: step, index: index, perStep: batch, profile: &profile)
    }

    public func accumulateGradients(step: Int, profile: inout TrainingProfile) throws -> [String: Double] {
        var total = 0.0
        for i in 0..<batch {
            let ex = try example(step: step, index: i, profile: &profile)
            let draws = examples.draws(step: step, index: i)
            let loss = profile.measure(.forward) { () -> Tensor in
                let motion = selfMotionLatents(ex, draws)   // outside the tape: no gradient through the estimate
                return tape.recording { self.loss(ex, draws, motion: motion).scaled(1 / Float(batch)) }
            }
            profile.measure(.backward) { tape.backward(from: loss) }
            total += Double(loss.item)
        }
        return ["loss": total]
    }

    /// The flow-matching loss of one example under the given draws.
    func loss(_ ex: DiTExamples.Example, _ d: DiTExamples.Draws, motion: Tensor? = nil) -> Tensor {
        let (inputs, noise, first) = examples.inputs(ex, d, poseGuider: weights.poseGuider, motion: motion)
        let v = velocity(inputs, ex, d)
        let target = FlowMatchSampler.velocityTarget(clean: ex.target, noise: noise)
        let t = ex.target.shape[1]
        guard let weights = ex.lossWeights else { return v.slice(axis: 1, first..<t).mseLoss(target.slice(axis: 1, first..<t)) }
        return v.slice(axis: 1, first..<t).weightedMSELoss(target.slice(axis: 1, first..<t), weights: weights.slice(axis: 1, first..<t))
    }

    /// The DiT's velocity for `inputs` under the draws' conditions and σ.
    func velocity(_ inputs: Tensor, _ ex: DiTExamples.Example, _ d: DiTExamples.Draws) -> Tensor {
        weights.dit.velocityUncached(inputs: inputs, sigmas: [d.sigma], passes: [(d.textOn, d.audioOn)],
                                     referenceLatent: d.referenceOn ? ex.reference : nil,
                                     textStates: d.textOn ? ex.textStates : nil, audioFeatures: d.audioOn ? ex.audio : nil)
    }

    /// For a `selfMotion` draw continuing from the window's own frames: the model's one-step estimate of the
    /// window's clean latents, x̂₀ = x_τ − τ·v(x_τ, τ), from the window noised to τ = `selfSigma` (its own noise
    /// stream) with no motion frames and the sample's other conditions — generated motion frames are such
    /// estimates, blurred and drifted; nil for other draws. Run outside the tape.
    func selfMotionLatents(_ ex: DiTExamples.Example, _ d: DiTExamples.Draws) -> Tensor? {
        guard d.motionOn && d.selfMotion && !(d.referenceOn && d.referenceStart) else { return nil }
        var pre = d
        pre.motionOn = false
        pre.sigma = d.selfSigma
        pre.noise = d.noise.split(2)
        let (inputs, noise, _) = examples.inputs(ex, pre, poseGuider: weights.poseGuider)
        let v = velocity(inputs, ex, pre)
        let noisy = FlowMatchSampler.noised(ex.target, noise: noise, sigma: pre.sigma)
        return FlowMatchSampler.predictedClean(noisy, velocity: v, sigma: pre.sigma)
    }

    public func finish(config: ModelConfig) throws -> ModelConfig { config }
}

extension AudioFeatures {
    /// Rows `start ..< start + count` as `[1, count, featureWidth]`; rows past the end repeat the last one.
    func windowRows(start: Int, count: Int) -> Tensor {
        let out = Tensor(uninitialized: [1, count, featureWidth])
        values.withUnsafeBufferPointer { src in
            for i in 0..<count {
                let row = min(start + i, videoFrameCount - 1)
                (out.data + i * featureWidth).update(from: src.baseAddress! + row * featureWidth, count: featureWidth)
            }
        }
        return out
    }
}
