/// eˣ for Float without a libm call: Cephes' `expf` polynomial after a round-to-nearest range reduction,
/// ≈ 1 ulp on [−87.3, 88.7]; exactly 0 below −88 (so −∞ gives 0) and saturating at e⁸⁸ above. Branch-free
/// (selects only), so loops over it vectorise — used by the activations' inner loops, where libm's `expf` and
/// `tanhf` (which calls `expm1f`) dominated the DiT's time.
@inline(__always)
public func fastExp(_ x: Float) -> Float {
    let a: Float = x < -88 ? -88 : x
    let xc: Float = a > 88 ? 88 : a
    // n = round(x·log₂e) by the 1.5·2²³ trick: the bits of t then hold n in the low mantissa.
    let magic: Float = 12582912
    let t = xc * 1.44269504088896341 + magic
    let n = t - magic
    var r = xc - n * 0.693359375
    r = r + n * 2.12194440e-4
    let z = r * r
    var p: Float = 1.9875691500e-4
    p = p * r + 1.3981999507e-3
    p = p * r + 8.3334519073e-3
    p = p * r + 4.1665795894e-2
    p = p * r + 1.6666665459e-1
    p = p * r + 5.0000001201e-1
    p = p * z + r + 1
    // At the clamp −88, n = −127 and the scale 2ⁿ is the bit pattern 0: exactly 0.
    let ni = Int32(bitPattern: t.bitPattern) &- Int32(bitPattern: magic.bitPattern)
    return p * Float(bitPattern: UInt32(bitPattern: (ni &+ 127) &<< 23))
}

/// The logistic function 1 / (1 + e⁻ˣ) through `fastExp`.
@inline(__always)
public func fastSigmoid(_ x: Float) -> Float { 1 / (1 + fastExp(-x)) }
