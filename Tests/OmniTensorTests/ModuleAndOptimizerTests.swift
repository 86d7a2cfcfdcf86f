import XCTest
@testable import OmniTensor

private final class Block: Module {
    let norm = RMSNorm(4)
    @ModuleKey("self") var attention = Linear(4, 12)
    let scale: Float = 2          // not a tensor: ignored
}

private final class Net: Module {
    let embed = Embedding(10, 4)
    let blocks: [Block] = [Block(), Block()]
    let head = Linear(4, 3, bias: false)
    let extra: Linear? = nil
    let buffer = Tensor(zeros: [2])
}

/// A two-layer MLP: Linear → SiLU → Linear.
final class MLP: Module {
    let fc1: Linear
    let fc2: Linear
    init(_ input: Int, _ hidden: Int, _ output: Int, rng: inout TestRandom) {
        fc1 = Linear(input, hidden)
        fc2 = Linear(hidden, output)
        for (_, t) in [fc1.weight, fc2.weight].map({ ("", $0) }) {
            let bound = 1 / Float(t.shape[1]).squareRoot()
            for i in 0..<t.count { t.data[i] = rng.uniform(-bound, bound) }
        }
    }
    func callAsFunction(_ x: Tensor) -> Tensor { fc2(fc1(x).silu()) }
}

final class ModuleAndOptimizerTests: XCTestCase {
    func testCheckpointKeysEqualTheStructure() {
        let keys = Net().namedTensors().map(\.key)
        XCTAssertEqual(keys, [
            "embed.weight",
            "blocks.0.norm.weight", "blocks.0.self.weight", "blocks.0.self.bias",
            "blocks.1.norm.weight", "blocks.1.self.weight", "blocks.1.self.bias",
            "head.weight",
            "buffer",
        ])
        let net = Net()
        XCTAssertEqual(net.trainableParameters().count, 8)   // the buffer does not train
        XCTAssertEqual(net.parameterCount, 40 + 2 * (4 + 48 + 12) + 12 + 2)
    }

    func testAdamWFirstStepMatchesTheFormula() {
        let p = Tensor([1, -2], shape: [2]), w = Tensor([0.5, 0.5, 0.5, 0.5], shape: [2, 2])
        p.requiresGrad = true; w.requiresGrad = true
        p.gradData()[0] = 0.1; p.gradData()[1] = -0.3
        for i in 0..<4 { w.gradData()[i] = 1 }
        let h = AdamW.Hyperparameters(learningRate: 0.01, weightDecay: 0.1)
        let opt = AdamW(parameters: [("p", p), ("w", w)], h)
        opt.update()
        // Step 1: m̂ = g, v̂ = g², update = g/(|g|+ε) ≈ sign(g); rank-1 p has no decay, w does.
        XCTAssertEqual(p.values[0], 1 - 0.01 * (0.1 / (0.1 + 1e-8)), accuracy: 1e-6)
        XCTAssertEqual(p.values[1], -2 + 0.01 * (0.3 / (0.3 + 1e-8)), accuracy: 1e-6)
        XCTAssertEqual(w.values[0], 0.5 - 0.01 * (1 + 0.1 * 0.5), accuracy: 1e-6)
    }

    func testClippingScheduleAndEMA() {
        let a = Tensor([0, 0], shape: [2]); a.requiresGrad = true
        a.gradData()[0] = 3; a.gradData()[1] = 4
        XCTAssertEqual(GradientClipping.clip([("a", a)], maxNorm: 1), 5, accuracy: 1e-6)
        XCTAssertEqual(a.grad!.values[0], 0.6, accuracy: 1e-6)
        XCTAssertEqual(a.grad!.values[1], 0.8, accuracy: 1e-6)

        let s = LearningRateSchedule(peak: 1, floor: 0.1, warmupSteps: 10, totalSteps: 110)
        XCTAssertEqual(s.rate(at: 5), 0.5, accuracy: 1e-6)
        XCTAssertEqual(s.rate(at: 10), 1, accuracy: 1e-6)
        XCTAssertEqual(s.rate(at: 60), 0.55, accuracy: 1e-6)
        XCTAssertEqual(s.rate(at: 110), 0.1, accuracy: 1e-6)
        XCTAssertEqual(s.rate(at: 500), 0.1, accuracy: 1e-6)

        let p = Tensor([1], shape: [1])
        let ema = ExponentialMovingAverage(parameters: [("p", p)], decay: 0.5)
        p.data[0] = 3; ema.update()    // 0.5·1 + 0.5·3 = 2
        p.data[0] = 4; ema.update()    // 0.5·2 + 0.5·4 = 3
        XCTAssertEqual(ema.shadows[0].values, [3])
        ema.swap()
        XCTAssertEqual(p.values, [3])
        XCTAssertEqual(ema.shadows[0].values, [4])
    }

    func testOptimizerStateRestoresExactly() throws {
        var rng = TestRandom(3)
        let x = rng.tensor([16, 2]), y = rng.tensor([16, 1])
        func run(steps: Int, restartAt: Int?) throws -> [Float] {
            var r = TestRandom(11)
            var model = MLP(2, 8, 1, rng: &r)
            var opt = AdamW(parameters: model.trainableParameters(), .init(learningRate: 0.01))
            for step in 0..<steps {
                if step == restartAt {
                    // Save, rebuild everything from scratch, restore.
                    let (moments, count) = opt.state()
                    let weights = model.namedTensors().map { ($0.key, $0.tensor.detached()) }
                    var fresh = TestRandom(99)
                    model = MLP(2, 8, 1, rng: &fresh)
                    for ((_, t), (_, saved)) in zip(model.namedTensors(), weights) { t.copyValues(from: saved) }
                    opt = AdamW(parameters: model.trainableParameters(), .init(learningRate: 0.01))
                    try opt.restore(tensors: Dictionary(uniqueKeysWithValues: moments.map { ($0.key, $0.tensor.detached()) }), step: count)
                }
                let tape = Tape()
                tape.recording { tape.backward(from: model(x).mseLoss(y)) }
                opt.update()
                opt.zeroGrad()
            }
            return model.namedTensors().flatMap { $0.tensor.values }
        }
        XCTAssertEqual(try run(steps: 20, restartAt: nil), try run(steps: 20, restartAt: 9))
    }

    /// The tape, the optimiser and the parameters fit together: an MLP learns y = sin(3·x₁)·x₂.
    func testMLPLearnsAToyFunction() {
        var rng = TestRandom(5)
        let n = 128
        let x = rng.tensor([n, 2])
        let y = Tensor((0..<n).map { sin(3 * x.data[2 * $0]) * x.data[2 * $0 + 1] }, shape: [n, 1])
        let model = MLP(2, 32, 1, rng: &rng)
        let opt = AdamW(parameters: model.trainableParameters(), .init(learningRate: 0.01, weightDecay: 0))
        var first: Float = 0, last: Float = 0
        for step in 0..<400 {
            let tape = Tape()
            let loss = tape.recording { () -> Tensor in
                let l = model(x).mseLoss(y)
                tape.backward(from: l)
                return l
            }
            if step == 0 { first = loss.item }
            last = loss.item
            opt.update()
            opt.zeroGrad()
        }
        print("MLP toy function: loss \(first) → \(last) in 400 steps")
        XCTAssertLessThan(last, 0.01, "MLP loss went from \(first) to \(last)")
        XCTAssertLessThan(last, first / 10)
    }

    func testInferenceRecordsNothingAndKeepsNothing() {
        var rng = TestRandom(2)
        let model = MLP(2, 4, 1, rng: &rng)
        let out = model(rng.tensor([3, 2]))
        XCTAssertFalse(out.requiresGrad)
        for (_, t) in model.namedTensors() { XCTAssertNil(t.grad) }
        let tape = Tape()
        tape.recording { _ = model(rng.tensor([3, 2])) }
        XCTAssertEqual(tape.count, 3)   // linear, silu, linear: recorded only under a tape
    }
}
