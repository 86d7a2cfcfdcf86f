import Foundation
import OmniModel
import OmniTensor
@testable import OmniTrain
import XCTest

/// What the trainer tests share: a stand-in text encoder, fixed puppet samples, overfitting a fixed batch,
/// finite-difference gradient checks, temporary run folders and the stop-and-resume comparison.
class TrainingTestCase: XCTestCase {
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

    func temporaryFolder(_ name: String) -> String {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("omnistudio-train-\(name)-\(getpid())").path
        try? FileManager.default.removeItem(atPath: path)
        addTeardownBlock { try? FileManager.default.removeItem(atPath: path) }
        return path
    }

    func hyperparameters() -> TrainingHyperparameters {
        TrainingHyperparameters(batch: 2, learningRate: 2e-3, warmupSteps: 2, checkpointEvery: 3)
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
}
