import OmniTensor

/// Seeded byte-level mutations of a valid input, the way a mutation fuzzer explores a parser: each case is the
/// seed input with 1 … 4 stacked edits, drawn from a `RandomStream`, so case i of a run is the same on every
/// machine and a crash found once can be regenerated from (target, seed, index).
///
/// Edits: flip a bit; set a byte to an interesting value; insert random bytes; delete a range; duplicate a range;
/// repeat a short range many times (deep nesting, huge values); insert one of the target's tokens; replace a run
/// of digits by an interesting number; truncate.
public enum Mutator {
    /// Numbers that break arithmetic: zero, signs, powers of two around Int widths, tiny and huge floats.
    static let numbers = ["0", "-1", "1", "-256", "65536", "2147483648", "9223372036854775807", "-9223372036854775808",
                          "18446744073709551616", "1e-300", "1e300", "1e999", "-0.0", "0.01", "NaN", "inf", "4096", "64"]
    static let interestingBytes: [UInt8] = [0x00, 0xFF, 0x7F, 0x80, 0x0D, 0x0A, 0x22, 0x5B, 0x5D, 0x7B, 0x7D, 0x2C, 0x3A, 0x3D, 0x2D, 0x30, 0x39, 0x5C]

    public static func mutate(_ input: [UInt8], tokens: [String], rng: inout RandomStream, maxLength: Int = 1 << 20) -> [UInt8] {
        var bytes = input
        let edits = 1 + Int(rng.nextUInt32() % 4)
        for _ in 0..<edits {
            func position(_ extra: Int = 0) -> Int { Int(rng.nextUInt32() % UInt32(bytes.count + extra)) }
            switch rng.nextUInt32() % 9 {
            case 0 where !bytes.isEmpty:
                let i = position()
                bytes[i] ^= UInt8(1) << UInt8(rng.nextUInt32() % 8)
            case 1 where !bytes.isEmpty:
                bytes[position()] = interestingBytes[Int(rng.nextUInt32() % UInt32(interestingBytes.count))]
            case 2:
                let count = 1 + Int(rng.nextUInt32() % 8)
                bytes.insert(contentsOf: (0..<count).map { _ in UInt8(truncatingIfNeeded: rng.nextUInt32()) }, at: position(1))
            case 3 where bytes.count > 1:
                let start = position(), length = 1 + Int(rng.nextUInt32() % UInt32(min(64, bytes.count - start)))
                bytes.removeSubrange(start..<min(bytes.count, start + length))
            case 4 where !bytes.isEmpty:
                let start = position(), length = 1 + Int(rng.nextUInt32() % UInt32(min(256, bytes.count - start)))
                let chunk = bytes[start..<min(bytes.count, start + length)]
                bytes.insert(contentsOf: chunk, at: position(1))
            case 5 where !bytes.isEmpty:
                let start = position(), length = 1 + Int(rng.nextUInt32() % UInt32(min(4, bytes.count - start)))
                let chunk = bytes[start..<min(bytes.count, start + length)]
                // Mostly short repeats; now and then one deep or huge enough to find unbounded recursion.
                let times = rng.nextUInt32() % 8 == 0 ? 100_000 : (rng.nextUInt32() % 2 == 0 ? 16 : 1000)
                var repeated: [UInt8] = []
                repeated.reserveCapacity(chunk.count * times)
                for _ in 0..<times { repeated.append(contentsOf: chunk) }
                bytes.insert(contentsOf: repeated, at: start)
            case 6 where !tokens.isEmpty:
                bytes.insert(contentsOf: Array(tokens[Int(rng.nextUInt32() % UInt32(tokens.count))].utf8), at: position(1))
            case 7:
                if let run = digitRun(in: bytes, near: bytes.isEmpty ? 0 : position()) {
                    bytes.replaceSubrange(run, with: Array(numbers[Int(rng.nextUInt32() % UInt32(numbers.count))].utf8))
                }
            case 8 where !bytes.isEmpty:
                bytes.removeLast(Int(rng.nextUInt32() % UInt32(bytes.count)))
            default:
                break
            }
            if bytes.count > maxLength { bytes.removeLast(bytes.count - maxLength) }
        }
        return bytes
    }

    /// The run of ASCII digits (with a leading minus and a fraction) at or after `index`, wrapping around.
    static func digitRun(in bytes: [UInt8], near index: Int) -> Range<Int>? {
        func isDigit(_ b: UInt8) -> Bool { b >= 0x30 && b <= 0x39 }
        guard let found = bytes[index...].firstIndex(where: isDigit) ?? bytes[..<index].firstIndex(where: isDigit) else { return nil }
        var start = found, end = found
        while start > 0 && (isDigit(bytes[start - 1]) || bytes[start - 1] == 0x2D) { start -= 1 }
        while end < bytes.count && (isDigit(bytes[end]) || bytes[end] == 0x2E || bytes[end] == 0x65) { end += 1 }
        return start..<end
    }
}
