import Foundation
import OmniModel
import OmniTensor
@testable import OmniTrain
import XCTest

/// The trainer on the tiny config: each stage's loss falls on a fixed puppet batch, resumed runs equal
/// uninterrupted ones bit for bit, and runs refuse folders of another kind.
final class TrainerTests: XCTestCase {
    /// Deterministic stand-in for MiniLM (tests must not depend on the 90 MB encoder): each word maps to a seeded
    /// random 384-vector, framed by [CLS]/[SEP]-like rows — different captions give different states.
    static func text(_ caption: String) -> Tensor {
        let words = caption.lowercased().split(whereSeparator: { !$0.isLetter })
        let rows = min(16, words.count + 2)
        let t = Tensor(zeros: [rows, 384])
        for r in 0..<rows {
            var hash: UInt64 = 1469598103934665603
            let word = r == 0 ? "[cls]" : (r == rows - 1 ? "[sep]" : String(words[r - 1]))
            for b in word.utf8 { hash = (hash ^ UInt64(b)) &* 1099511628211 }
            let rng = RandomStream(seed: hash)
            rng.fillNormal(UnsafeMutableBufferPointer(start: t.data + r * 384, count: 384))
        }
        return t
    }

    static let samples = PuppetSamples(seed: 3, sizes: ModelConfig.tiny.video.sizes, fps: ModelConfig.tiny.video.fps)

    /// Optimises `objective` on step 0's batch only (same clips, σ, noise and dropout every time) and returns
    /// the first and last losses.
    func overfit(_ objective: TrainingObjective, steps: Int, learningRate: Float) throws -> (first: Double, last: Double) {
        let optimizer = AdamW(parameters: objective.parameters, .init(learningRate: learningRate, weightDecay: 0))
        var profile = TrainingProfile()
        var losses: [Double] = []
        for _ in 0..<steps {
            losses.append(try objective.accumulateGradients(step: 0, profile: &profile)["loss"]!)
            GradientClipping.clip(objective.parameters, maxNorm: 1)
            optimizer.update()
            optimizer.zeroGrad()
        }
        XCTAssertTrue(losses.allSatisfy(\.isFinite), "losses \(losses)")
        return (losses[0], losses.last!)
    }

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

    /// Central finite differences (ε = 1e-2) against the tape's gradient for the largest-gradient entry of every
    /// trained tensor; relative error |a − n| / (|a| + |n|) below 5 % (Float32 forward passes of a deep model).
    func assertGradientsMatch(_ parameters: [(key: String, tensor: Tensor)], _ loss: () -> Tensor,
                              file: StaticString = #filePath, line: UInt = #line) {
        let tape = Tape()
        tape.backward(from: tape.recording { loss() })
        var checked = 0
        for (key, t) in parameters {
            guard let g = t.grad?.values, let i = g.indices.max(by: { abs(g[$0]) < abs(g[$1]) }), abs(g[i]) > 1e-4 else { continue }
            // The loss is Float32 (rounding ~1e-7 of its value): the step must move it well above that, so a small
            // gradient gets a larger step (ε·|g| ≥ 1e-5), up to 0.1.
            let epsilon = min(0.1, max(1e-2, 1e-5 / abs(g[i])))
            let old = t.data[i]
            t.data[i] = old + epsilon; let up = Double(loss().item)
            t.data[i] = old - epsilon; let down = Double(loss().item)
            t.data[i] = old
            let numeric = (up - down) / Double(2 * epsilon)
            XCTAssertLessThan(abs(numeric - Double(g[i])) / (abs(numeric) + abs(Double(g[i]))), 0.05,
                              "\(key)[\(i)]: tape \(g[i]), finite differences \(numeric)", file: file, line: line)
            checked += 1
        }
        XCTAssertGreaterThan(checked, parameters.count / 2, "most tensors carry gradient", file: file, line: line)
    }

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
            objective.loss(example, sigma: 0.6, noise: RandomStream(seed: 4), referenceOn: true, textOn: true, audioOn: true,
                           poseOn: true, motionOn: true)
        }
    }

    // MARK: - Runs

    func temporaryFolder(_ name: String) -> String {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("omnistudio-train-\(name)-\(getpid())").path
        try? FileManager.default.removeItem(atPath: path)
        addTeardownBlock { try? FileManager.default.removeItem(atPath: path) }
        return path
    }

    func hyperparameters() -> TrainingHyperparameters {
        TrainingHyperparameters(batch: 2, learningRate: 2e-3, warmupSteps: 2, checkpointEvery: 3)
    }

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

    /// Stops a run after `stopAfter` steps (as Ctrl-C does), reopens the folder with fresh objects, finishes it,
    /// and compares every weight, optimiser moment, EMA shadow and logged loss with an uninterrupted run.
    func assertResumeIsExact(_ make: (String, Int) throws -> TrainingRun, steps: Int, stopAfter: Int, name: String) throws {
        let whole = try make(temporaryFolder(name + "-whole"), steps)
        XCTAssertEqual(try whole.run(), .finished)

        let folder = temporaryFolder(name + "-resumed")
        let first = try make(folder, steps)
        var calls = 0
        XCTAssertEqual(try first.run(shouldStop: { calls += 1; return calls >= stopAfter }), .interrupted)
        XCTAssertEqual(first.state.step, stopAfter)
        let second = try make(folder, steps)
        XCTAssertEqual(second.state.step, stopAfter, "resumes at the checkpoint")
        XCTAssertEqual(try second.run(), .finished)

        XCTAssertEqual(second.state.step, whole.state.step)
        for ((key, a), (_, b)) in zip(whole.objective.weights.namedTensors(), second.objective.weights.namedTensors()) {
            XCTAssertEqual(a.values, b.values, "\(name): weight \(key) differs after resume")
        }
        for ((key, a), (_, b)) in zip(whole.optimizer.state().tensors + whole.ema.state(), second.optimizer.state().tensors + second.ema.state()) {
            XCTAssertEqual(a.values, b.values, "\(name): \(key) differs after resume")
        }
        XCTAssertEqual(whole.optimizer.state().step, second.optimizer.state().step)
        let a = whole.log.entries(), b = second.log.entries()
        XCTAssertEqual(a.map(\.step), Array(1...steps))
        XCTAssertEqual(a.map(\.step), b.map(\.step), "\(name): log steps")
        XCTAssertEqual(a.map(\.loss), b.map(\.loss), "\(name): logged losses")
        // The exported EMA model folders are identical too.
        let exportA = try Data(contentsOf: URL(fileURLWithPath: whole.modelFolder + "/model.safetensors"))
        let exportB = try Data(contentsOf: URL(fileURLWithPath: second.modelFolder + "/model.safetensors"))
        XCTAssertEqual(exportA, exportB, "\(name): exported model")
        let leftovers = try FileManager.default.contentsOfDirectory(atPath: folder).filter { $0.hasSuffix(".tmp") || $0.hasPrefix(".") }
        XCTAssertEqual(leftovers, [], "no temporary files left")
        for file in ["state.json", "checkpoint.safetensors", "train.jsonl", "loss.png", "model/config.json", "model/model.safetensors"] {
            XCTAssertTrue(FileManager.default.fileExists(atPath: folder + "/" + file), "\(file) written")
        }
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
