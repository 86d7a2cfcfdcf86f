import Foundation
import OmniTensor

/// σ ∈ [0, 1] → sinusoidal features of 1000·σ (`width` values: cosines then sines) → Linear → SiLU → Linear.
/// Keys: `fc1`, `fc2`.
public final class TimestepEmbedding: Module {
    public let fc1: Linear
    public let fc2: Linear
    let frequencies: Int

    public init(frequencyWidth: Int, width: Int) {
        precondition(frequencyWidth % 2 == 0)
        frequencies = frequencyWidth
        fc1 = Linear(frequencyWidth, width)
        fc2 = Linear(width, width)
    }

    /// `[B]` sigmas → `[B, width]`.
    public func callAsFunction(_ sigmas: [Float]) -> Tensor {
        let half = frequencies / 2
        var values = [Float](repeating: 0, count: sigmas.count * frequencies)
        for (b, sigma) in sigmas.enumerated() {
            let t = Double(sigma) * 1000
            for i in 0..<half {
                let angle = t * exp(-log(10000.0) * Double(i) / Double(half))
                values[b * frequencies + i] = Float(cos(angle))
                values[b * frequencies + half + i] = Float(sin(angle))
            }
        }
        return fc2(fc1(Tensor(values, shape: [sigmas.count, frequencies])).silu())
    }
}
