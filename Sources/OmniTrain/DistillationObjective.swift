import Foundation
import OmniModel
import OmniTensor

/// Distillation of a trained model into a faster student (docs/ARCHITECTURE.md §7.5), on the curriculum's examples
/// with every condition in play (stage-3 ratios) and guidance scales drawn uniformly from `audioScales` and
/// `textScales`:
/// - **guidance** (every sample): the student, with a `SamplingEmbedding` of the scales, learns to give in one pass
///   the teacher's guided velocity (`GuidancePlan`: up to three passes; one pass if the teacher is itself a
///   guidance student) — loss mean (v_student(x_σ; s) − v_teacher,guided(x_σ; s))² at the curriculum's σ, step
///   size 0;
/// - **shortcut** (`Method.shortcut`, a `bootstrap` fraction of the samples): the student also reads the step size
///   1/M and learns, for M-step runs (M = 1, 2, 4, …, maxSteps/2) on the shifted grid, the velocity that takes
///   x from σ^M_k to σ^M_{k+1} as two steps of size 1/(2M) do — its own steps (no gradient), or the teacher's
///   guided velocity when 2M = maxSteps. One model then samples with any step count.
/// Losses count the latent frames the model predicts (motion frames are given; in the two half-steps they stay on
/// their flow path, as the sampler keeps them). The student starts as the teacher (`TrainingInitialization.student`);
/// the VAE and the pose guider stay the teacher's, frozen.
public final class DistillationObjective: TrainingObjective {
    public enum Method: Sendable, Equatable {
        case guidance
        /// `maxSteps`: the finest grid (a power of 2); `shift`: the grid's shift (the model's `sampling.shift`);
        /// `bootstrap`: the fraction of samples that learn a shortcut step.
        case shortcut(maxSteps: Int, shift: Double, bootstrap: Double)
    }

    /// The student (the weights the run trains and exports).
    public let weights: OmniModelWeights
    public let teacher: OmniModelWeights
    public let parameters: [(key: String, tensor: Tensor)]
    public var batch: Int
    public let method: Method
    public let audioScales: ClosedRange<Float>
    public let textScales: ClosedRange<Float>
    let examples: DiTExamples
    let tape = Tape()

    public init(student: OmniModelWeights, teacher: OmniModelWeights, config: ModelConfig, samples: PuppetSamples,
                ratios: ConditionRatios, batch: Int, method: Method = .guidance, audioScales: ClosedRange<Float>,
                textScales: ClosedRange<Float>, latents: LatentCache? = nil, text: @escaping (String) throws -> Tensor) throws {
        precondition(config.dit.guidanceEmbedding, "the student needs dit.guidance_embedding")
        if case .shortcut(let maxSteps, _, _) = method {
            precondition(config.dit.stepEmbedding, "a shortcut student needs dit.step_embedding")
            precondition(maxSteps >= 2 && maxSteps & (maxSteps - 1) == 0, "maxSteps must be a power of 2")
        }
        examples = try DiTExamples(vae: student.vae, config: config, samples: samples, ratios: ratios.forStage(3), latents: latents, text: text)
        weights = student
        self.teacher = teacher
        self.batch = batch
        self.method = method
        self.audioScales = audioScales
        self.textScales = textScales
        teacher.setTrainable(false)
        student.setTrainable(false)
        parameters = student.dit.namedTensors().map { ("dit." + $0.key, $0.tensor) }
        for (_, t) in parameters { t.requiresGrad = true }
    }

    /// The guidance scales of sample `index` of `step` (1 for a condition that is off), step size 0.
    func scales(step: Int, index: Int, draws d: DiTExamples.Draws) -> SamplingControls {
        var rng = examples.samples.stream(step: step).split(PuppetSamples.Purpose.guidanceScales.rawValue).split(UInt64(index))
        let a = audioScales.lowerBound + rng.uniform() * (audioScales.upperBound - audioScales.lowerBound)
        let x = textScales.lowerBound + rng.uniform() * (textScales.upperBound - textScales.lowerBound)
        return SamplingControls(audio: d.audioOn ? a : 1, text: d.textOn ? x : 1)
    }

    /// A shortcut sample's run length M and step index k (nil: a guidance sample).
    func shortcut(step: Int, index: Int) -> (steps: Int, k: Int)? {
        guard case .shortcut(let maxSteps, _, let bootstrap) = method else { return nil }
        var rng = examples.samples.stream(step: step).split(PuppetSamples.Purpose.shortcut.rawValue).split(UInt64(index))
        guard Double(rng.uniform()) < bootstrap else { return nil }
        let levels = maxSteps.trailingZeroBitCount   // M = 1 … maxSteps/2
        let m = 1 << Int(rng.nextUInt64() % UInt64(levels))
        return (m, Int(rng.nextUInt64() % UInt64(m)))
    }

    public func accumulateGradients(step: Int, profile: inout TrainingProfile) throws -> [String: Double] {
        var total = 0.0, shortcutTotal = 0.0
        for i in 0..<batch {
            let ex = try examples.example(step: step, index: i, perStep: batch, profile: &profile)
            var d = examples.draws(step: step, index: i)
            var s = scales(step: step, index: i, draws: d)
            let cut = shortcut(step: step, index: i)
            var grid: [Double] = []
            if let cut, case .shortcut(_, let shift, _) = method {
                grid = FlowSchedule(steps: 2 * cut.steps, shift: shift).sigmas
                d.sigma = Float(grid[2 * cut.k])
            }
            let (inputs, noise, first) = examples.inputs(ex, d, poseGuider: teacher.poseGuider)
            let target = try profile.measure(.encoding) { () throws -> Tensor in
                guard let cut else { return teacherVelocity(ex, d, s, inputs: inputs) }
                return try shortcutTarget(ex, d, s, inputs: inputs, noise: noise, steps: cut.steps, sigmas: Array(grid[(2 * cut.k)...(2 * cut.k + 2)]))
            }
            if let cut { s.stepSize = 1 / Float(cut.steps) }
            let loss = profile.measure(.forward) { () -> Tensor in
                tape.recording { self.loss(ex, d, s, inputs: inputs, target: target, from: first).scaled(1 / Float(batch)) }
            }
            profile.measure(.backward) { tape.backward(from: loss) }
            total += Double(loss.item)
            if cut != nil { shortcutTotal += Double(loss.item) }
        }
        return method == .guidance ? ["loss": total] : ["loss": total, "shortcut": shortcutTotal]
    }

    /// One pass of `model` at `inputs` (tape as the caller has it): the sample's conditions, `controls` for a student.
    func velocity(_ model: OmniModelWeights, _ ex: DiTExamples.Example, _ d: DiTExamples.Draws, inputs: Tensor, sigma: Float,
                  passes: [GuidancePlan.Pass], controls: SamplingControls?) -> Tensor {
        model.dit.velocityUncached(inputs: GuidancePlan.stacked(inputs, passes: passes), sigmas: Array(repeating: sigma, count: passes.count),
                                   passes: passes.map { ($0.textOn, $0.audioOn) },
                                   controls: controls.map { Array(repeating: $0, count: passes.count) },
                                   referenceLatent: d.referenceOn ? ex.reference : nil,
                                   textStates: d.textOn ? ex.textStates : nil, audioFeatures: d.audioOn ? ex.audio : nil)
    }

    /// The teacher's guided velocity `[1, T', h, w, z]` at `inputs` and σ (`d.sigma` unless given): one pass with the
    /// scales as inputs for a guidance student, else its `GuidancePlan` passes summed with their weights.
    func teacherVelocity(_ ex: DiTExamples.Example, _ d: DiTExamples.Draws, _ s: SamplingControls, inputs: Tensor, sigma: Float? = nil) -> Tensor {
        let sigma = sigma ?? d.sigma
        if teacher.dit.samplingEmbedding != nil {
            return velocity(teacher, ex, d, inputs: inputs, sigma: sigma, passes: [.init(textOn: d.textOn, audioOn: d.audioOn, weight: 1)],
                            controls: SamplingControls(audio: s.audio, text: s.text))
        }
        let passes = GuidancePlan(hasText: d.textOn, hasAudio: d.audioOn, textScale: Double(s.text), audioStart: Double(s.audio),
                                  audioEnd: Double(s.audio), annealing: .constant).passes(step: 0, of: 1)
        return GuidancePlan.combined(velocity(teacher, ex, d, inputs: inputs, sigma: sigma, passes: passes, controls: nil), passes: passes)
    }

    /// The velocity of one M-step shortcut from σ_a to σ_c: two steps of size 1/(2M) through σ_b (`sigmas` = [σ_a,
    /// σ_b, σ_c]) by the student (no gradient) or, on the finest grid, the teacher; motion frames put back on their
    /// flow path after the first.
    func shortcutTarget(_ ex: DiTExamples.Example, _ d: DiTExamples.Draws, _ s: SamplingControls, inputs: Tensor, noise: Tensor,
                        steps m: Int, sigmas: [Double]) throws -> Tensor {
        guard case .shortcut(let maxSteps, _, _) = method else { preconditionFailure("not a shortcut run") }
        let z = ex.target.shape[4], channels = inputs.shape[4]
        let (a, b, c) = (Float(sigmas[0]), Float(sigmas[1]), Float(sigmas[2]))
        var half = s
        half.stepSize = 1 / Float(2 * m)
        func halfStep(_ inputs: Tensor, sigma: Float) -> Tensor {
            2 * m >= maxSteps ? teacherVelocity(ex, d, s, inputs: inputs, sigma: sigma)
                : velocity(weights, ex, d, inputs: inputs, sigma: sigma, passes: [.init(textOn: d.textOn, audioOn: d.audioOn, weight: 1)],
                           controls: half)
        }
        let xa = inputs.slice(axis: 4, 0..<z)
        let xb = FlowMatchSampler.combine(xa, 1, halfStep(inputs, sigma: a), b - a)
        // Pinned to the given motion latents' path (the held reference on a reference-start sample), as in `inputs`.
        if d.motionOn { examples.pinMotionSlot(xb, given: examples.givenMotion(ex, d), noise: noise, sigma: b) }
        let vb = halfStep(Tensor.concat([xb, inputs.slice(axis: 4, z..<channels)], axis: -1), sigma: b)
        let xc = FlowMatchSampler.combine(xb, 1, vb, c - b)
        return FlowMatchSampler.combine(xc, 1 / (c - a), xa, -1 / (c - a))   // (x_c − x_a) / (σ_c − σ_a)
    }

    /// The student's one-pass velocity against the target.
    func loss(_ ex: DiTExamples.Example, _ d: DiTExamples.Draws, _ s: SamplingControls, inputs: Tensor, target: Tensor, from first: Int) -> Tensor {
        let v = velocity(weights, ex, d, inputs: inputs, sigma: d.sigma, passes: [.init(textOn: d.textOn, audioOn: d.audioOn, weight: 1)], controls: s)
        let t = ex.target.shape[1]
        return v.slice(axis: 1, first..<t).mseLoss(target.slice(axis: 1, first..<t))
    }

    public func finish(config: ModelConfig) throws -> ModelConfig { config }
}
