import COmniKernels
import Foundation
import XCTest
@testable import OmniTensor

/// COmniKernels (the 16-lane C loops, run here at this machine's x86-64 level) against scalar Swift written
/// with the same operations in the same order, which the compiler builds for the baseline: equal bits mean the
/// chosen level computes what every level does. Lengths cover empty rows, partial vectors and several vectors.
final class VectorKernelTests: XCTestCase {
    var rng = TestRandom(23)
    let lengths = [0, 1, 7, 15, 16, 17, 31, 33, 64, 100, 533]

    func values(_ n: Int, _ lo: Float, _ hi: Float) -> [Float] { (0..<n).map { _ in rng.uniform(lo, hi) } }

    /// The kernels' sum order: lane l adds elements l, l + 16, …; then 16 → 8 lanes pairwise, then a fixed tree.
    func laneSum(_ x: [Float]) -> Float {
        var lanes = [Float](repeating: 0, count: 16)
        for (i, v) in x.enumerated() { lanes[i % 16] += v }
        let h = (0..<8).map { lanes[$0] + lanes[$0 + 8] }
        return ((h[0] + h[4]) + (h[2] + h[6])) + ((h[1] + h[5]) + (h[3] + h[7]))
    }

    func testSoftmaxRowIsFastExpOfShiftedLogitsBitForBit() {
        for n in lengths where n > 0 {
            let logits = values(n, -30, 30), bias = (0..<n).map { $0 % 5 == 3 ? -Float.infinity : rng.uniform(-2, 2) }
            for withBias in [false, true] {
                var row = logits, lse: Float = 0, inv: Float = 0
                bias.withUnsafeBufferPointer { b in omni_softmax_row(&row, n, withBias ? b.baseAddress : nil, &lse, &inv) }
                let shifted = withBias ? zip(logits, bias).map { $0 + $1 } : logits
                let m = shifted.max()!
                let expected = shifted.map { fastExp($0 - m) }
                XCTAssertEqual(row, expected, "n \(n) bias \(withBias)")
                XCTAssertEqual(inv, 1 / laneSum(expected), "n \(n)")
                XCTAssertEqual(lse, m + log(laneSum(expected)), "n \(n)")
                // And it is the softmax: against Double.
                let d = shifted.map { Foundation.exp(Double($0) - Double(m)) }, total = d.reduce(0, +)
                for i in 0..<n { XCTAssertEqual(Double(row[i] * inv), d[i] / total, accuracy: 1e-6) }

                var again = logits
                bias.withUnsafeBufferPointer { b in omni_probability_row(&again, n, withBias ? b.baseAddress : nil, lse) }
                for i in 0..<n { XCTAssertEqual(again[i], row[i] * inv, accuracy: 1e-6, "probability row n \(n)") }
            }
        }
    }

    func testFullyMaskedRowIsZeros() {
        var row: [Float] = [1, 2, 3], bias = [Float](repeating: -.infinity, count: 3), lse: Float = 0, inv: Float = 1
        omni_softmax_row(&row, 3, &bias, &lse, &inv)
        XCTAssertEqual(row, [0, 0, 0]); XCTAssertEqual(lse, -.infinity); XCTAssertEqual(inv, 0)
        var again: [Float] = [1, 2, 3]
        omni_probability_row(&again, 3, nil, -.infinity)
        XCTAssertEqual(again, [0, 0, 0])
    }

    func testActivationsEqualScalarFormulasBitForBit() {
        let c2: Float = 2 * 0.79788456080286536, k: Float = 0.044715
        for n in lengths {
            let x = values(n, -12, 12), g = values(n, -1, 1), start = values(n, -1, 1)
            var y = [Float](repeating: .nan, count: n)
            omni_gelu_tanh(x, &y, n)
            XCTAssertEqual(y, x.map { $0 * fastSigmoid(c2 * ($0 + k * $0 * $0 * $0)) }, "gelu n \(n)")
            omni_silu(x, &y, n)
            XCTAssertEqual(y, x.map { $0 * fastSigmoid($0) }, "silu n \(n)")

            var gx = start
            omni_gelu_tanh_backward(x, g, &gx, n)
            XCTAssertEqual(gx, (0..<n).map { i -> Float in
                let v = x[i], s = fastSigmoid(c2 * (v + k * v * v * v))
                return start[i] + g[i] * (s + v * s * (1 - s) * c2 * (1 + 3 * k * v * v))
            }, "gelu backward n \(n)")
            gx = start
            omni_silu_backward(x, g, &gx, n)
            XCTAssertEqual(gx, (0..<n).map { i -> Float in
                let s = fastSigmoid(x[i]); return start[i] + g[i] * s * (1 + x[i] * (1 - s))
            }, "silu backward n \(n)")
        }
    }

    func testReductionsInTheirFixedOrder() {
        for n in lengths {
            let x = values(n, -5, 5), c: Float = 0.375
            XCTAssertEqual(omni_sum(x, n), laneSum(x), "sum n \(n)")
            XCTAssertEqual(omni_sum_squared_deviations(x, n, c), laneSum(x.map { ($0 - c) * ($0 - c) }), "deviations n \(n)")
            XCTAssertEqual(Double(omni_sum(x, n)), x.map(Double.init).reduce(0, +), accuracy: 1e-4)
        }
    }
}
