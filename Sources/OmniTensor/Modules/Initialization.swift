/// Seeded weight initialisation. Give each tensor its own child stream (`stream(for: key, rng)`), so adding a
/// parameter elsewhere does not change the others' values.
public enum Initialization {
    /// Normal(0, std²) values.
    public static func normal(_ t: Tensor, std: Float, _ rng: RandomStream) {
        rng.fillNormal(t.buffer, std: std)
    }

    /// Uniform in [−bound, bound).
    public static func uniform(_ t: Tensor, bound: Float, _ rng: RandomStream) {
        rng.fillUniform(t.buffer, low: -bound, high: bound)
    }

    /// Glorot/Xavier uniform for a `[out, in]` (or `[…, in, out]` conv) weight: bound √(6/(fan_in+fan_out)).
    public static func xavierUniform(_ t: Tensor, fanIn: Int, fanOut: Int, _ rng: RandomStream) {
        uniform(t, bound: (6 / Float(fanIn + fanOut)).squareRoot(), rng)
    }

    /// A stream per key: the key's bytes folded into a label (FNV-1a), so streams depend on names only.
    public static func stream(for key: String, _ rng: RandomStream) -> RandomStream {
        var h: UInt64 = 0xcbf29ce484222325
        for b in key.utf8 { h = (h ^ UInt64(b)) &* 0x100000001b3 }
        return rng.split(h)
    }
}
