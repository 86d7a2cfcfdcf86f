/// Exact conversions between `Float` and the reduced-precision formats stored in safetensors files.
///
/// Widening (F16, BF16, F8 → `Float`) is exact. Narrowing (`Float` → F16/BF16) rounds to nearest, ties to
/// even; overflow becomes ±infinity, values below half the smallest subnormal become ±0, NaN stays NaN
/// (quiet, sign kept). Bit patterns are host integers; files store them little-endian.
/// None of these assume aligned memory.
public enum ReducedPrecision {
    // MARK: - IEEE binary16

    /// The `Float` with exactly the value of the IEEE half-precision bit pattern `bits`.
    @inlinable
    public static func float(fromF16 bits: UInt16) -> Float {
        let sign = UInt32(bits & 0x8000) << 16
        let exponent = UInt32(bits >> 10) & 0x1F
        let mantissa = UInt32(bits) & 0x3FF
        if exponent == 0 {
            // Zero or subnormal: mantissa × 2⁻²⁴, exact in Float.
            let magnitude = Float(mantissa) * 0x1p-24
            return Float(bitPattern: magnitude.bitPattern | sign)
        }
        if exponent == 0x1F {
            return Float(bitPattern: sign | 0x7F80_0000 | mantissa << 13)
        }
        return Float(bitPattern: sign | (exponent + 112) << 23 | mantissa << 13)
    }

    /// The IEEE half-precision bit pattern nearest to `value` (round to nearest, ties to even).
    @inlinable
    public static func f16Bits(from value: Float) -> UInt16 {
        let x = value.bitPattern
        let sign = UInt16(truncatingIfNeeded: (x >> 16) & 0x8000)
        let exponent = Int((x >> 23) & 0xFF)
        var mantissa = x & 0x7F_FFFF
        if exponent == 0xFF {
            if mantissa == 0 { return sign | 0x7C00 }
            return sign | 0x7E00 | UInt16(truncatingIfNeeded: mantissa >> 13)  // quiet NaN, payload kept
        }
        let halfExponent = exponent - 127 + 15
        if halfExponent >= 0x1F { return sign | 0x7C00 }
        if halfExponent <= 0 {
            // Half subnormal (or zero). Values below 2⁻²⁵ round to zero.
            if halfExponent < -10 { return sign }
            mantissa |= 0x80_0000
            let shift = UInt32(14 - halfExponent)
            var half = mantissa >> shift
            let remainder = mantissa & ((1 << shift) - 1)
            let halfway: UInt32 = 1 << (shift - 1)
            if remainder > halfway || (remainder == halfway && half & 1 == 1) { half += 1 }
            return sign | UInt16(truncatingIfNeeded: half)  // a carry into bit 10 gives the smallest normal
        }
        var half = UInt32(halfExponent) << 10 | mantissa >> 13
        let remainder = mantissa & 0x1FFF
        if remainder > 0x1000 || (remainder == 0x1000 && half & 1 == 1) { half += 1 }  // a carry may give inf
        return sign | UInt16(truncatingIfNeeded: half)
    }

    // MARK: - bfloat16

    /// The `Float` with exactly the value of the bfloat16 bit pattern `bits`.
    @inlinable
    public static func float(fromBF16 bits: UInt16) -> Float {
        Float(bitPattern: UInt32(bits) << 16)
    }

    /// The bfloat16 bit pattern nearest to `value` (round to nearest, ties to even).
    @inlinable
    public static func bf16Bits(from value: Float) -> UInt16 {
        let x = value.bitPattern
        if value.isNaN { return UInt16(truncatingIfNeeded: x >> 16) | 0x0040 }  // quiet, sign kept
        let rounded = x &+ 0x7FFF &+ ((x >> 16) & 1)
        return UInt16(truncatingIfNeeded: rounded >> 16)
    }

    // MARK: - 8-bit floats

    /// The `Float` value of an F8_E4M3 (the "FN" variant: no infinities, S.1111.111 is NaN) byte.
    @inlinable
    public static func float(fromF8E4M3 bits: UInt8) -> Float {
        let sign: UInt32 = UInt32(bits & 0x80) << 24
        let exponent = UInt32(bits >> 3) & 0xF
        let mantissa = UInt32(bits) & 0x7
        if exponent == 0xF && mantissa == 0x7 { return Float(bitPattern: sign | 0x7FC0_0000) }
        if exponent == 0 {
            let magnitude = Float(mantissa) * 0x1p-9
            return Float(bitPattern: magnitude.bitPattern | sign)
        }
        return Float(bitPattern: sign | (exponent + 120) << 23 | mantissa << 20)
    }

    /// The `Float` value of an F8_E5M2 byte (IEEE-like; the upper half of a binary16).
    @inlinable
    public static func float(fromF8E5M2 bits: UInt8) -> Float {
        float(fromF16: UInt16(bits) << 8)
    }

    // MARK: - Bulk

    /// Widens `raw`, holding little-endian elements of floating-point `dtype`, into `destination`.
    /// `raw.count` must be `destination.count × dtype.byteSize` and `dtype.isFloatingPoint` must hold
    /// (both are preconditions). F64 is narrowed to the nearest `Float`. `raw` may be unaligned.
    public static func widen(_ raw: UnsafeRawBufferPointer, dtype: DType, into destination: UnsafeMutableBufferPointer<Float>) {
        precondition(dtype.isFloatingPoint, "widen: \(dtype.name) is not a floating-point type")
        precondition(raw.count == destination.count * dtype.byteSize, "widen: byte count does not match element count")
        let n = destination.count
        guard n > 0, let src = raw.baseAddress, let dst = destination.baseAddress else { return }
        switch dtype {
        case .f32:
            #if _endian(little)
            UnsafeMutableRawPointer(dst).copyMemory(from: src, byteCount: n * 4)
            #else
            for i in 0..<n {
                dst[i] = Float(bitPattern: UInt32(littleEndian: src.loadUnaligned(fromByteOffset: i * 4, as: UInt32.self)))
            }
            #endif
        case .f64:
            for i in 0..<n {
                dst[i] = Float(Double(bitPattern: UInt64(littleEndian: src.loadUnaligned(fromByteOffset: i * 8, as: UInt64.self))))
            }
        case .f16:
            for i in 0..<n {
                dst[i] = float(fromF16: UInt16(littleEndian: src.loadUnaligned(fromByteOffset: i * 2, as: UInt16.self)))
            }
        case .bf16:
            for i in 0..<n {
                dst[i] = float(fromBF16: UInt16(littleEndian: src.loadUnaligned(fromByteOffset: i * 2, as: UInt16.self)))
            }
        case .f8E4M3:
            for i in 0..<n { dst[i] = float(fromF8E4M3: src.load(fromByteOffset: i, as: UInt8.self)) }
        case .f8E5M2:
            for i in 0..<n { dst[i] = float(fromF8E5M2: src.load(fromByteOffset: i, as: UInt8.self)) }
        default:
            preconditionFailure("unreachable: \(dtype.name) is not floating point")
        }
    }
}
