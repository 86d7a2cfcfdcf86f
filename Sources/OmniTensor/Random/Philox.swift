/// The Philox4x32-10 counter-based block function (Salmon et al., "Parallel random numbers: as easy as
/// 1, 2, 3", SC 2011; the Random123 reference constants).
///
/// `block(counter:key:)` maps a 128-bit counter and a 64-bit key to 128 pseudo-random bits. Different
/// counters under one key give independent-looking outputs, so the n-th random block of a stream is
/// computed directly from n — no sequential state, identical on any thread or in any order.
public enum Philox4x32 {
    /// Ten Philox rounds of `counter` under `key` (multipliers 0xD2511F53, 0xCD9E8D57; Weyl key
    /// increments 0x9E3779B9, 0xBB67AE85).
    @inlinable
    public static func block(counter: SIMD4<UInt32>, key: SIMD2<UInt32>) -> SIMD4<UInt32> {
        var c = counter
        var k0 = key.x, k1 = key.y
        for round in 0..<10 {
            if round > 0 {
                k0 &+= 0x9E37_79B9
                k1 &+= 0xBB67_AE85
            }
            let p0 = UInt64(0xD251_1F53 as UInt32) &* UInt64(c.x)
            let p1 = UInt64(0xCD9E_8D57 as UInt32) &* UInt64(c.z)
            let hi0 = UInt32(truncatingIfNeeded: p0 >> 32), lo0 = UInt32(truncatingIfNeeded: p0)
            let hi1 = UInt32(truncatingIfNeeded: p1 >> 32), lo1 = UInt32(truncatingIfNeeded: p1)
            c = SIMD4(hi1 ^ c.y ^ k0, lo1, hi0 ^ c.w ^ k1, lo0)
        }
        return c
    }
}
