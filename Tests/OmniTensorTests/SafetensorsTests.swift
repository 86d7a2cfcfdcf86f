import Foundation
import XCTest
@testable import OmniTensor

/// Builds safetensors files byte by byte for the reader tests and the fuzzer.
enum SafetensorsFixtures {
    static func temporaryDirectory() throws -> URL {
        let url = FileManager.default.temporaryDirectory
            .appendingPathComponent("omnitensor-st-\(getpid())-\(UInt32.random(in: 0...UInt32.max))")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        return url
    }

    /// 8-byte little-endian `declaredSize` (default: the header's length), the header bytes, then `data`.
    static func file(header: [UInt8], data: [UInt8], declaredSize: UInt64? = nil) -> [UInt8] {
        let n = declaredSize ?? UInt64(header.count)
        return (0..<8).map { UInt8(truncatingIfNeeded: n >> (8 * $0)) } + header + data
    }

    static func file(header: String, data: [UInt8]) -> [UInt8] {
        file(header: Array(header.utf8), data: data)
    }

    static func le<T: FixedWidthInteger>(_ values: [T]) -> [UInt8] {
        values.flatMap { v in (0..<MemoryLayout<T>.size).map { UInt8(truncatingIfNeeded: v >> (8 * $0)) } }
    }

    static func f32Bytes(_ values: [Float]) -> [UInt8] { le(values.map(\.bitPattern)) }

    @discardableResult
    static func write(_ bytes: [UInt8], _ name: String, in dir: URL) throws -> String {
        let path = dir.appendingPathComponent(name).path
        try Data(bytes).write(to: URL(fileURLWithPath: path))
        return path
    }
}

final class SafetensorsTests: XCTestCase {
    var dir: URL!
    override func setUpWithError() throws { dir = try SafetensorsFixtures.temporaryDirectory() }
    override func tearDownWithError() throws { try? FileManager.default.removeItem(at: dir) }

    private func path(_ name: String) -> String { dir.appendingPathComponent(name).path }

    private func assertError(
        _ body: () throws -> Void, _ check: (SafetensorsError) -> Bool,
        file: StaticString = #filePath, line: UInt = #line
    ) {
        do {
            try body()
            XCTFail("expected a SafetensorsError", file: file, line: line)
        } catch let e as SafetensorsError {
            XCTAssertTrue(check(e), "unexpected error: \(e)", file: file, line: line)
        } catch {
            XCTFail("unexpected error type: \(error)", file: file, line: line)
        }
    }

    // MARK: - Round trips

    func testRoundTripOfEveryWritableDType() throws {
        let specials: [Float] = [0, -0.0, 1, -1, 0.5, 3.140625, 123.5, 65504, -65504, 6.103515625e-05, 5.9604645e-08,
                                 .infinity, -.infinity, 1e-3, 123.456, -7.25e3, 1e30, 1e-30,
                                 .leastNonzeroMagnitude, .greatestFiniteMagnitude]
        var rng = RandomStream(seed: 7)
        let randoms = (0..<200).map { _ in (rng.uniform() - 0.5) * 200 }
        let values = specials + randoms
        var writer = SafetensorsWriter(metadata: ["format": "pt"])
        for dtype in [DType.f64, .f32, .f16, .bf16] {
            writer.add("t.\(dtype.name)", dtype: dtype, shape: [values.count], values: values)
            writer.add("nan.\(dtype.name)", dtype: dtype, shape: [2], values: [.nan, -.nan])
        }
        try writer.write(to: path("all.safetensors"))
        let file = try SafetensorsFile(path: path("all.safetensors"))
        XCTAssertEqual(file.metadata, ["format": "pt"])
        XCTAssertEqual(file.names.count, 8)

        // F32 and F64 hold every Float exactly.
        for dtype in [DType.f32, .f64] {
            XCTAssertEqual(try file.readFloats("t.\(dtype.name)").map(\.bitPattern), values.map(\.bitPattern))
        }
        // F16/BF16: within half an ulp of their precision, exact where representable, overflow → inf.
        for (dtype, bits, maxFinite, floor) in [(DType.f16, 11, Float(65504), Float(0x1p-25)),
                                                (.bf16, 8, Float(bitPattern: 0x7F7F_0000), Float(0x1p-134))] {
            let back = try file.readFloats("t.\(dtype.name)")
            for (v, b) in zip(values, back) {
                if b.isInfinite {
                    XCTAssertTrue(v.isInfinite || abs(v) >= maxFinite, "\(dtype.name) \(v) → \(b)")
                    XCTAssertEqual(b.sign, v.sign)
                    continue
                }
                let tolerance = max(abs(v) * Float(sign: .plus, exponent: -bits, significand: 1), floor)
                XCTAssertLessThanOrEqual(abs(b - v), tolerance, "\(dtype.name) \(v) → \(b)")
                // Representable values come back exactly: converting the result again changes nothing.
                let again = dtype == .f16 ? ReducedPrecision.float(fromF16: ReducedPrecision.f16Bits(from: b))
                                          : ReducedPrecision.float(fromBF16: ReducedPrecision.bf16Bits(from: b))
                XCTAssertEqual(again.bitPattern, b.bitPattern)
            }
            for x: Float in [0, 1, -1, 0.5, 3.140625, 123.5] {
                XCTAssertEqual(back[values.firstIndex(of: x)!], x)
            }
        }
        XCTAssertEqual(try file.readFloats("t.F16")[values.firstIndex(of: 65504)!], 65504)
        XCTAssertEqual(try file.readFloats("t.F16")[values.firstIndex(of: 5.9604645e-08)!], 0x1p-24)  // subnormal
        XCTAssertEqual(try file.readFloats("t.F16")[values.firstIndex(of: 1e-30)!], 0)
        XCTAssertEqual(try file.readFloats("t.F16")[1].sign, .minus)  // values[1] is -0.0
        for dtype in [DType.f64, .f32, .f16, .bf16] {
            let nans = try file.readFloats("nan.\(dtype.name)")
            XCTAssertTrue(nans.allSatisfy(\.isNaN), dtype.name)
        }
    }

    func testHalfConversionIsExactAndRoundsToNearestEven() {
        // Every half bit pattern widens and narrows back to itself.
        for bits in 0...UInt16.max {
            let f = ReducedPrecision.float(fromF16: bits)
            if f.isNaN {
                XCTAssertTrue(ReducedPrecision.float(fromF16: ReducedPrecision.f16Bits(from: f)).isNaN)
            } else if ReducedPrecision.f16Bits(from: f) != bits {
                XCTFail("f16 \(String(bits, radix: 16)) → \(f) → \(String(ReducedPrecision.f16Bits(from: f), radix: 16))")
                return
            }
        }
        // Ties to even at normal and subnormal boundaries, overflow, underflow.
        XCTAssertEqual(ReducedPrecision.f16Bits(from: 1 + 0x1p-11), 0x3C00)          // tie → even (down)
        XCTAssertEqual(ReducedPrecision.f16Bits(from: 1 + 3 * 0x1p-11), 0x3C02)      // tie → even (up)
        XCTAssertEqual(ReducedPrecision.f16Bits(from: 65520), 0x7C00)                // tie at the top → inf
        XCTAssertEqual(ReducedPrecision.f16Bits(from: 65519.99), 0x7BFF)
        XCTAssertEqual(ReducedPrecision.f16Bits(from: 0x1p-25), 0x0000)              // tie → even (zero)
        XCTAssertEqual(ReducedPrecision.f16Bits(from: 0x1.000002p-25), 0x0001)
        XCTAssertEqual(ReducedPrecision.f16Bits(from: 3 * 0x1p-25), 0x0002)          // tie → even (up)
        XCTAssertEqual(ReducedPrecision.f16Bits(from: 0x1p-14 - 0x1p-25), 0x0400)    // carries into the exponent
        XCTAssertEqual(ReducedPrecision.f16Bits(from: -.infinity), 0xFC00)
        #if !(os(macOS) && arch(x86_64))
        // Cross-check against the standard library's Float16 on random and boundary inputs.
        var rng = RandomStream(seed: 99)
        for _ in 0..<20_000 {
            let f = Float(bitPattern: rng.nextUInt32())
            if f.isNaN { continue }
            XCTAssertEqual(ReducedPrecision.f16Bits(from: f), Float16(f).bitPattern, "\(f)")
        }
        #endif
    }

    func testBFloat16RoundsToNearestEven() {
        XCTAssertEqual(ReducedPrecision.bf16Bits(from: 1), 0x3F80)
        XCTAssertEqual(ReducedPrecision.bf16Bits(from: 1 + 0x1p-8), 0x3F80)            // tie → even (down)
        XCTAssertEqual(ReducedPrecision.bf16Bits(from: 1 + 3 * 0x1p-8), 0x3F82)        // tie → even (up)
        XCTAssertEqual(ReducedPrecision.bf16Bits(from: Float(bitPattern: 0x3F80_8001)), 0x3F81)   // just above the tie
        XCTAssertEqual(ReducedPrecision.bf16Bits(from: .greatestFiniteMagnitude), 0x7F80)  // → inf
        XCTAssertEqual(ReducedPrecision.bf16Bits(from: -.infinity), 0xFF80)
        XCTAssertEqual(ReducedPrecision.bf16Bits(from: .leastNonzeroMagnitude), 0x0000)
        XCTAssertEqual(ReducedPrecision.bf16Bits(from: 0x1p-133), 0x0001)               // bf16 subnormal
        XCTAssertTrue(ReducedPrecision.float(fromBF16: ReducedPrecision.bf16Bits(from: .nan)).isNaN)
        XCTAssertTrue(ReducedPrecision.float(fromBF16: ReducedPrecision.bf16Bits(from: Float(bitPattern: 0x7F80_0001))).isNaN)
        for bits in stride(from: 0, through: Int(UInt16.max), by: 1) {
            let f = ReducedPrecision.float(fromBF16: UInt16(bits))
            if !f.isNaN { XCTAssertEqual(Int(ReducedPrecision.bf16Bits(from: f)), bits) }
        }
    }

    func testEightBitFloatsWiden() {
        XCTAssertEqual(ReducedPrecision.float(fromF8E4M3: 0x38), 1)
        XCTAssertEqual(ReducedPrecision.float(fromF8E4M3: 0x7E), 448)
        XCTAssertEqual(ReducedPrecision.float(fromF8E4M3: 0xB8), -1)
        XCTAssertEqual(ReducedPrecision.float(fromF8E4M3: 0x01), 0x1p-9)
        XCTAssertTrue(ReducedPrecision.float(fromF8E4M3: 0x7F).isNaN)
        XCTAssertEqual(ReducedPrecision.float(fromF8E5M2: 0x3C), 1)
        XCTAssertEqual(ReducedPrecision.float(fromF8E5M2: 0x7B), 57344)
        XCTAssertEqual(ReducedPrecision.float(fromF8E5M2: 0x7C), .infinity)
    }

    func testScalarEmptyTensorMetadataAndIntegerBytes() throws {
        var writer = SafetensorsWriter(metadata: ["quote \"and\" backslash \\": "line\nbreak\ttab \u{1} \u{1F} \u{7F} é 🙂", "empty": ""])
        writer.add("scalar", shape: [], values: [2.5])
        writer.add("empty", dtype: .f16, shape: [0, 3], values: [])
        writer.add("b", dtype: .bf16, shape: [2, 1], values: [1, -2])
        writer.tensors.append(.init(name: "ids", dtype: .i64, shape: [3], rawBytes: SafetensorsFixtures.le([Int64(1), -2, 1 << 40])))
        writer.tensors.append(.init(name: "mask", dtype: .bool, shape: [2], rawBytes: [1, 0]))
        try writer.write(to: path("s.safetensors"))
        let file = try SafetensorsFile(path: path("s.safetensors"))
        XCTAssertEqual(file.names, ["b", "empty", "ids", "mask", "scalar"])
        XCTAssertEqual(file.metadata, writer.metadata)
        XCTAssertEqual(try file.info("scalar").shape, [])
        XCTAssertEqual(try file.info("scalar").numel, 1)
        XCTAssertEqual(try file.readFloats("scalar"), [2.5])
        XCTAssertEqual(try file.info("empty").numel, 0)
        XCTAssertEqual(try file.readFloats("empty"), [])
        XCTAssertEqual(try file.rawBytes("empty").count, 0)
        XCTAssertEqual(try file.readFloats("b"), [1, -2])
        let ids = try file.rawBytes("ids")
        XCTAssertEqual((0..<3).map { Int64(littleEndian: ids.loadUnaligned(fromByteOffset: 8 * $0, as: Int64.self)) }, [1, -2, 1 << 40])
        XCTAssertEqual(Array(try file.rawBytes("mask")), [1, 0])
        assertError({ _ = try file.readFloats("ids") }) {
            $0 == .notFloatTensor(path: self.path("s.safetensors"), tensor: "ids", dtype: .i64)
                && $0.description.hasSuffix("tensor 'ids': not a float tensor (dtype I64)")
        }
        assertError({ _ = try file.readFloats("missing") }) { $0 == .noSuchTensor(path: self.path("s.safetensors"), tensor: "missing") }
        var two = [Float](repeating: 0, count: 2)
        try two.withUnsafeMutableBufferPointer { try file.readFloats("b", into: $0) }
        XCTAssertEqual(two, [1, -2])
        var three = [Float](repeating: 0, count: 3)
        assertError({ try three.withUnsafeMutableBufferPointer { try file.readFloats("b", into: $0) } }) {
            $0 == .countMismatch(path: self.path("s.safetensors"), tensor: "b", expected: 2, got: 3)
        }
    }

    func testWriterLayoutMatchesTheReferenceWriter() throws {
        var writer = SafetensorsWriter()
        writer.add("a", dtype: .f16, shape: [3], values: [1, 2, 3])
        writer.add("b", dtype: .f32, shape: [1], values: [1])
        writer.add("a2", dtype: .f32, shape: [2], values: [1, 2])
        writer.add("z", dtype: .f64, shape: [1], values: [1])
        writer.add("c", dtype: .bf16, shape: [1], values: [1])
        let bytes = try writer.encoded()
        let n = Int(bytes[0]) | Int(bytes[1]) << 8 | Int(bytes[2]) << 16 | Int(bytes[3]) << 24
        XCTAssertEqual(n % 8, 0)
        let header = String(decoding: bytes[8..<(8 + n)], as: UTF8.self)
        XCTAssertTrue(header.hasPrefix(#"{"z":{"dtype":"F64","shape":[1],"data_offsets":[0,8]},"a2":{"dtype":"F32","shape":[2],"data_offsets":[8,16]},"b":{"dtype":"F32","shape":[1],"data_offsets":[16,20]},"a":{"dtype":"F16","shape":[3],"data_offsets":[20,26]},"c":{"dtype":"BF16","shape":[1],"data_offsets":[26,28]}}"#), header)
        let p = try SafetensorsFixtures.write(bytes, "l.safetensors", in: dir)
        let file = try SafetensorsFile(path: p)
        for name in file.names {
            let info = try file.info(name)
            XCTAssertEqual((file.dataStart + info.byteRange.lowerBound) % info.dtype.byteSize, 0, name)
        }
    }

    func testWriterReplacesAtomicallyAndRejectsBadInput() throws {
        let p = path("w.safetensors")
        try Data("old".utf8).write(to: URL(fileURLWithPath: p))
        try SafetensorsWriter(tensors: [.init(name: "x", shape: [1], values: [4])]).write(to: p)
        XCTAssertEqual(try SafetensorsFile(path: p).readFloats("x"), [4])
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: dir.path), ["w.safetensors"])

        let dup = SafetensorsWriter(tensors: [.init(name: "x", shape: [1], values: [1]), .init(name: "x", dtype: .f16, shape: [1], values: [2])])
        assertError({ try dup.write(to: self.path("d.safetensors")) }) {
            $0 == .invalidInput(path: self.path("d.safetensors"), tensor: "x", reason: "the name appears twice")
        }
        let wrongCount = SafetensorsWriter(tensors: [.init(name: "x", shape: [2, 2], values: [1, 2, 3])])
        assertError({ try wrongCount.write(to: self.path("d.safetensors")) }) {
            $0.description == "\(self.path("d.safetensors")): tensor 'x': 3 values given but shape [2, 2] has 4 elements"
        }
        let wrongDType = SafetensorsWriter(tensors: [.init(name: "x", dtype: .i32, shape: [1], values: [1])])
        assertError({ _ = try wrongDType.encoded() }) { if case .invalidInput = $0 { true } else { false } }
        let reserved = SafetensorsWriter(tensors: [.init(name: "__metadata__", shape: [1], values: [1])])
        assertError({ _ = try reserved.encoded() }) { if case .invalidInput = $0 { true } else { false } }
        let negative = SafetensorsWriter(tensors: [.init(name: "n", shape: [-1], values: [])])
        assertError({ _ = try negative.encoded() }) { if case .invalidInput = $0 { true } else { false } }
        assertError({ try SafetensorsWriter().write(to: self.path("no/such/dir/x.safetensors")) }) {
            if case .notWritable = $0 { true } else { false }
        }
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: dir.path), ["w.safetensors"])
        // An empty file (no tensors, no metadata) is valid.
        try SafetensorsWriter().write(to: path("e.safetensors"))
        XCTAssertEqual(try SafetensorsFile(path: path("e.safetensors")).names, [])
    }

    // MARK: - Golden bytes

    /// A file built by hand: header padded to an odd length (so the data section starts at an odd address)
    /// and tensors at offsets 0, 2, 10 and 12: the F32 and F64 data are misaligned, proving unaligned reads.
    func testGoldenBytesWithUnalignedData() throws {
        var header = #"{"__metadata__":{"k":"v"},"h":{"dtype":"F16","shape":[],"data_offsets":[0,2]},"# +
            #""x":{"dtype":"F32","shape":[2],"data_offsets":[2,10]},"b":{"dtype":"BF16","shape":[1],"data_offsets":[10,12]},"# +
            #""d":{"dtype":"F64","shape":[1,1],"data_offsets":[12,20]},"e":{"dtype":"F8_E4M3","shape":[1],"data_offsets":[20,21]}}"#
        while (8 + header.utf8.count) % 2 == 0 { header += " " }
        var data: [UInt8] = [0x00, 0x3C]                        // F16 1.0
        data += [0x00, 0x00, 0xC0, 0x3F, 0x00, 0x00, 0x00, 0xC0] // F32 1.5, -2.0
        data += [0x49, 0x40]                                    // BF16 3.140625
        data += [0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x24, 0x40] // F64 10.0
        data += [0x38]                                          // F8_E4M3 1.0
        let p = try SafetensorsFixtures.write(SafetensorsFixtures.file(header: header, data: data), "g.safetensors", in: dir)
        let file = try SafetensorsFile(path: p)
        XCTAssertEqual(file.dataStart % 2, 1)
        XCTAssertEqual(file.names, ["b", "d", "e", "h", "x"])
        XCTAssertEqual(file.metadata, ["k": "v"])
        XCTAssertEqual(try file.readFloats("h"), [1])
        XCTAssertEqual(try file.readFloats("x"), [1.5, -2])
        XCTAssertEqual(try file.readFloats("b"), [3.140625])
        XCTAssertEqual(try file.readFloats("d"), [10])
        XCTAssertEqual(try file.readFloats("e"), [1])
        XCTAssertEqual(try file.info("x"), .init(name: "x", dtype: .f32, shape: [2], byteRange: 2..<10))
        XCTAssertEqual(try file.info("d").shape, [1, 1])
        XCTAssertEqual(Array(try file.rawBytes("x")), Array(data[2..<10]))
        XCTAssertEqual(file.fileSize, 8 + header.utf8.count + data.count)
    }

    // MARK: - Validation messages

    private func rejected(_ header: String, _ data: [UInt8], _ name: String = "bad.safetensors") throws -> SafetensorsError? {
        let p = try SafetensorsFixtures.write(SafetensorsFixtures.file(header: header, data: data), name, in: dir)
        do {
            _ = try SafetensorsFile(path: p)
            return nil
        } catch {
            return error
        }
    }

    func testSizeMismatchMessageNamesFileTensorAndReason() throws {
        let e = try rejected(#"{"blocks.0.w":{"dtype":"F32","shape":[2,2],"data_offsets":[0,12]}}"#, Array(repeating: 0, count: 12), "model.safetensors")
        XCTAssertEqual(e?.description, "\(path("model.safetensors")): tensor 'blocks.0.w': data_offsets [0, 12] hold 12 bytes but shape [2, 2] of F32 needs 16")
    }

    func testHostileHeadersAreRejectedWithReasons() throws {
        let t = #""dtype":"F32","shape":[1]"#
        let cases: [(String, [UInt8], String)] = [
            (#"{"a":{\#(t),"data_offsets":[0,4]},"a":{\#(t),"data_offsets":[4,8]}}"#, Array(repeating: 0, count: 8), "duplicate key 'a'"),
            (#"{"a":{\#(t),"dtype":"F32","data_offsets":[0,4]}}"#, [0, 0, 0, 0], "duplicate key 'dtype'"),
            (#"{"__metadata__":{"k":"1","k":"2"}}"#, [], "duplicate key 'k'"),
            (#"{"__metadata__":{"k":1}}"#, [], "__metadata__ entry 'k' must be a string"),
            (#"{"__metadata__":["k"]}"#, [], "__metadata__ must be an object"),
            (#"{"a":{\#(t),"data_offsets":[0,4]},"b":{\#(t),"data_offsets":[2,6]}}"#, Array(repeating: 0, count: 6), "overlap tensor 'a'"),
            (#"{"a":{\#(t),"data_offsets":[0,4]},"b":{\#(t),"data_offsets":[6,10]}}"#, Array(repeating: 0, count: 10), "leave a hole"),
            (#"{"a":{\#(t),"data_offsets":[4,8]}}"#, Array(repeating: 0, count: 8), "leave a hole"),
            (#"{"a":{\#(t),"data_offsets":[0,4]}}"#, Array(repeating: 0, count: 5), "1 trailing bytes"),
            (#"{"a":{\#(t),"data_offsets":[0,4]}}"#, Array(repeating: 0, count: 3), "truncated"),
            (#"{"a":{"dtype":"F32","shape":[-1],"data_offsets":[0,4]}}"#, [0, 0, 0, 0], "non-negative integer, found -1"),
            (#"{"a":{"dtype":"F32","shape":[1.0],"data_offsets":[0,4]}}"#, [0, 0, 0, 0], "expected an integer, found 1.0"),
            (#"{"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4e0]}}"#, [0, 0, 0, 0], "expected an integer, found 4e0"),
            (#"{"a":{"dtype":"F32","shape":[1],"data_offsets":[0,99999999999999999999999999]}}"#, [0, 0, 0, 0], "is too large"),
            (#"{"a":{"dtype":"F32","shape":[4611686018427387904,4],"data_offsets":[0,4]}}"#, [0, 0, 0, 0], "more elements than can be addressed"),
            (#"{"a":{"dtype":"F32","shape":[1],"data_offsets":[4,0]}}"#, [0, 0, 0, 0], "end before they begin"),
            (#"{"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4,8]}}"#, [0, 0, 0, 0], "found 3"),
            (#"{"a":{"dtype":"F32","shape":"1","data_offsets":[0,4]}}"#, [0, 0, 0, 0], "shape must be an array"),
            (#"{"a":{"dtype":"F33","shape":[1],"data_offsets":[0,4]}}"#, [0, 0, 0, 0], "unknown dtype 'F33'"),
            (#"{"a":{"dtype":"f32","shape":[1],"data_offsets":[0,4]}}"#, [0, 0, 0, 0], "unknown dtype 'f32'"),
            (#"{"a":{"dtype":32,"shape":[1],"data_offsets":[0,4]}}"#, [0, 0, 0, 0], "dtype must be a string"),
            (#"{"a":{"shape":[1],"data_offsets":[0,4]}}"#, [0, 0, 0, 0], "missing field 'dtype'"),
            (#"{"a":{\#(t),"data_offsets":[0,4],"extra":1}}"#, [0, 0, 0, 0], "unknown field 'extra'"),
            (#"{"a":[1]}"#, [], "the entry must be an object"),
            (#"["a"]"#, [], "does not start with '{'"),
            (#" {}"#, [], "does not start with '{'"),
            (#"{"a":{\#(t),"data_offsets":[0,4]}"#, [0, 0, 0, 0], "not valid JSON"),
            (#"{"a":{\#(t),"data_offsets":[0,4]}}x"#, [0, 0, 0, 0], "unexpected data after the JSON value"),
            (#"{"a\u0000":1,}"#, [], "not valid JSON"),
            (#"{"\ud800":1}"#, [], "unpaired surrogate"),
            ("{\"a\":" + String(repeating: "[", count: 100_000) + String(repeating: "]", count: 100_000) + "}", [], "nested too deeply"),
            ("{\"a\":" + String(repeating: "{\"a\":", count: 70) + "1" + String(repeating: "}", count: 71), [], "nested too deeply"),
        ]
        for (i, (header, data, reason)) in cases.enumerated() {
            let e = try rejected(header, data, "c\(i).safetensors")
            XCTAssertNotNil(e, "case \(i) was accepted: \(header.prefix(120))")
            XCTAssertTrue(e?.description.contains(reason) ?? false, "case \(i): \(e?.description ?? "nil") lacks '\(reason)'")
            XCTAssertTrue(e?.description.hasPrefix(path("c\(i).safetensors")) ?? false)
        }
        // Non-UTF-8 header, header size field out of range.
        var bytes = SafetensorsFixtures.file(header: Array(#"{"__metadata__":{"k":"\#u{e9}"}}"#.utf8), data: [])
        bytes[bytes.count - 4] = 0xFF
        let p = try SafetensorsFixtures.write(bytes, "u.safetensors", in: dir)
        assertError({ _ = try SafetensorsFile(path: p) }) { $0.description.contains("not valid UTF-8") }
        for (declared, reason) in [(UInt64.max, "exceeds the limit"), (100_000_001, "exceeds the limit"), (0, "header size is 0"),
                                   (1000, "needs 1008 bytes but the file has only")] {
            let b = SafetensorsFixtures.file(header: Array("{}      ".utf8), data: [], declaredSize: declared)
            let q = try SafetensorsFixtures.write(b, "h.safetensors", in: dir)
            assertError({ _ = try SafetensorsFile(path: q) }) { $0.description.contains(reason) }
        }
        // Padding with spaces and a valid escaped name are fine.
        XCTAssertNil(try rejected(#"{"a\"b":{\#(t),"data_offsets":[0,4]}}     "#, [0, 0, 0, 0]))
    }

    // MARK: - File system

    func testFileSystemErrorsNameThePath() throws {
        let missing = path("missing.safetensors")
        assertError({ _ = try SafetensorsFile(path: missing) }) {
            $0 == .notFound(path: missing) && $0.description == "\(missing): no such file"
        }
        assertError({ _ = try SafetensorsFile(path: self.dir.path) }) {
            $0 == .isDirectory(path: self.dir.path) && $0.description.hasPrefix(self.dir.path)
        }
        let empty = try SafetensorsFixtures.write([], "empty.safetensors", in: dir)
        assertError({ _ = try SafetensorsFile(path: empty) }) {
            $0.description == "\(empty): not a valid safetensors file: the file is empty (0 bytes)"
        }
        let short = try SafetensorsFixtures.write([1, 2, 3], "short.safetensors", in: dir)
        assertError({ _ = try SafetensorsFile(path: short) }) { $0.description.contains("shorter than the 8-byte header size") }
        if getuid() != 0 {
            let locked = try SafetensorsFixtures.write([0], "locked.safetensors", in: dir)
            chmod(locked, 0)
            assertError({ _ = try SafetensorsFile(path: locked) }) { if case .notReadable = $0 { true } else { false } }
        }
    }

    func testFileIsSendableAndOutlivesConcurrentReaders() throws {
        var writer = SafetensorsWriter()
        writer.add("w", dtype: .bf16, shape: [64, 64], values: (0..<4096).map { Float($0 % 97) })
        try writer.write(to: path("c.safetensors"))
        let file = try SafetensorsFile(path: path("c.safetensors"))
        let expected = try file.readFloats("w")
        DispatchQueue.concurrentPerform(iterations: 8) { _ in
            XCTAssertEqual(try? file.readFloats("w"), expected)
        }
    }
}
