import Foundation
import OmniModel
import OmniTensor

/// Guidance distillation (docs/ARCHITECTURE.md §7.5): a student DiT with a `SamplingEmbedding` learns to give, in
/// one pass, the velocity its frozen teacher gives with classifier-free guidance (`GuidancePlan`: up to three
/// passes), for audio and text scales drawn uniformly from `audioScales` and `textScales`, on the curriculum's
/// examples with every condition in play (stage-3 ratios). Loss: mean (v_student(x_σ; s_a, s_x) − Σᵢ wᵢ·v_teacher(x_σ;
/// passᵢ))² over the latent frames the model predicts (motion frames are given). The student starts as the teacher
/// (`TrainingInitialization.student`: its guidance embedding adds zero); the VAE and the pose guider stay the
/// teacher's, frozen.
public final class GuidanceDistillationObjective: TrainingObjective {
    /// The student (the weights the run trains and exports).
    public let weights: OmniModelWeights
    public let teacher: OmniModelWeights
    public let parameters: [(key: String, tensor: Tensor)]
    public var batch: Int
    public let audioScales: ClosedRange<Float>
    public let textScales: ClosedRange<Float>
    let examples: DiTExamples
    let tape = Tape()

    public init(student: OmniModelWeights, teacher: OmniModelWeights, config: ModelConfig, samples: PuppetSamples,
                ratios: ConditionRatios, batch: Int, audioScales: ClosedRange<Float>, textScales: ClosedRange<Float>,
                latents: LatentCache? = nil, text: @escaping (String) throws -> Tensor) throws {
        precondition(config.dit.guidanceEmbedding, "the student needs dit.guidance_embedding")
        examples = try DiTExamples(vae: student.vae, config: config, samples: samples, ratios: ratios.forStage(3), latents: latents, text: text)
        weights = student
        self.teacher = teacher
        self.batch = batch
        self.audioScales = audioScales
        self.textScales = textScales
        teacher.setTrainable(false)
        student.setTrainable(false)
        parameters = student.dit.namedTensors().map { ("dit." + $0.key, $0.tensor) }
        for (_, t) in parameters { t.requiresGrad = true }
    }

    /// The scales of sample `index` of `step` (1 for a condition that is off).
    func scales(step: Int, index: Int, draws d: DiTExamples.Draws) -> SamplingControls {
        var rng = examples.samples.stream(step: step).split(PuppetSamples.Purpose.guidanceScales.rawValue).split(UInt64(index))
        let a = audioScales.lowerBound + rng.uniform() * (audioScales.upperBound - audioScales.lowerBound)
        let x = textScales.lowerBound + rng.uniform() * (textScales.upperBound - textScales.lowerBound)
        return SamplingControls(audio: d.audioOn ? a : 1, text: d.textOn ? x : 1)
    }

    public func accumulateGradients(step: Int, profile: inout TrainingProfile) throws -> [String: Double] {
        var total = 0.0
        for i in 0..<batch {
            let ex = try examples.example(step: step, index: i, perStep: batch, profile: &profile)
            let d = examples.draws(step: step, index: i)
            let s = scales(step: step, index: i, draws: d)
            let (inputs, _, first) = examples.inputs(ex, d, poseGuider: teacher.poseGuider)
            let target = profile.measure(.encoding) { guidedVelocity(teacher, ex, d, s, inputs: inputs) }
            let loss = profile.measure(.forward) { () -> Tensor in
                tape.recording { self.loss(ex, d, s, inputs: inputs, target: target, from: first).scaled(1 / Float(batch)) }
            }
            profile.measure(.backward) { tape.backward(from: loss) }
            total += Double(loss.item)
        }
        return ["loss": total]
    }

    /// The teacher's guided velocity `[1, T', h, w, z]`: its passes stacked along B, summed with their weights.
    func guidedVelocity(_ model: OmniModelWeights, _ ex: DiTExamples.Example, _ d: DiTExamples.Draws, _ s: SamplingControls,
                        inputs: Tensor) -> Tensor {
        let plan = GuidancePlan(hasText: d.textOn, hasAudio: d.audioOn, textScale: Double(s.text), audioStart: Double(s.audio),
                                audioEnd: Double(s.audio), annealing: .constant)
        let passes = plan.passes(step: 0, of: 1)
        let v = model.dit.velocityUncached(inputs: GuidancePlan.stacked(inputs, passes: passes), sigmas: Array(repeating: d.sigma, count: passes.count),
                                           passes: passes.map { ($0.textOn, $0.audioOn) },
                                           referenceLatent: d.referenceOn ? ex.reference : nil,
                                           textStates: d.textOn ? ex.textStates : nil, audioFeatures: d.audioOn ? ex.audio : nil)
        return GuidancePlan.combined(v, passes: passes)
    }

    /// The student's one-pass velocity against the teacher's guided one.
    func loss(_ ex: DiTExamples.Example, _ d: DiTExamples.Draws, _ s: SamplingControls, inputs: Tensor, target: Tensor, from first: Int) -> Tensor {
        let v = weights.dit.velocityUncached(inputs: inputs, sigmas: [d.sigma], passes: [(d.textOn, d.audioOn)], controls: [s],
                                             referenceLatent: d.referenceOn ? ex.reference : nil,
                                             textStates: d.textOn ? ex.textStates : nil, audioFeatures: d.audioOn ? ex.audio : nil)
        let t = ex.target.shape[1]
        return v.slice(axis: 1, first..<t).mseLoss(target.slice(axis: 1, first..<t))
    }

    public func finish(config: ModelConfig) throws -> ModelConfig { config }
}
