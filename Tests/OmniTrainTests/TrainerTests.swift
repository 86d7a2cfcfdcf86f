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
