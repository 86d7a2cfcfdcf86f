import OmniTensor

/// Seeded random weights for `random:` models (tests, benchmarks, a first training step): matrices
/// Normal(0, 1/fan_in) (fan_in = all but the last dimension for channels-last conv weights `[…, Cin, Cout]`,
/// the second dimension for linear weights `[out, in]`), norm gains 1 + N(0, 0.02²), biases and other vectors
/// and tables N(0, 0.02²) — every tensor from its own stream keyed by its checkpoint key.
public enum RandomWeights {
    public static func fill(_ module: any Module, seed: UInt64, vectorStd: Float = 0.02) {
        let root = RandomStream(seed: seed)
        for (key, t) in module.namedTensors() {
            let rng = Initialization.stream(for: key, root)
            if t.rank >= 2 && !key.hasSuffix("modulation") && !key.hasSuffix("Modulation") {
                let fanIn = t.rank == 2 ? t.shape[1] : t.shape.dropLast().reduce(1, *)
                Initialization.normal(t, std: 1 / Float(max(fanIn, 1)).squareRoot(), rng)
            } else if t.rank == 1 && key.hasSuffix(".weight") {
                Initialization.normal(t, std: vectorStd, rng)
                for i in 0..<t.count { t.data[i] += 1 }
            } else {
                Initialization.normal(t, std: vectorStd, rng)
            }
        }
    }
}
