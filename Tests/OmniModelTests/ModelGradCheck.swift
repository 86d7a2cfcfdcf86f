import XCTest
import OmniTensor

/// Finite-difference gradient check for model-level losses (after Tests/OmniTensorTests/GradCheck.swift):
/// the analytic gradient of a scalar loss from the tape against central differences
/// (L(p + ε) − L(p − ε)) / 2ε at a few sampled elements of each parameter, the loss evaluated in Double by
/// `numericLoss`. The error of one parameter is Σ|analytic − numeric| / Σ|numeric| over its sampled elements.
enum ModelGradCheck {
    /// `loss` builds the scalar loss tensor (recorded on the tape); `numericLoss` evaluates the same loss
    /// without a tape in Double. Checks `samples` evenly spread elements of every parameter.
    @discardableResult
    static func check(_ parameters: [(name: String, tensor: Tensor)], samples: Int = 8, epsilon: Float = 1e-2,
                      tolerance: Double = 1e-2, file: StaticString = #filePath, line: UInt = #line,
                      loss: () -> Tensor, numericLoss: () -> Double) -> [Double] {
        for (_, p) in parameters { p.zeroGrad() }
        let tape = Tape()
        tape.recording {
            let l = loss()
            tape.backward(from: l)
        }
        var errors: [Double] = []
        for (name, p) in parameters {
            let analytic = p.grad?.values ?? [Float](repeating: 0, count: p.count)
            let step = max(1, p.count / samples)
            var diff = 0.0, scale = 0.0
            for i in stride(from: step / 2, to: p.count, by: step).prefix(samples) {
                let saved = p.data[i]
                p.data[i] = saved + epsilon
                let plus = numericLoss()
                p.data[i] = saved - epsilon
                let minus = numericLoss()
                p.data[i] = saved
                let numeric = (plus - minus) / (2 * Double(epsilon))
                diff += abs(Double(analytic[i]) - numeric)
                scale += abs(numeric)
            }
            let error = scale > 1e-12 ? diff / scale : diff
            errors.append(error)
            XCTAssertGreaterThan(scale, 1e-9, "\(name): the loss does not depend on it", file: file, line: line)
            XCTAssertLessThan(error, tolerance, "\(name) \(p.shape): relative gradient error \(error)", file: file, line: line)
        }
        for (_, p) in parameters { p.zeroGrad() }
        return errors
    }
}
