#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A seeded, counter-based random stream built on Philox4x32-10.
///
/// Every value is a pure function of (seed, stream id, index): `word(at:)`, `uniform(at:)` and
/// `normal(at:)` compute the i-th value directly, and `fillUniform`/`fillNormal` fill a buffer with values
/// `index ..< index + count`. Filling in parallel chunks, or generating a later segment without the earlier
/// ones, therefore gives bit-identical numbers regardless of thread count or call order.
///
/// Two index spaces never overlap: 32-bit words (used by `nextUInt32`, `uniform`, `fillUniform`) and
/// normals (used by `normal`, `fillNormal`). The stateful `next…` calls read from `wordPosition` and
/// `normalPosition` and advance them; `fillUniform(startingAt: wordPosition)` reproduces the following
/// `uniform()` calls, `fillNormal(startingAt: normalPosition)` the following `normal()` calls.
/// `split(_:)` derives an independent child stream (same seed, new stream id) deterministically from a label.
/// The whole state is four integers and is `Codable`, so it can be saved and restored exactly.
///
/// Uniform values lie in [0, 1) with 24-bit resolution. Normals use Box–Muller on two 32-bit words,
/// computed in `Double` then rounded to `Float` (tails reach about ±6.6σ).
public struct RandomStream: Sendable, Hashable, Codable {
    public let seed: UInt64
    public let stream: UInt64
    /// Index of the next word `nextUInt32()` / `uniform()` returns.
    public var wordPosition: UInt64
    /// Index of the next value `normal()` returns.
    public var normalPosition: UInt64

    public init(seed: UInt64, stream: UInt64 = 0) {
        self.seed = seed
        self.stream = stream
        self.wordPosition = 0
        self.normalPosition = 0
    }

    private var key: SIMD2<UInt32> {
        SIMD2(UInt32(truncatingIfNeeded: seed), UInt32(truncatingIfNeeded: seed >> 32))
    }

    /// Block `block` of the word space (`normals == false`) or of the normal space (top counter bit set).
    @inline(__always)
    private func block(_ block: UInt64, normals: Bool) -> SIMD4<UInt32> {
        let high = UInt32(truncatingIfNeeded: block >> 32) & 0x7FFF_FFFF | (normals ? 0x8000_0000 : 0)
        let counter = SIMD4(UInt32(truncatingIfNeeded: block), high,
                            UInt32(truncatingIfNeeded: stream), UInt32(truncatingIfNeeded: stream >> 32))
        return Philox4x32.block(counter: counter, key: key)
    }

    /// An independent child stream for `label`: same seed, stream id derived from (parent stream, label)
    /// by a Philox block under a tweaked key. Deterministic; positions start at 0.
    public func split(_ label: UInt64) -> RandomStream {
        let tweak = SIMD2<UInt32>(UInt32(truncatingIfNeeded: seed) ^ 0x5370_6C69,   // "Spli"
                                  UInt32(truncatingIfNeeded: seed >> 32) ^ 0x7453_7472) // "tStr"
        let counter = SIMD4(UInt32(truncatingIfNeeded: label), UInt32(truncatingIfNeeded: label >> 32),
                            UInt32(truncatingIfNeeded: stream), UInt32(truncatingIfNeeded: stream >> 32))
        let out = Philox4x32.block(counter: counter, key: tweak)
        return RandomStream(seed: seed, stream: UInt64(out.x) | UInt64(out.y) << 32)
    }

    // MARK: - Values by index

    /// The 32-bit word at `index` of the word space.
    public func word(at index: UInt64) -> UInt32 {
        block(index / 4, normals: false)[Int(index % 4)]
    }

    /// The uniform value in [0, 1) at `index` of the word space (the top 24 bits of `word(at:)`).
    public func uniform(at index: UInt64) -> Float {
        Self.unit(word(at: index))
    }

    /// The standard normal value at `index` of the normal space.
    public func normal(at index: UInt64) -> Float {
        normals(ofBlock: index / 4)[Int(index % 4)]
    }

    /// Normals `4·b ..< 4·b + 4`: Box–Muller on words (0, 1) and (2, 3) of normal-space block `b`.
    @inline(__always)
    private func normals(ofBlock b: UInt64) -> SIMD4<Float> {
        let w = block(b, normals: true)
        let (c0, s0) = Self.boxMuller(w.x, w.y)
        let (c1, s1) = Self.boxMuller(w.z, w.w)
        return SIMD4(c0, s0, c1, s1)
    }

    @inline(__always)
    private static func unit(_ w: UInt32) -> Float { Float(w >> 8) * 0x1p-24 }

    @inline(__always)
    private static func boxMuller(_ a: UInt32, _ b: UInt32) -> (Float, Float) {
        let u1 = (Double(a) + 0.5) * 0x1p-32  // in (0, 1): the log is finite
        let theta = 2 * Double.pi * (Double(b) * 0x1p-32)
        let r = (-2 * log(u1)).squareRoot()
        return (Float(r * cos(theta)), Float(r * sin(theta)))
    }

    // MARK: - Stateful draws

    /// The word at `wordPosition`; advances it by one.
    public mutating func nextUInt32() -> UInt32 {
        defer { wordPosition &+= 1 }
        return word(at: wordPosition)
    }

    /// Two words (`wordPosition`, `wordPosition + 1`) as one 64-bit value, low word first.
    public mutating func nextUInt64() -> UInt64 {
        let low = UInt64(nextUInt32())
        return low | UInt64(nextUInt32()) << 32
    }

    /// A uniform value in [0, 1) from the next word.
    public mutating func uniform() -> Float {
        Self.unit(nextUInt32())
    }

    /// The normal value at `normalPosition`; advances it by one.
    public mutating func normal() -> Float {
        defer { normalPosition &+= 1 }
        return normal(at: normalPosition)
    }

    // MARK: - Buffers

    /// Fills `buffer[j]` with `low + (high − low) × uniform(at: index + j)`. Does not change the stream.
    public func fillUniform(_ buffer: UnsafeMutableBufferPointer<Float>, startingAt index: UInt64 = 0,
                            low: Float = 0, high: Float = 1) {
        let span = high - low
        var j = 0
        var i = index
        while j < buffer.count {
            let words = block(i / 4, normals: false)
            var lane = Int(i % 4)
            while lane < 4 && j < buffer.count {
                buffer[j] = low + span * Self.unit(words[lane])
                lane += 1; j += 1; i &+= 1
            }
        }
    }

    /// Fills `buffer[j]` with `mean + std × normal(at: index + j)`. Does not change the stream.
    public func fillNormal(_ buffer: UnsafeMutableBufferPointer<Float>, startingAt index: UInt64 = 0,
                           mean: Float = 0, std: Float = 1) {
        var j = 0
        var i = index
        while j < buffer.count {
            let values = normals(ofBlock: i / 4)
            var lane = Int(i % 4)
            while lane < 4 && j < buffer.count {
                buffer[j] = mean + std * values[lane]
                lane += 1; j += 1; i &+= 1
            }
        }
    }
}
