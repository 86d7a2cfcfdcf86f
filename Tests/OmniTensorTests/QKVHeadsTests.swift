import XCTest
@testable import OmniTensor

/// `qkvHeads` against the ops it replaces (split → rmsNorm → reshaped → rope3D), forward bit for bit and
/// backward to rounding, and its gradients by finite differences.
final class QKVHeadsTests: XCTestCase {
    var rng = TestRandom(23)

    /// The unfused composition, as the DiT block computed it before.
    func unfused(_ x: Tensor, heads: Int, wq: Tensor, wk: Tensor, rope: RoPETable) -> (Tensor, Tensor, Tensor) {
        let (b, l, d) = (x.shape[0], x.shape[1], x.shape[2] / 3)
        let parts = x.split([d, d, d], axis: -1)
        let shape = [b, l, heads, d / heads]
        return (parts[0].rmsNorm(weight: wq, epsilon: 1e-6).reshaped(shape).rope3D(rope),
                parts[1].rmsNorm(weight: wk, epsilon: 1e-6).reshaped(shape).rope3D(rope),
                parts[2].reshaped(shape))
    }

    func table(_ l: Int, headDimension: Int) -> RoPETable {
        RoPETable(positions: (0..<l).map { ($0 / 6, ($0 / 3) % 2, $0 % 3) }, headDimension: headDimension)
    }

    func testEqualsSplitNormRotateBitForBit() {
        // One token; a batch of two; a row count above the parallel grain (two workers).
        for (b, l, heads, hd) in [(1, 1, 1, 6), (2, 5, 2, 12), (1, 300, 4, 12)] {
            let d = heads * hd
            let x = rng.tensor([b, l, 3 * d], -3, 3), wq = rng.tensor([d], 0.5, 1.5), wk = rng.tensor([d], 0.5, 1.5)
            let rope = table(l, headDimension: hd)
            let fused = x.qkvHeads(heads: heads, queryNorm: wq, keyNorm: wk, epsilon: 1e-6, rope: rope)
            let (q, k, v) = unfused(x, heads: heads, wq: wq, wk: wk, rope: rope)
            XCTAssertEqual(fused.query.shape, [b, l, heads, hd])
            XCTAssertEqual(fused.query.values, q.values, "query \(b)×\(l)×\(heads)×\(hd)")
            XCTAssertEqual(fused.key.values, k.values, "key \(b)×\(l)×\(heads)×\(hd)")
            XCTAssertEqual(fused.value.values, v.values, "value \(b)×\(l)×\(heads)×\(hd)")
        }
    }

    func testGradientsEqualTheUnfusedOps() {
        let (b, l, heads, hd) = (2, 7, 2, 6), d = 12
        let x = rng.tensor([b, l, 3 * d], -2, 2), wq = rng.tensor([d], 0.5, 1.5), wk = rng.tensor([d], 0.5, 1.5)
        let rope = table(l, headDimension: hd)
        let seeds = (0..<3).map { _ in rng.tensor([b, l, heads, hd]) }
        func gradients(_ f: (Tensor, Tensor, Tensor) -> (Tensor, Tensor, Tensor)) -> [[Float]] {
            let inputs = [x, wq, wk].map { Tensor($0.values, shape: $0.shape) }
            inputs.forEach { $0.requiresGrad = true }
            let tape = Tape()
            tape.recording {
                let (q, k, v) = f(inputs[0], inputs[1], inputs[2])
                // One scalar reading all three outputs, so each output's backward runs.
                tape.backward(from: ((q * seeds[0]).sum() + (k * seeds[1]).sum() + (v * seeds[2]).sum()))
            }
            return inputs.map { $0.grad?.values ?? [] }
        }
        let fused = gradients { x, wq, wk in
            let r = x.qkvHeads(heads: heads, queryNorm: wq, keyNorm: wk, epsilon: 1e-6, rope: rope)
            return (r.query, r.key, r.value)
        }
        let reference = gradients { x, wq, wk in unfused(x, heads: heads, wq: wq, wk: wk, rope: rope) }
        for (name, (f, u)) in zip(["x", "queryNorm", "keyNorm"], zip(fused, reference)) {
            XCTAssertEqual(f.count, u.count, name)
            XCTAssertTrue(u.contains { $0 != 0 }, "\(name): the reference gradient is not all zero")
            for (a, e) in zip(f, u) { XCTAssertEqual(a, e, accuracy: 1e-5 * max(1, abs(e)), name) }
        }
    }

    func testGradientsByFiniteDifferences() {
        let (l, heads, hd) = (3, 2, 6), d = 12
        let x = rng.tensor([1, l, 3 * d], -2, 2), wq = rng.tensor([d], 0.5, 1.5), wk = rng.tensor([d], 0.5, 1.5)
        let rope = table(l, headDimension: hd)
        for output in 0..<3 {
            GradCheck.check([x, wq, wk]) { inputs in
                let r = inputs[0].qkvHeads(heads: heads, queryNorm: inputs[1], keyNorm: inputs[2], epsilon: 1e-6, rope: rope)
                return [r.query, r.key, r.value][output]
            }
        }
    }
}
