import XCTest
@testable import OmniTensor

/// Finite-difference gradient checks of the core ops on odd shapes (length-1 dimensions, non-multiples of
/// any block size).
final class CoreOpGradientTests: XCTestCase {
    var rng = TestRandom(1)

    func testBinaryOpsWithBroadcasting() {
        // Includes blocked cases (trailing dimensions agree, ≥ 16 elements): [B, L, d] ∘ [B, 1, d], [L, d] ∘ [d].
        for (sa, sb) in [([3, 5], [3, 5]), ([2, 3, 5], [5]), ([2, 3, 5], [3, 1]), ([1, 4], [3, 1]), ([7], []),
                         ([2, 3, 17], [2, 1, 17]), ([2, 1, 17], [2, 3, 17]), ([4, 16], [16]), ([3, 2, 4, 8], [3, 1, 4, 8])] {
            let a = rng.tensor(sa), b = rng.tensor(sb)
            GradCheck.check([a, b]) { $0[0] + $0[1] }
            GradCheck.check([a, b]) { $0[0] - $0[1] }
            GradCheck.check([a, b]) { $0[0] * $0[1] }
        }
    }

    func testScaleAndAddScalar() {
        let a = rng.tensor([3, 1, 4])
        GradCheck.check([a]) { $0[0].scaled(-2.5).adding(0.5) }
    }

    func testActivations() {
        let a = rng.tensor([5, 7], -3, 3)
        GradCheck.check([a]) { $0[0].silu() }
        GradCheck.check([a]) { $0[0].gelu(.erf) }
        GradCheck.check([a]) { $0[0].gelu(.tanh) }
        GradCheck.check([a]) { $0[0].sigmoid() }
        GradCheck.check([a]) { $0[0].tanh() }
        GradCheck.check([rng.tensor([9], -1, 1)]) { $0[0].exp() }
        // relu away from its kink
        let positive = Tensor((0..<6).map { Float($0) * 0.37 - 1.01 }, shape: [6])
        GradCheck.check([positive]) { $0[0].relu() }
    }

    func testLinearWithAndWithoutBias() {
        for (rows, inF, outF) in [(1, 1, 1), (5, 3, 7), (13, 17, 2)] {
            let x = rng.tensor([rows, inF]), w = rng.tensor([outF, inF]), b = rng.tensor([outF])
            GradCheck.check([x, w, b]) { $0[0].linear($0[1], $0[2]) }
            GradCheck.check([x, w]) { $0[0].linear($0[1]) }
        }
        // 3-D input: linear acts on the last dimension.
        let x = rng.tensor([2, 3, 4]), w = rng.tensor([5, 4])
        GradCheck.check([x, w]) { $0[0].linear($0[1]) }
    }

    func testMatmulAllTransposesAndBatches() {
        for ta in [false, true] {
            for tb in [false, true] {
                let a = rng.tensor(ta ? [4, 3] : [3, 4]), b = rng.tensor(tb ? [5, 4] : [4, 5])
                GradCheck.check([a, b]) { $0[0].matmul($0[1], transposeSelf: ta, transposeOther: tb) }
                let ba = rng.tensor(ta ? [2, 4, 3] : [2, 3, 4]), bb = rng.tensor(tb ? [2, 5, 4] : [2, 4, 5])
                GradCheck.check([ba, bb]) { $0[0].matmul($0[1], transposeSelf: ta, transposeOther: tb) }
                GradCheck.check([ba, b]) { $0[0].matmul($0[1], transposeSelf: ta, transposeOther: tb) }
            }
        }
    }

    func testShapeOps() {
        let a = rng.tensor([2, 3, 4])
        GradCheck.check([a]) { $0[0].reshaped([4, -1]) }
        GradCheck.check([a]) { $0[0].permuted([2, 0, 1]) }
        GradCheck.check([a]) { $0[0].slice(axis: 1, 1..<3) }
        GradCheck.check([a]) { x in let p = x[0].split([1, 3], axis: 2); return p[0] * p[1].slice(axis: 2, 2..<3) }
        let b = rng.tensor([2, 1, 4]), c = rng.tensor([2, 5, 4])
        GradCheck.check([a, b, c]) { Tensor.concat($0, axis: 1) }
        GradCheck.check([rng.tensor([3, 4]), rng.tensor([3, 1])]) { Tensor.concat($0, axis: -1) }
        let table = rng.tensor([6, 3])
        GradCheck.check([table]) { $0[0].gather([5, 0, 5, 2], shape: [2, 2]) }
    }

    func testReductionsAndLosses() {
        let a = rng.tensor([3, 4, 2])
        GradCheck.check([a]) { $0[0].sum() }
        GradCheck.check([a]) { $0[0].mean() }
        for axis in [0, 1, 2, -1] {
            GradCheck.check([a]) { $0[0].sum(axis: axis) }
            GradCheck.check([a]) { $0[0].mean(axis: axis, keepDimension: true) }
        }
        let target = rng.tensor([3, 4, 2])
        GradCheck.check([a]) { $0[0].mseLoss(target) }
        let weights = Tensor((0..<12).map { 0.5 + Float($0 % 5) }, shape: [3, 4, 1])
        GradCheck.check([a]) { $0[0].weightedMSELoss(target, weights: weights) }
        XCTAssertEqual(a.weightedMSELoss(target, weights: Tensor([Float](repeating: 1, count: 12), shape: [3, 4, 1])).item, a.mseLoss(target).item, accuracy: 1e-7)
        // Σ w·d² / (C·Σ w) by hand.
        var num = 0.0, den = 0.0
        for p in 0..<12 { for c in 0..<2 { let d = Double(a.values[2 * p + c] - target.values[2 * p + c]); num += Double(weights.values[p]) * d * d }; den += 2 * Double(weights.values[p]) }
        XCTAssertEqual(Double(a.weightedMSELoss(target, weights: weights).item), num / den, accuracy: 1e-6)
        // L1 away from its kink: the inputs differ from the target by at least 0.05.
        let shifted = Tensor(target.values.enumerated().map { $0.element + ($0.offset % 2 == 0 ? 0.3 : -0.2) }, shape: target.shape)
        GradCheck.check([shifted]) { $0[0].l1Loss(target) }
    }

    func testNormalizationsAndSoftmax() {
        // With one or two channels the norms are constant (±1): their gradient vanishes, so a relative check
        // is meaningless there; length-1 leading dimensions are still covered.
        for shape in [[1, 3], [3, 5], [2, 3, 7], [1, 1, 4]] {
            let x = rng.tensor(shape, -2, 2), c = shape.last!
            let w = rng.tensor([c], 0.5, 1.5), b = rng.tensor([c])
            GradCheck.check([x, w, b]) { $0[0].layerNorm(weight: $0[1], bias: $0[2]) }
            GradCheck.check([x]) { $0[0].layerNorm() }
            GradCheck.check([x, w]) { $0[0].rmsNorm(weight: $0[1]) }
            GradCheck.check([x]) { $0[0].softmax() }
        }
        GradCheck.check([rng.tensor([3, 1])]) { $0[0].softmax() }
    }

    func testSoftmaxOfAFullyMaskedRowIsZero() {
        let x = Tensor([-.infinity, -.infinity, 1, 2], shape: [2, 2])
        XCTAssertEqual(x.softmax().values[0..<2], [0, 0])
        XCTAssertEqual(x.softmax().values[2] + x.softmax().values[3], 1, accuracy: 1e-6)
    }
}
