import XCTest
@testable import OmniTensor

/// SplitMix64: a tiny deterministic generator for test data (independent of the library's RNG under test).
struct TestRandom {
    var state: UInt64
    init(_ seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E3779B97F4A7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58476D1CE4E5B9
        z = (z ^ (z >> 27)) &* 0x94D049BB133111EB
        return z ^ (z >> 31)
    }
    /// Uniform in [lo, hi).
    mutating func uniform(_ lo: Float = -1, _ hi: Float = 1) -> Float {
        lo + (hi - lo) * Float(next() >> 40) / Float(1 << 24)
    }
    mutating func tensor(_ shape: [Int], _ lo: Float = -1, _ hi: Float = 1) -> Tensor {
        let n = shape.reduce(1, *)
        return Tensor((0..<n).map { _ in uniform(lo, hi) }, shape: shape)
    }
}

/// Finite-difference gradient check in the manner of ggml's test-backend-ops: the scalar
/// L = Σ w ⊙ f(inputs) with fixed random weights w, analytic gradients from the tape against central
/// differences (L(x+ε) − L(x−ε)) / 2ε computed without a tape, L accumulated in Double.
///
/// Tolerance (documented, Float32 kernels): the error of one input is Σ|analytic − numeric| / Σ|numeric|,
/// the mean absolute error relative to the mean gradient magnitude; it must stay below `tolerance`
/// (default 1e-3). ε = 1e-2 balances truncation (O(ε²)) against Float32 rounding (O(1e-7/ε)).
enum GradCheck {
    @discardableResult
    static func check(_ inputs: [Tensor], epsilon: Float = 1e-2, tolerance: Double = 1e-3, seed: UInt64 = 7,
                      file: StaticString = #filePath, line: UInt = #line,
                      _ f: ([Tensor]) -> Tensor) -> [Double] {
        for x in inputs { x.requiresGrad = true; x.zeroGrad() }
        var rng = TestRandom(seed)
        let probe = f(inputs)
        let weights = rng.tensor(probe.shape, -1, 1)

        func loss() -> Double {
            let out = f(inputs)
            var s = 0.0
            for i in 0..<out.count { s += Double(out.data[i]) * Double(weights.data[i]) }
            return s
        }

        let tape = Tape()
        tape.recording {
            let out = f(inputs)
            tape.backward(from: out, seed: weights)
        }
        var errors: [Double] = []
        for (k, x) in inputs.enumerated() {
            let analytic = x.grad?.values ?? [Float](repeating: 0, count: x.count)
            var numeric = [Double](repeating: 0, count: x.count)
            for i in 0..<x.count {
                let saved = x.data[i]
                x.data[i] = saved + epsilon
                let plus = loss()
                x.data[i] = saved - epsilon
                let minus = loss()
                x.data[i] = saved
                numeric[i] = (plus - minus) / (2 * Double(epsilon))
            }
            var diff = 0.0, scale = 0.0
            for i in 0..<x.count { diff += abs(Double(analytic[i]) - numeric[i]); scale += abs(numeric[i]) }
            let error = scale > 1e-12 ? diff / scale : diff
            errors.append(error)
            XCTAssertLessThan(error, tolerance, "input \(k) \(x.shape): relative gradient error \(error)", file: file, line: line)
        }
        for x in inputs { x.requiresGrad = false; x.zeroGrad() }
        return errors
    }
}
