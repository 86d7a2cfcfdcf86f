import XCTest
@testable import OmniTensor

/// The fused adaLN ops against the unfused composition they replace, and their gradients by finite differences.
final class ModulationTests: XCTestCase {
    var rng = TestRandom(11)

    /// Largest absolute difference and largest magnitude of `b` (for a relative bound).
    func maxDifference(_ a: Tensor, _ b: Tensor) -> (difference: Float, scale: Float) {
        XCTAssertEqual(a.shape, b.shape)
        var d: Float = 0, m: Float = 0
        for i in 0..<min(a.count, b.count) { d = max(d, abs(a.data[i] - b.data[i])); m = max(m, abs(b.data[i])) }
        return (d, m)
    }

    func testModulatedLayerNormEqualsNormThenModulate() {
        // Odd widths and a multi-thread row count (rows · C above the parallel grain).
        for shape in [[1, 1, 5], [2, 3, 7], [3, 300, 64]] {
            let (b, c) = (shape[0], shape[2])
            let x = rng.tensor(shape, -3, 3), shift = rng.tensor([b, 1, c]), scale = rng.tensor([b, 1, c])
            let fused = x.modulatedLayerNorm(shift: shift, scale: scale, epsilon: 1e-6)
            let unfused = x.layerNorm(epsilon: 1e-6) * scale.adding(1) + shift
            let (d, m) = maxDifference(fused, unfused)
            XCTAssertLessThan(d, 1e-5 * max(m, 1), "shape \(shape)")
        }
    }

    func testGatedResidualEqualsMultiplyThenAdd() {
        for shape in [[1, 1, 3], [2, 5, 9], [3, 300, 64]] {
            let (b, c) = (shape[0], shape[2])
            let x = rng.tensor(shape), update = rng.tensor(shape), gate = rng.tensor([b, 1, c])
            let fused = x.gatedResidual(gate: gate, update: update)
            let unfused = x + gate * update
            let (d, _) = maxDifference(fused, unfused)
            XCTAssertEqual(d, 0, "shape \(shape): one multiply and one add, rounded the same way")
        }
    }

    func testModulatedLayerNormGradients() {
        for shape in [[1, 3, 5], [2, 3, 7]] {
            let (b, c) = (shape[0], shape[2])
            let x = rng.tensor(shape, -2, 2), shift = rng.tensor([b, 1, c]), scale = rng.tensor([b, 1, c], -0.5, 0.5)
            GradCheck.check([x, shift, scale]) { $0[0].modulatedLayerNorm(shift: $0[1], scale: $0[2]) }
        }
    }

    func testGatedResidualGradients() {
        for shape in [[1, 4, 3], [2, 3, 5]] {
            let (b, c) = (shape[0], shape[2])
            let x = rng.tensor(shape), update = rng.tensor(shape), gate = rng.tensor([b, 1, c])
            GradCheck.check([x, gate, update]) { $0[0].gatedResidual(gate: $0[1], update: $0[2]) }
        }
    }

    func testGradientsAccumulateLikeTheUnfusedOps() {
        // The same inputs used twice (as in a block, where x feeds the norm and the residual): the tape must add
        // both contributions, exactly as it does for the composed ops.
        let x = rng.tensor([2, 4, 6]), shift = rng.tensor([2, 1, 6]), scale = rng.tensor([2, 1, 6]), gate = rng.tensor([2, 1, 6])
        func gradients(_ f: (Tensor, Tensor, Tensor, Tensor) -> Tensor) -> [[Float]] {
            let inputs = [x, shift, scale, gate].map { Tensor($0.values, shape: $0.shape) }
            inputs.forEach { $0.requiresGrad = true }
            let tape = Tape()
            tape.recording {
                let y = f(inputs[0], inputs[1], inputs[2], inputs[3])
                tape.backward(from: y.sum())
            }
            return inputs.map { $0.grad?.values ?? [] }
        }
        let fused = gradients { x, sh, sc, g in x.gatedResidual(gate: g, update: x.modulatedLayerNorm(shift: sh, scale: sc)) }
        let unfused = gradients { x, sh, sc, g in x + g * (x.layerNorm(epsilon: 1e-6) * sc.adding(1) + sh) }
        for (f, u) in zip(fused, unfused) {
            XCTAssertEqual(f.count, u.count)
            for (a, b) in zip(f, u) { XCTAssertEqual(a, b, accuracy: 1e-4 * max(1, abs(b))) }
        }
    }
}
