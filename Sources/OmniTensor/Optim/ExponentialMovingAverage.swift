/// An exponential moving average of parameters (`shadow ← d·shadow + (1−d)·p`), kept by checkpoint key.
/// `copy(into:)` writes the averages into the live parameters (for evaluation or export); `swap` exchanges
/// them (evaluate with EMA weights, then swap back to keep training).
public final class ExponentialMovingAverage {
    public let decay: Float
    public let parameters: [(key: String, tensor: Tensor)]
    public let shadows: [Tensor]

    public init(parameters: [(key: String, tensor: Tensor)], decay: Float = 0.999) {
        self.decay = decay
        self.parameters = parameters
        shadows = parameters.map { $0.tensor.detached() }
    }

    public func update() { update(decay: decay) }

    /// One update with another decay (e.g. the warm-up `min(decay, (1 + step) / (10 + step))`).
    public func update(decay d: Float) {
        for (shadow, (_, p)) in zip(shadows, parameters) {
            let s = shadow.data, w = p.data
            for i in 0..<p.count { s[i] = d * s[i] + (1 - d) * w[i] }
        }
    }

    public func copyIntoParameters() {
        for (shadow, (_, p)) in zip(shadows, parameters) { p.copyValues(from: shadow) }
    }

    public func swap() {
        for (shadow, (_, p)) in zip(shadows, parameters) {
            for i in 0..<p.count { let t = p.data[i]; p.data[i] = shadow.data[i]; shadow.data[i] = t }
        }
    }

    /// Named shadow tensors (`ema.<key>`) for checkpoints.
    public func state() -> [(key: String, tensor: Tensor)] {
        zip(parameters, shadows).map { pair, shadow in ("ema." + pair.key, shadow) }
    }

    public func restore(tensors: [String: Tensor]) throws(OptimizerStateError) {
        for ((key, p), shadow) in zip(parameters, shadows) {
            guard let t = tensors["ema." + key] else { throw .missing(key: "ema." + key) }
            guard t.shape == p.shape else { throw .shapeMismatch(key: "ema." + key, expected: p.shape, found: t.shape) }
            shadow.copyValues(from: t)
        }
    }
}
