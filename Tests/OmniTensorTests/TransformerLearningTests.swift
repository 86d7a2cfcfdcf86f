import XCTest
@testable import OmniTensor

/// A pre-norm transformer block: attention (fused QKV) and a GELU MLP, each with a residual.
private final class ToyBlock: Module {
    let norm1: LayerNorm
    let qkv: Linear
    let proj: Linear
    let norm2: LayerNorm
    let fc1: Linear
    let fc2: Linear
    let heads: Int

    init(width: Int, heads: Int, rng: RandomStream) {
        self.heads = heads
        norm1 = LayerNorm(width); norm2 = LayerNorm(width)
        qkv = Linear(width, 3 * width); proj = Linear(width, width)
        fc1 = Linear(width, 2 * width); fc2 = Linear(2 * width, width)
        for (key, t) in namedTensors() where key.hasSuffix("weight") && t.rank == 2 {
            Initialization.xavierUniform(t, fanIn: t.shape[1], fanOut: t.shape[0], Initialization.stream(for: key, rng))
        }
    }

    func callAsFunction(_ x: Tensor) -> Tensor {
        let (b, l, w) = (x.shape[0], x.shape[1], x.shape[2])
        let parts = qkv(norm1(x)).split([w, w, w], axis: -1).map { $0.reshaped([b, l, heads, w / heads]) }
        let attended = Tensor.attention(query: parts[0], key: parts[1], value: parts[2]).reshaped([b, l, w])
        let h = x + proj(attended)
        return h + fc2(fc1(norm2(h)).gelu())
    }
}

private final class ToyTransformer: Module {
    let input: Linear
    let position: Tensor
    let blocks: [ToyBlock]
    let head: Linear

    init(features: Int, length: Int, width: Int, rng: RandomStream) {
        input = Linear(features, width)
        position = Tensor(zeros: [length, width])
        position.requiresGrad = true
        blocks = (0..<2).map { ToyBlock(width: width, heads: 2, rng: rng.split(UInt64($0))) }
        head = Linear(width, features)
        Initialization.xavierUniform(input.weight, fanIn: features, fanOut: width, rng.split(100))
        Initialization.normal(position, std: 0.5, rng.split(101))
        Initialization.xavierUniform(head.weight, fanIn: width, fanOut: features, rng.split(102))
    }

    func callAsFunction(_ x: Tensor) -> Tensor {
        var h = input(x) + position
        for block in blocks { h = block(h) }
        return head(h)
    }
}

final class TransformerLearningTests: XCTestCase {
    /// Two transformer blocks learn to reverse a sequence of vectors — a task only attention with positional
    /// information can solve. Proves tape, attention backward, optimiser and parameters fit together.
    func testTwoBlockTransformerLearnsToReverseASequence() {
        let batch = 32, length = 6, features = 4
        let model = ToyTransformer(features: features, length: length, width: 32, rng: RandomStream(seed: 3))
        let opt = AdamW(parameters: model.trainableParameters(), .init(learningRate: 3e-3, weightDecay: 0))
        let data = RandomStream(seed: 77)
        var first: Float = 0, last: Float = 0
        for step in 0..<300 {
            let x = Tensor(uninitialized: [batch, length, features])
            data.fillUniform(x.buffer, startingAt: UInt64(step * x.count), low: -1, high: 1)
            let target = Tensor(uninitialized: x.shape)
            for b in 0..<batch {
                for t in 0..<length {
                    for f in 0..<features {
                        target.data[(b * length + t) * features + f] = x.data[(b * length + (length - 1 - t)) * features + f]
                    }
                }
            }
            let tape = Tape()
            let loss = tape.recording { () -> Tensor in
                let l = model(x).mseLoss(target)
                tape.backward(from: l)
                return l
            }
            GradientClipping.clip(opt.parameters, maxNorm: 1)
            opt.update()
            opt.zeroGrad()
            if step == 0 { first = loss.item }
            last = loss.item
        }
        print("transformer reversal: loss \(first) → \(last) in 300 steps")
        XCTAssertLessThan(last, 0.03, "reversal loss went from \(first) to \(last)")
        XCTAssertLessThan(last, first / 8)
    }
}
