import Foundation
import OmniModel
import OmniTensor
@testable import OmniTrain
import XCTest

/// The trainer on the tiny config: each stage's loss falls on a fixed puppet batch, resumed runs equal
/// uninterrupted ones bit for bit, and runs refuse folders of another kind.
final class TrainerTests: TrainingTestCase {
    /// A first DiT stage may change the audio features (`train dit --stage 1 --audio-encoder`): the VAE is the
    /// source's, value for value; the DiT follows the new config and starts as `TrainingInitialization.dit` makes it.
    func testAFirstStageKeepsTheVAEAndTakesTheNewAudioFeatures() throws {
        let source = TrainingInitialization.fresh(config: .tiny, seed: 4)
        let whisper = try XCTUnwrap(ModelConfig.preset("tiny-whisper"))
        XCTAssertNotEqual(whisper.audio.featureWidth, ModelConfig.tiny.audio.featureWidth)
        let start = TrainingInitialization.ditStage(config: whisper, vaeFrom: source, seed: 7)
        let vae = start.vae.namedTensors(), sourceVAE = source.vae.namedTensors()
        XCTAssertEqual(vae.map(\.key), sourceVAE.map(\.key))
        for (a, b) in zip(vae, sourceVAE) { XCTAssertEqual(a.tensor.values, b.tensor.values, a.key) }
        let expected = OmniModelWeights(config: whisper)
        TrainingInitialization.dit(expected, seed: 7)
        let dit = start.dit.namedTensors(), expectedDiT = expected.dit.namedTensors()
        XCTAssertEqual(dit.map(\.key), expectedDiT.map(\.key))
        for (a, b) in zip(dit, expectedDiT) {
            XCTAssertEqual(a.tensor.shape, b.tensor.shape, a.key)
            XCTAssertEqual(a.tensor.values, b.tensor.values, a.key)
        }
    }

    func testVAELossFallsOnAFixedBatch() throws {
        let weights = TrainingInitialization.fresh(config: .tiny, seed: 1)
        let objective = VAEObjective(weights: weights, samples: Self.samples, batch: 2, frames: 5, crop: 16)
        let (first, last) = try overfit(objective, steps: 30, learningRate: 3e-3)
        XCTAssertLessThan(last, 0.6 * first, "VAE loss \(first) → \(last)")
    }

    /// Every stage, with its conditions always on (ratios 1), so each condition's path carries gradient.
    func testEachDiTStageLossFallsOnAFixedBatch() throws {
        for stage in 1...3 {
            let weights = TrainingInitialization.fresh(config: .tiny, seed: 1)
            let all = ConditionRatios(reference: 1, text: 1, audio: 1, pose: 1, motion: 0)
            let objective = try DiTObjective(weights: weights, config: .tiny, samples: Self.samples, stage: stage, ratios: all,
                                         batch: 2, text: Self.text)
            XCTAssertEqual(objective.parameters.contains { $0.key.contains("audio") }, stage >= 2, "stage \(stage) audio parameters")
            XCTAssertEqual(objective.parameters.contains { $0.key.hasPrefix("poseGuider.") }, stage == 3, "stage \(stage) pose parameters")
            let (first, last) = try overfit(objective, steps: 25, learningRate: 3e-3)
            XCTAssertLessThan(last, 0.7 * first, "stage \(stage) loss \(first) → \(last)")
        }
    }

    /// Stage 3's pose guider really learns: after training on pose-on samples, its output is no longer zero.
    func testStageThreeTrainsThePoseGuider() throws {
        let weights = TrainingInitialization.fresh(config: .tiny, seed: 1)
        XCTAssertEqual(weights.poseGuider.convOut.weight.values.map(abs).max(), 0, "pose guider output starts at zero")
        let objective = try DiTObjective(weights: weights, config: .tiny, samples: Self.samples, stage: 3,
                                     ratios: .init(reference: 1, text: 1, audio: 1, pose: 1, motion: 0), batch: 1, text: Self.text)
        _ = try overfit(objective, steps: 3, learningRate: 1e-3)
        XCTAssertGreaterThan(weights.poseGuider.convOut.weight.values.map(abs).max()!, 0)
    }

    /// `trainable: ["audio"]` trains the audio path alone: only those keys are parameters, they move, and every other
    /// weight of the DiT and pose guider stays bit-identical; a substring no key has is refused.
    func testTrainableTrainsOnlyTheNamedPartsAndFreezesTheRest() throws {
        let weights = TrainingInitialization.fresh(config: .tiny, seed: 1)
        let all = ConditionRatios(reference: 1, text: 1, audio: 1, pose: 1, motion: 0)
        // A few steps of everything first: a fresh DiT's gates are zero, so no gradient reaches its attention yet.
        _ = try overfit(DiTObjective(weights: weights, config: .tiny, samples: Self.samples, stage: 3, ratios: all, batch: 1, text: Self.text),
                        steps: 3, learningRate: 1e-3)
        let objective = try DiTObjective(weights: weights, config: .tiny, samples: Self.samples, stage: 3, ratios: all, batch: 1,
                                         trainable: ["audio"], text: Self.text)
        XCTAssertFalse(objective.parameters.isEmpty)
        XCTAssertTrue(objective.parameters.allSatisfy { $0.key.contains("audio") }, "\(objective.parameters.map(\.key))")
        let named = weights.dit.namedTensors().map { ("dit." + $0.key, $0.tensor) } + weights.poseGuider.namedTensors().map { ("poseGuider." + $0.key, $0.tensor) }
        let before = Dictionary(uniqueKeysWithValues: named.map { ($0.0, $0.1.values) })
        _ = try overfit(objective, steps: 2, learningRate: 1e-3)
        var moved = 0
        for (key, tensor) in named {
            if key.contains("audio") {
                if tensor.values != before[key]! { moved += 1 }
            } else {
                XCTAssertEqual(tensor.values, before[key]!, "\(key) is frozen")
            }
        }
        XCTAssertGreaterThan(moved, 0, "the audio path trains")
        XCTAssertThrowsError(try DiTObjective(weights: weights, config: .tiny, samples: Self.samples, stage: 1, ratios: all, batch: 1,
                                              trainable: ["audio"], text: Self.text), "stage 1 trains no audio parameter")
    }

    // MARK: - Whole-model gradients

    func testVAELossGradientMatchesFiniteDifferences() throws {
        let weights = TrainingInitialization.fresh(config: .tiny, seed: 1)
        let objective = VAEObjective(weights: weights, samples: Self.samples, batch: 1, frames: 5, crop: 16)
        let x = Self.samples.vaeBatch(step: 0, batch: 1, frames: 5, crop: 16)
        let vae = weights.vae
        assertGradientsMatch(objective.parameters) { vae.decode(try! vae.encode(x).mean, clamp: false).mseLoss(x) }
    }

    func testDiTLossGradientMatchesFiniteDifferences() throws {
        let weights = TrainingInitialization.fresh(config: .tiny, seed: 1)
        // Non-zero head and pose output, so every path carries gradient from the first step.
        RandomWeights.fill(weights.dit.head, seed: 9)
        RandomWeights.fill(weights.poseGuider.convOut, seed: 10)
        let objective = try DiTObjective(weights: weights, config: .tiny, samples: Self.samples, stage: 3,
                                     ratios: .init(reference: 1, text: 1, audio: 1, pose: 1, motion: 1), batch: 1, text: Self.text)
        let example = try objective.example(step: 0, index: 0)
        assertGradientsMatch(objective.parameters) {
            objective.loss(example, .init(referenceOn: true, textOn: true, audioOn: true, poseOn: true, motionOn: true,
                                          sigma: 0.6, noise: RandomStream(seed: 4)))
        }
    }

    // MARK: - The pixel-aligned reference (dit.reference_input)

    /// `train dit --reference-input` on a trained model: every tensor kept, the new channels' weights zero — so the
    /// widened model's loss equals the source's on every example, the reference on or off; the example's input
    /// carries the reference latent in every latent frame (and ones in the presence channel) only when it is on.
    func testWideningToThePixelAlignedReferenceStartsAsTheSourceModel() throws {
        let source = TrainingInitialization.fresh(config: .tiny, seed: 1)
        RandomWeights.fill(source.dit.head, seed: 9)
        let (config, widened) = TrainingInitialization.withReferenceInput(source, config: .tiny)
        XCTAssertTrue(config.dit.referenceInput)
        let z = config.vae.zChannels, c = ModelConfig.tiny.ditInputChannels
        XCTAssertEqual(config.ditInputChannels, c + z + 1)
        XCTAssertTrue(String(decoding: config.encoded(), as: UTF8.self).contains("\"reference_input\" : true"))
        let folder = temporaryFolder("reference-input")
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        try config.encoded().write(to: URL(fileURLWithPath: folder).appendingPathComponent("config.json"))
        XCTAssertEqual(try ModelConfig.load(folder: folder), config, "written and read back")
        XCTAssertFalse(String(decoding: ModelConfig.tiny.encoded(), as: UTF8.self).contains("reference_input"), "older configs stay as they were")

        let all = ConditionRatios(reference: 1, text: 1, audio: 1, pose: 1, motion: 1)
        let before = try DiTObjective(weights: source, config: .tiny, samples: Self.samples, stage: 3, ratios: all, batch: 1, text: Self.text)
        let after = try DiTObjective(weights: widened, config: config, samples: Self.samples, stage: 3, ratios: all, batch: 1, text: Self.text)
        let example = try after.example(step: 0, index: 0)
        for referenceOn in [true, false] {
            let d = DiTExamples.Draws(referenceOn: referenceOn, textOn: true, audioOn: true, poseOn: true, motionOn: true,
                                      sigma: 0.6, noise: RandomStream(seed: 4))
            // Equal up to the summation order of a wider GEMM (the extra terms are exact zeros).
            let expected = before.loss(example, d).item
            XCTAssertEqual(after.loss(example, d).item, expected, accuracy: 1e-6 * abs(expected), "reference \(referenceOn)")
            let inputs = after.examples.inputs(example, d, poseGuider: widened.poseGuider).inputs
            let (t, h, w) = (inputs.shape[1], inputs.shape[2], inputs.shape[3])
            for f in 0..<t {
                for p in [0, h * w - 1] {
                    let row = (f * h * w + p) * config.ditInputChannels + c
                    for k in 0..<z {
                        XCTAssertEqual(inputs.data[row + k], referenceOn ? example.reference.data[p * z + k] : 0, "frame \(f) position \(p)")
                    }
                    XCTAssertEqual(inputs.data[row + z], referenceOn ? 1 : 0)
                }
            }
        }
        XCTAssertGreaterThan(example.reference.values.map(abs).max()!, 0)
    }

    /// A stage grown from a trained model by an audio option (`grow`) starts as that model: the field `flag` is
    /// written to config.json (and not to older configs), the loss equals the source's with audio on and off, and the
    /// new tensor `key` is trained and gets gradient only with audio on.
    func assertGrownAudioOptionStartsAsTheSource(flag: String, key: String,
                                                 _ grow: (OmniModelWeights, ModelConfig) -> (config: ModelConfig, weights: OmniModelWeights),
                                                 file: StaticString = #filePath, line: UInt = #line) throws {
        let source = TrainingInitialization.fresh(config: .tiny, seed: 1)
        RandomWeights.fill(source.dit.head, seed: 9)
        let (config, grown) = grow(source, .tiny)
        XCTAssertTrue(String(decoding: config.encoded(), as: UTF8.self).contains("\"\(flag)\" : true"), file: file, line: line)
        XCTAssertFalse(String(decoding: ModelConfig.tiny.encoded(), as: UTF8.self).contains(flag), "older configs stay as they were", file: file, line: line)
        let all = ConditionRatios(reference: 1, text: 1, audio: 1, pose: 1, motion: 1)
        let before = try DiTObjective(weights: source, config: .tiny, samples: Self.samples, stage: 3, ratios: all, batch: 1, text: Self.text)
        let after = try DiTObjective(weights: grown, config: config, samples: Self.samples, stage: 3, ratios: all, batch: 1, text: Self.text)
        let example = try after.example(step: 0, index: 0)
        let added = try XCTUnwrap(after.parameters.first { $0.0 == key }?.1, "\(key) is trained", file: file, line: line)
        for audioOn in [true, false] {
            let d = DiTExamples.Draws(referenceOn: true, textOn: true, audioOn: audioOn, poseOn: true, motionOn: true,
                                      sigma: 0.6, noise: RandomStream(seed: 4))
            let expected = before.loss(example, d).item
            added.zeroGrad()
            let tape = Tape()
            let loss = tape.recording { after.loss(example, d) }
            XCTAssertEqual(loss.item, expected, accuracy: 1e-6 * abs(expected), "audio \(audioOn)", file: file, line: line)
            tape.backward(from: loss)
            let norm = added.grad.map { $0.values.map { $0 * $0 }.reduce(0, +) } ?? 0
            if audioOn { XCTAssertGreaterThan(norm, 0, file: file, line: line) } else { XCTAssertEqual(norm, 0, file: file, line: line) }
        }
    }

    /// `train dit --audio-band-positions`: the positions start at zero.
    func testAddingAudioBandPositionsStartsAsTheSourceModel() throws {
        try assertGrownAudioOptionStartsAsTheSource(flag: "band_positions", key: "dit.audioPositions") {
            TrainingInitialization.withAudioBandPositions($0, config: $1)
        }
    }

    /// `train dit --audio-frame-input`: the projection starts at zero.
    func testAddingAudioFrameInputStartsAsTheSourceModel() throws {
        try assertGrownAudioOptionStartsAsTheSource(flag: "frame_input", key: "dit.audioFrameInput.weight") {
            TrainingInitialization.withAudioFrameInput($0, config: $1)
        }
    }

    /// Finite differences through the audio frame input and the audio embedding behind it.
    func testAudioFrameInputGradientMatchesFiniteDifferences() throws {
        var config = ModelConfig.tiny
        config.audio.frameInput = true
        let weights = TrainingInitialization.fresh(config: config, seed: 1)
        RandomWeights.fill(weights.dit.head, seed: 9)
        RandomWeights.fill(try XCTUnwrap(weights.dit.audioFrameInput), seed: 11)
        let objective = try DiTObjective(weights: weights, config: config, samples: Self.samples, stage: 3,
                                         ratios: .init(reference: 1, text: 1, audio: 1, pose: 1, motion: 1), batch: 1, text: Self.text)
        let example = try objective.example(step: 0, index: 0)
        let loss = { objective.loss(example, .init(referenceOn: true, textOn: false, audioOn: true, poseOn: false, motionOn: true,
                                                   sigma: 0.6, noise: RandomStream(seed: 4))) }
        assertGradientsMatch([("dit.audioFrameInput.weight", weights.dit.audioFrameInput!.weight),
                              ("dit.audioEmbeddingOut.weight", weights.dit.audioEmbeddingOut.weight)], loss)
    }

    /// The new input carries gradient: finite differences through the widened patch embedding (its reference
    /// columns made non-zero) and the rest of a stage-3 model.
    func testPixelAlignedReferenceGradientMatchesFiniteDifferences() throws {
        var config = ModelConfig.tiny
        config.dit.referenceInput = true
        let weights = TrainingInitialization.fresh(config: config, seed: 1)
        RandomWeights.fill(weights.dit.head, seed: 9)
        RandomWeights.fill(weights.poseGuider.convOut, seed: 10)
        let objective = try DiTObjective(weights: weights, config: config, samples: Self.samples, stage: 3,
                                         ratios: .init(reference: 1, text: 1, audio: 1, pose: 1, motion: 1), batch: 1, text: Self.text)
        let example = try objective.example(step: 0, index: 0)
        let loss = { objective.loss(example, .init(referenceOn: true, textOn: true, audioOn: true, poseOn: true, motionOn: false,
                                                   sigma: 0.6, noise: RandomStream(seed: 4))) }
        assertGradientsMatch([("dit.patchEmbedding.weight", weights.dit.patchEmbedding.weight)], loss)
        // The gradient reaches the reference columns themselves.
        let tape = Tape()
        weights.dit.patchEmbedding.weight.grad = nil
        tape.backward(from: tape.recording { loss() })
        let g = try XCTUnwrap(weights.dit.patchEmbedding.weight.grad?.values)
        let p2 = config.dit.patchSize * config.dit.patchSize, cIn = config.ditInputChannels, first = ModelConfig.tiny.ditInputChannels
        let referenceColumns = (0..<weights.dit.patchEmbedding.weight.shape[0]).flatMap { r in
            (0..<p2).flatMap { k in (first..<cIn).map { g[r * p2 * cIn + k * cIn + $0] } }
        }
        XCTAssertGreaterThan(referenceColumns.map(abs).max()!, 1e-6)
    }

    // MARK: - Motion frames: the reference held still, and noise

    /// `referenceStart`: a sample with motion frames and the reference continues from the reference picture held
    /// still (its motion latents as generation computes them for `reference.starts_video`); `motionNoise` mixes
    /// (1 − s)·m + s·ε into the given latents. Without either, the motion slot is the window's first latent frames.
    func testMotionFramesCanBeTheReferenceHeldStillAndNoisy() throws {
        let weights = TrainingInitialization.fresh(config: .tiny, seed: 1)
        let ratios = ConditionRatios(reference: 1, text: 1, audio: 1, pose: 1, motion: 1, referenceStart: 1, motionNoise: 0.3)
        let objective = try DiTObjective(weights: weights, config: .tiny, samples: Self.samples, stage: 3, ratios: ratios, batch: 1, text: Self.text)
        let ex = try objective.example(step: 0, index: 0)
        let held = try XCTUnwrap(ex.referenceStart)
        let clip = Self.samples.clip(step: 0, index: 0, perStep: 1, seconds: 2)
        let expected = try weights.vae.motionLatents(of: Array(repeating: clip.reference, count: ModelConfig.tiny.video.motionFrames))
        XCTAssertEqual(held.values, expected.values, "the reference held for the motion frames, encoded as generation does")
        let z = ModelConfig.tiny.vae.zChannels, c = ModelConfig.tiny.ditInputChannels
        func motionSlot(_ d: DiTExamples.Draws) -> [Float] {
            let inputs = objective.examples.inputs(ex, d, poseGuider: weights.poseGuider).inputs
            let (h, w) = (inputs.shape[2], inputs.shape[3])
            return (0..<(objective.examples.motionLatentFrames * h * w)).flatMap { p in (0..<z).map { inputs.data[p * c + z + $0] } }
        }
        var d = objective.examples.draws(step: 0, index: 0)
        XCTAssertTrue(d.referenceStart && d.motionOn && d.referenceOn)
        XCTAssertGreaterThan(d.motionNoise, 0); XCTAssertLessThanOrEqual(d.motionNoise, 0.3)
        let noisy = motionSlot(d)
        d.motionNoise = 0
        XCTAssertEqual(motionSlot(d), held.values, "the held reference in the motion slot")
        let eps = Tensor(uninitialized: [held.count]); d.noise.split(1).fillNormal(eps.buffer)
        let s = objective.examples.draws(step: 0, index: 0).motionNoise
        for i in stride(from: 0, to: held.count, by: 97) { XCTAssertEqual(noisy[i], (1 - s) * held.values[i] + s * eps.data[i], accuracy: 1e-6) }
        // x's motion slot is noised from the held reference too, as the sampler does, not from the truth's frames.
        let sampled = objective.examples.inputs(ex, d, poseGuider: weights.poseGuider)
        let (h, w) = (sampled.inputs.shape[2], sampled.inputs.shape[3])
        for p in stride(from: 0, to: objective.examples.motionLatentFrames * h * w, by: 13) {
            for k in 0..<z {
                XCTAssertEqual(sampled.inputs.data[p * c + k], (1 - d.sigma) * held.values[p * z + k] + d.sigma * sampled.noise.data[p * z + k], accuracy: 1e-6)
            }
        }
        d.referenceStart = false
        XCTAssertEqual(motionSlot(d), Array(ex.target.values.prefix(held.count)), "otherwise the window's own first frames")

        // Runs without the options never take either (the two draws come after the others, which stay as they were).
        let plain = try DiTObjective(weights: weights, config: .tiny, samples: Self.samples, stage: 3, ratios: ConditionRatios(), batch: 1, text: Self.text)
        let a = plain.examples.draws(step: 3, index: 1)
        XCTAssertFalse(a.referenceStart); XCTAssertEqual(a.motionNoise, 0)
        XCTAssertNil(try plain.example(step: 0, index: 0).referenceStart, "no held reference is encoded without the option")
    }

    /// `selfMotion`: a continuation from the window's own frames is given the model's one-step estimate of them,
    /// x̂₀ = x_τ − τ·v(x_τ, τ) from the window noised to τ on its own stream with no motion frames, in the motion
    /// slot and in x's motion slot; reference-start samples and draws without the option keep what they had.
    func testSelfMotionGivesTheModelsOwnOneStepEstimate() throws {
        let weights = TrainingInitialization.fresh(config: .tiny, seed: 1)
        RandomWeights.fill(weights.dit, seed: 9)   // a DiT whose velocity is not zero
        let ratios = ConditionRatios(reference: 1, text: 1, audio: 1, pose: 1, motion: 1, selfMotion: 1)
        let objective = try DiTObjective(weights: weights, config: .tiny, samples: Self.samples, stage: 3, ratios: ratios, batch: 1, text: Self.text)
        let ex = try objective.example(step: 0, index: 0)
        let d = objective.examples.draws(step: 0, index: 0)
        XCTAssertTrue(d.motionOn && d.selfMotion && !d.referenceStart)
        XCTAssertTrue((0.3...0.7).contains(d.selfSigma), "\(d.selfSigma)")
        let estimate = try XCTUnwrap(objective.selfMotionLatents(ex, d))

        var pre = d
        pre.motionOn = false; pre.sigma = d.selfSigma; pre.noise = d.noise.split(2)
        let built = objective.examples.inputs(ex, pre, poseGuider: weights.poseGuider)
        let (c, z) = (built.inputs.shape[4], ModelConfig.tiny.vae.zChannels)
        XCTAssertEqual((0..<(built.inputs.count / c)).map { built.inputs.data[$0 * c + z] }.max(), 0, "no motion frames in the estimate's input")
        let v = weights.dit.velocityUncached(inputs: built.inputs, sigmas: [d.selfSigma], passes: [(d.textOn, d.audioOn)],
                                             referenceLatent: ex.reference, textStates: ex.textStates, audioFeatures: ex.audio)
        XCTAssertGreaterThan(v.values.map(abs).max()!, 1e-3)
        for i in stride(from: 0, to: estimate.count, by: 7) {
            let noisy = (1 - d.selfSigma) * ex.target.data[i] + d.selfSigma * built.noise.data[i]
            XCTAssertEqual(estimate.data[i], noisy - d.selfSigma * v.data[i], accuracy: 1e-4)
        }

        let main = objective.examples.inputs(ex, d, poseGuider: weights.poseGuider, motion: estimate)
        let (h, w) = (main.inputs.shape[2], main.inputs.shape[3])
        let slots = objective.examples.motionLatentFrames * h * w
        var differs = false
        for p in 0..<slots {
            for k in 0..<z {
                let given = estimate.data[p * z + k]
                XCTAssertEqual(main.inputs.data[p * c + z + k], given, accuracy: 1e-6)
                XCTAssertEqual(main.inputs.data[p * c + k], (1 - d.sigma) * given + d.sigma * main.noise.data[p * z + k], accuracy: 1e-5)
                differs = differs || abs(given - ex.target.data[p * z + k]) > 1e-3
            }
        }
        XCTAssertTrue(differs, "the estimate is not the truth's first frames")

        var held = d
        held.referenceStart = true
        XCTAssertNil(objective.selfMotionLatents(ex, held), "a reference-start sample keeps the held reference")
        var plain = d
        plain.selfMotion = false
        XCTAssertNil(objective.selfMotionLatents(ex, plain))
        let old = try DiTObjective(weights: weights, config: .tiny, samples: Self.samples, stage: 3, ratios: ConditionRatios(), batch: 1, text: Self.text)
        XCTAssertFalse(old.examples.draws(step: 3, index: 1).selfMotion, "runs without the option never take it")
    }

    // MARK: - Runs

    func vaeRun(_ folder: String, steps: Int) throws -> TrainingRun {
        let weights = TrainingInitialization.fresh(config: .tiny, seed: 1)
        let objective = VAEObjective(weights: weights, samples: Self.samples, batch: 2, frames: 5, crop: 16)
        objective.statisticsClips = 2
        let state = TrainingState(kind: "vae", stage: 0, totalSteps: steps, seed: 3, hyperparameters: hyperparameters(),
                                  from: nil, config: .tiny)
        return try TrainingRun(folder: folder, fresh: state, objective: objective)
    }

    func ditRun(_ folder: String, steps: Int, stage: Int = 3) throws -> TrainingRun {
        let weights = TrainingInitialization.fresh(config: .tiny, seed: 1)
        let objective = try DiTObjective(weights: weights, config: .tiny, samples: Self.samples, stage: stage, ratios: ConditionRatios(),
                                     batch: 2, text: Self.text)
        let state = TrainingState(kind: "dit", stage: stage, totalSteps: steps, seed: 3, hyperparameters: hyperparameters(),
                                  from: nil, config: .tiny)
        return try TrainingRun(folder: folder, fresh: state, objective: objective)
    }

    func testVAEResumeEqualsUninterruptedRun() throws {
        try assertResumeIsExact(vaeRun, steps: 5, stopAfter: 2, name: "vae")
    }

    func testDiTResumeEqualsUninterruptedRun() throws {
        try assertResumeIsExact({ try self.ditRun($0, steps: $1) }, steps: 4, stopAfter: 3, name: "dit")
    }

    /// The VAE's last checkpoint writes latent statistics and a fitted preview into the exported config.
    func testVAEFinishWritesLatentStatistics() throws {
        let folder = temporaryFolder("vae-stats")
        let run = try vaeRun(folder, steps: 2)
        _ = try run.run()
        let config = try ModelConfig.load(folder: run.modelFolder)
        XCTAssertNotEqual(config.vae.latentStd, ModelConfig.tiny.vae.latentStd)
        XCTAssertTrue(config.vae.latentStd.allSatisfy { $0 > 0 && $0.isFinite })
        XCTAssertTrue(config.vae.latentMean.allSatisfy(\.isFinite))
        let model = try LoadedModel.load(run.modelFolder)
        XCTAssertGreaterThan(model.vae.preview.weight.values.map(abs).max()!, 0, "preview fitted")
    }

    func testRunRefusesAFolderOfAnotherStage() throws {
        let folder = temporaryFolder("mismatch")
        _ = try ditRun(folder, steps: 1, stage: 1).run()
        XCTAssertThrowsError(try ditRun(folder, steps: 2, stage: 2)) { error in
            XCTAssertTrue("\(error)".contains(folder) && "\(error)".contains("stage 1"), "\(error)")
        }
        XCTAssertThrowsError(try vaeRun(folder, steps: 2)) { error in
            XCTAssertTrue("\(error)".contains("dit"), "\(error)")
        }
    }

    func testLearningRateWarmsUpThenFollowsACosine() throws {
        let run = try vaeRun(temporaryFolder("lr"), steps: 12)
        let h = run.state.hyperparameters
        XCTAssertEqual(run.learningRate(step: 0), h.learningRate / 2)
        XCTAssertEqual(run.learningRate(step: 1), h.learningRate)
        XCTAssertEqual(run.learningRate(step: 2), h.learningRate, accuracy: 1e-9)
        XCTAssertEqual(run.learningRate(step: 12), h.learningRate * h.finalFraction, accuracy: 1e-9)
        let rates = (2...12).map(run.learningRate(step:))
        XCTAssertEqual(rates, rates.sorted(by: >), "non-increasing after warm-up")
    }

    func testSamplesArePureFunctionsOfSeedAndStep() {
        let a = Self.samples.vaeBatch(step: 7, batch: 2, frames: 5, crop: 16)
        let b = Self.samples.vaeBatch(step: 7, batch: 2, frames: 5, crop: 16)
        let c = Self.samples.vaeBatch(step: 8, batch: 2, frames: 5, crop: 16)
        XCTAssertEqual(a.shape, [2, 5, 16, 16, 3])
        XCTAssertEqual(a.values, b.values)
        XCTAssertNotEqual(a.values, c.values)
        XCTAssertTrue(a.values.allSatisfy { $0 >= -1 && $0 <= 1 })
    }
}
