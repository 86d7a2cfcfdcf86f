import OmniModel
import OmniTensor

/// Starting weights for training.
public enum TrainingInitialization {
    /// A whole model with seeded random weights (`RandomWeights`), the VAE's posterior starting narrow, then the
    /// DiT initialisation below.
    public static func fresh(config: ModelConfig, seed: UInt64) -> OmniModelWeights {
        let weights = OmniModelWeights(config: config)
        RandomWeights.fill(weights, seed: seed)
        // Log-variance bias −6 (σ ≈ 0.05): at a log-variance of 0 the sampled latents would be mostly unit noise and
        // the decoder would first have to learn to ignore them (measured: 14 dB after 400 steps instead of climbing).
        let z = config.vae.zChannels, bias = weights.vae.encoder.convOut.bias
        for c in z..<(2 * z) { bias.data[c] = -6 }
        dit(weights, seed: seed)
        return weights
    }

    /// Re-initialises the DiT and the pose guider for a first DiT stage (the VAE stays): random weights, then
    /// zero time projection (so every block's shift/scale/gate start at its small learned offsets), a zero velocity
    /// head (the first prediction is v = 0), and a zero pose-guider output (pose features start equal to "pose off").
    public static func dit(_ weights: OmniModelWeights, seed: UInt64) {
        RandomWeights.fill(weights.dit, seed: seed &+ 1)
        RandomWeights.fill(weights.poseGuider, seed: seed &+ 2)
        weights.dit.timeProjection.weight.fill(0)
        weights.dit.timeProjection.bias?.fill(0)
        weights.dit.head.weight.fill(0)
        weights.dit.head.bias?.fill(0)
        weights.poseGuider.zeroInitializeOutput()
    }

    /// The start of a first DiT stage under `config`, which may differ from `source`'s config in the audio
    /// features only (`audio.encoder`: the DiT's audio projection is re-initialised anyway): the source's VAE
    /// values, then `dit(_:seed:)`.
    public static func ditStage(config: ModelConfig, vaeFrom source: OmniModelWeights, seed: UInt64) -> OmniModelWeights {
        let weights = OmniModelWeights(config: config)
        let mine = weights.vae.namedTensors(), theirs = source.vae.namedTensors()
        precondition(mine.map(\.key) == theirs.map(\.key), "the VAE shapes differ")
        for (to, from) in zip(mine, theirs) { to.tensor.copyValues(from: from.tensor) }
        dit(weights, seed: seed)
        return weights
    }

    /// Weights of `config` (a `source` model with one part added or widened) holding every tensor of `source` but the
    /// ones under `keys`, which start at zero (`Linear` and the other modules are zero-initialised) for the caller to
    /// fill or leave.
    static func grown(_ source: OmniModelWeights, config: ModelConfig, except keys: Set<String>) -> OmniModelWeights {
        let weights = OmniModelWeights(config: config)
        let from = Dictionary(uniqueKeysWithValues: source.namedTensors().map { ($0.key, $0.tensor) })
        for (name, tensor) in weights.namedTensors() where !keys.contains(name) { tensor.copyValues(from: from[name]!) }
        return weights
    }

    /// `source` (a trained model) with the pixel-aligned reference input (`dit.reference_input`) added: every
    /// tensor copied, and the patch embedding's columns for the new channels zero — so the widened model computes
    /// exactly what `source` does until training moves them.
    public static func withReferenceInput(_ source: OmniModelWeights, config: ModelConfig) -> (config: ModelConfig, weights: OmniModelWeights) {
        precondition(!config.dit.referenceInput, "the model already has the reference input")
        var wider = config
        wider.dit.referenceInput = true
        let weights = grown(source, config: wider, except: ["dit.patchEmbedding.weight"])
        // Weight [d, p²·C]: each token's input is p² positions of C channels, channels innermost; the new channels
        // come last in each position.
        let old = source.dit.patchEmbedding.weight, new = weights.dit.patchEmbedding.weight
        let p2 = config.dit.patchSize * config.dit.patchSize
        let (cOld, cNew) = (config.ditInputChannels, wider.ditInputChannels)
        new.fill(0)
        for row in 0..<old.shape[0] {
            for k in 0..<p2 {
                for c in 0..<cOld { new.data[row * p2 * cNew + k * cNew + c] = old.data[row * p2 * cOld + k * cOld + c] }
            }
        }
        return (wider, weights)
    }

    /// `source` (a trained model) with `audio.band_positions` added: every tensor copied and the new
    /// `dit.audioPositions` zero — each latent frame then reads the same audio keys and values as before, only laid
    /// out band by band, so the model computes what `source` does until training moves the positions.
    public static func withAudioBandPositions(_ source: OmniModelWeights, config: ModelConfig) -> (config: ModelConfig, weights: OmniModelWeights) {
        precondition(!config.audio.bandPositions, "the model already has audio band positions")
        var banded = config
        banded.audio.bandPositions = true
        return (banded, grown(source, config: banded, except: ["dit.audioPositions"]))
    }

    /// `source` (a trained model) with `audio.frame_input` added: every tensor copied and the new
    /// `dit.audioFrameInput` zero — so the model computes what `source` does until training moves it.
    public static func withAudioFrameInput(_ source: OmniModelWeights, config: ModelConfig) -> (config: ModelConfig, weights: OmniModelWeights) {
        precondition(!config.audio.frameInput, "the model already has the audio frame input")
        var wider = config
        wider.audio.frameInput = true
        return (wider, grown(source, config: wider, except: ["dit.audioFrameInput.weight", "dit.audioFrameInput.bias"]))
    }

    /// A distillation student of `teacher` (whose config is `config`): the teacher's config with
    /// `dit.guidance_embedding` (and `dit.step_embedding` with `steps`), every teacher tensor copied, and the parts of
    /// the `SamplingEmbedding` the teacher lacks random with zero output layers — so the student starts as exactly
    /// the teacher (with every guided condition on, for a teacher without the embedding). A step student's
    /// `sampling.fast_steps` is `fastSteps` (what `speed = "fast"` runs) and its `sampling.speed` is fast: a request
    /// that names no speed runs the few steps, `speed = "quality"` the teacher's step count.
    public static func student(of teacher: OmniModelWeights, config: ModelConfig, steps: Bool = false, fastSteps: Int = 4,
                               seed: UInt64) -> (config: ModelConfig, weights: OmniModelWeights) {
        var studentConfig = config
        studentConfig.dit.guidanceEmbedding = true
        studentConfig.dit.stepEmbedding = studentConfig.dit.stepEmbedding || steps
        if steps { studentConfig.sampling.fastSteps = fastSteps; studentConfig.sampling.speed = .fast }
        let student = OmniModelWeights(config: studentConfig)
        let source = Dictionary(uniqueKeysWithValues: teacher.namedTensors().map { ($0.key, $0.tensor) })
        for (key, tensor) in student.namedTensors() {
            if let from = source[key] { tensor.copyValues(from: from) }
        }
        if let embedding = student.dit.samplingEmbedding {
            let parts = [("audio", embedding.audio), ("text", embedding.text)] + (embedding.step.map { [("step", $0)] } ?? [])
            for (i, (name, part)) in parts.enumerated() where source["dit.samplingEmbedding.\(name).fc2.weight"] == nil {
                RandomWeights.fill(part, seed: seed &+ 3 &+ UInt64(i))
                SamplingEmbedding.zeroOutput([part])
            }
        }
        return (studentConfig, student)
    }
}
