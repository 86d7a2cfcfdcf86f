import OmniTensor

/// Conveniences for drawing world parameters from a seeded `RandomStream`. Every draw advances the stream, so a
/// fixed sequence of calls is a pure function of the seed.
extension RandomStream {
    /// Uniform in `[low, high)`.
    mutating func uniform(_ low: Float, _ high: Float) -> Float { low + (high - low) * uniform() }

    /// Uniform in `[low, high)` as Double.
    mutating func uniformDouble(_ low: Double, _ high: Double) -> Double { low + (high - low) * Double(uniform()) }

    /// An integer in `range`.
    mutating func integer(in range: ClosedRange<Int>) -> Int {
        range.lowerBound + Int(nextUInt32() % UInt32(range.upperBound - range.lowerBound + 1))
    }

    /// True with probability `p`.
    mutating func chance(_ p: Float) -> Bool { uniform() < p }

    /// One element of a non-empty array.
    mutating func pick<T>(_ items: [T]) -> T { items[Int(nextUInt32() % UInt32(items.count))] }

    /// One case of a `CaseIterable` enum.
    mutating func pick<T: CaseIterable>(_ type: T.Type) -> T { pick(Array(type.allCases)) }

    /// An independent child stream for a text label (FNV-1a of the label as the split key).
    func split(_ label: String) -> RandomStream { split(FNV.hash64(Array(label.utf8))) }
}

/// FNV-1a hashing, the project's cheap content fingerprint for pixels and records.
public enum FNV {
    public static let offsetBasis: UInt64 = 0xcbf2_9ce4_8422_2325
    public static let prime: UInt64 = 0x0000_0100_0000_01b3

    /// FNV-1a 64 of `bytes`, continuing from `hash`.
    public static func hash64<C: Collection>(_ bytes: C, continuing hash: UInt64 = offsetBasis) -> UInt64 where C.Element == UInt8 {
        var h = hash
        for b in bytes { h = (h ^ UInt64(b)) &* prime }
        return h
    }

    /// FNV-1a 64 of raw memory.
    public static func hash64(_ buffer: UnsafeRawBufferPointer, continuing hash: UInt64 = offsetBasis) -> UInt64 {
        var h = hash
        for b in buffer { h = (h ^ UInt64(b)) &* prime }
        return h
    }
}
