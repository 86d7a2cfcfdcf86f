import Foundation
import XCTest
@testable import OmniTensor

/// Mutates a valid safetensors file in hundreds of seeded ways and checks that the reader either rejects
/// each result with a `SafetensorsError` naming the file, or — where the mutation happens to leave a valid
/// file — that every tensor reads within the file's bounds. Driven by `RandomStream`, so every run is the same.
final class SafetensorsFuzzTests: XCTestCase {
    var dir: URL!
    override func setUpWithError() throws { dir = try SafetensorsFixtures.temporaryDirectory() }
    override func tearDownWithError() throws { try? FileManager.default.removeItem(at: dir) }

    /// One header member, as raw JSON text so that mutations can put anything there.
    struct Entry {
        var key: String
        var fields: [(key: String, value: String)]
        var isMetadata: Bool
        var begin = 0, end = 0, numel = 0

        mutating func set(_ field: String, _ value: String) {
            if let i = fields.firstIndex(where: { $0.key == "\"\(field)\"" }) { fields[i].value = value }
        }

        func value(_ field: String) -> String { fields.first { $0.key == "\"\(field)\"" }!.value }
    }

    /// A file as header members plus data bytes, rendered like the reference writer.
    struct Model {
        var entries: [Entry]
        var data: [UInt8]
        var headerTransform: ([UInt8]) -> [UInt8] = { $0 }
        var declaredSize: ((Int) -> UInt64)?
        var padTo8 = true

        func header() -> [UInt8] {
            let members = entries.map { e in
                e.key + ":{" + e.fields.map { "\($0.key):\($0.value)" }.joined(separator: ",") + "}"
            }
            var bytes = Array(("{" + members.joined(separator: ",") + "}").utf8)
            while padTo8 && bytes.count % 8 != 0 { bytes.append(0x20) }
            return headerTransform(bytes)
        }

        func file() -> [UInt8] {
            let h = header()
            return SafetensorsFixtures.file(header: h, data: data, declaredSize: declaredSize?(h.count))
        }

        var tensorIndices: [Int] { entries.indices.filter { !entries[$0].isMetadata } }
    }

    /// A valid file with several dtypes, a scalar, an empty tensor and metadata.
    private func baseModel() throws -> Model {
        var rng = RandomStream(seed: 11)
        func floats(_ n: Int) -> [Float] { (0..<n).map { _ in rng.uniform() * 8 - 4 } }
        var writer = SafetensorsWriter(metadata: ["format": "pt", "note": "fuzz base é"])
        writer.add("w.f32", shape: [3, 4], values: floats(12))
        writer.add("w2.f32", shape: [2, 2], values: floats(4))
        writer.add("h.f16", dtype: .f16, shape: [5], values: floats(5))
        writer.add("b.bf16", dtype: .bf16, shape: [2, 3], values: floats(6))
        writer.add("d.f64", dtype: .f64, shape: [2], values: floats(2))
        writer.add("s", shape: [], values: [7])
        writer.add("e", dtype: .f16, shape: [0, 2], values: [])
        writer.tensors.append(.init(name: "ids", dtype: .i64, shape: [3], rawBytes: SafetensorsFixtures.le([Int64(5), -1, 99])))
        writer.tensors.append(.init(name: "mask", dtype: .bool, shape: [4], rawBytes: [1, 0, 0, 1]))
        writer.tensors.append(.init(name: "u8", dtype: .u8, shape: [7], rawBytes: [1, 2, 3, 4, 5, 6, 7]))
        let bytes = try writer.encoded()
        let p = try SafetensorsFixtures.write(bytes, "base.safetensors", in: dir)
        let file = try SafetensorsFile(path: p)

        var entries = [Entry(key: "\"__metadata__\"",
                             fields: file.metadata.keys.sorted().map { (quotedString($0), quotedString(file.metadata[$0]!)) },
                             isMetadata: true)]
        for name in file.names {
            let info = try file.info(name)
            entries.append(Entry(key: quotedString(name),
                                 fields: [("\"dtype\"", "\"\(info.dtype.name)\""),
                                          ("\"shape\"", "[" + info.shape.map(String.init).joined(separator: ",") + "]"),
                                          ("\"data_offsets\"", "[\(info.byteRange.lowerBound),\(info.byteRange.upperBound)]")],
                                 isMetadata: false, begin: info.byteRange.lowerBound, end: info.byteRange.upperBound,
                                 numel: info.numel))
        }
        entries[1...].sort { ($0.begin, $0.end) < ($1.begin, $1.end) }
        return Model(entries: entries, data: Array(bytes[file.dataStart...]))
    }

    enum Expectation { case reject, accept, either }

    func testMutatedFilesAreRejectedOrReadInBounds() throws {
        let base = try baseModel()
        // The model re-renders the base file as a valid file.
        let basePath = try SafetensorsFixtures.write(base.file(), "rendered.safetensors", in: dir)
        XCTAssertEqual(try SafetensorsFile(path: basePath).names.count, 10)

        var rng = RandomStream(seed: 0x5AFE_7E45)
        func pick(_ n: Int) -> Int { n <= 0 ? 0 : Int(rng.nextUInt32() % UInt32(n)) }
        func choose<T>(_ xs: [T]) -> T { xs[pick(xs.count)] }

        let iterations = 600
        var rejected = 0, accepted = 0
        var perKind: [String: (rejected: Int, accepted: Int)] = [:]

        for iteration in 0..<iterations {
            var m = base
            var bytes: [UInt8]? = nil  // set by byte-level mutations
            let tensors = m.tensorIndices
            let t = choose(tensors)
            let nonEmpty = tensors.filter { m.entries[$0].end > m.entries[$0].begin }
            let kinds = ["truncate", "giantSize", "smallSize", "sizeOff", "flipHeader", "overwriteHeader",
                         "trailing", "nonUTF8", "shortData", "overlap", "outOfRange", "hole", "badDType",
                         "duplicate", "negative", "fractional", "sizeMismatch", "wrongType", "deepNesting",
                         "badJSON", "swapOffsets", "padding", "leadingSpace", "flipData", "reorder", "escapedKey",
                         "flipAnywhere"]
            let kind = choose(kinds)
            var expectation = Expectation.reject

            switch kind {
            case "truncate":
                let full = m.file()
                bytes = Array(full[0..<pick(full.count)])
            case "giantSize":
                let huge: [UInt64] = [.max, 1 << 63, 1 << 32, 100_000_001, 99_999_999, UInt64(m.file().count)]
                let v = choose(huge)
                m.declaredSize = { _ in v }
            case "smallSize":
                m.declaredSize = { n in UInt64(Int(rng.nextUInt32()) % n) }
            case "sizeOff":
                let d = 1 + pick(7)
                m.declaredSize = { n in UInt64(n + d) }
            case "flipHeader":
                var full = m.file()
                let n = m.header().count
                for _ in 0..<(1 + pick(4)) { full[8 + pick(n)] ^= UInt8(1 << pick(8)) }
                bytes = full
                expectation = .either
            case "overwriteHeader":
                var full = m.file()
                let n = m.header().count
                let specials = Array("{}[]\",:0123456789-.eE \\".utf8)
                for _ in 0..<(1 + pick(3)) {
                    full[8 + pick(n)] = pick(2) == 0 ? choose(specials) : UInt8(pick(256))
                }
                bytes = full
                expectation = .either
            case "trailing":
                bytes = m.file() + (0..<(1 + pick(16))).map { _ in UInt8(pick(256)) }
            case "nonUTF8":
                let bad = choose([[0xFF], [0xC0, 0x80], [0x80], [0xE2, 0x82], [0xED, 0xA0, 0x80], [0xF4, 0x90, 0x80, 0x80], [0xFE]] as [[UInt8]])
                let after = pick(2)
                m.headerTransform = { h in
                    // Inside the "pt" metadata string, or inside a tensor name.
                    let needle = Array((after == 0 ? "\"pt\"" : "\"ids\"").utf8)
                    let at = (0...(h.count - needle.count)).first { Array(h[$0..<($0 + needle.count)]) == needle }!
                    return Array(h[...at]) + bad + Array(h[(at + 1)...])
                }
            case "shortData":
                m.data.removeLast(1 + pick(8))
            case "overlap":
                let k = choose(Array(nonEmpty.dropFirst()))
                let d = 1 + pick(m.entries[k].begin)
                m.entries[k].set("data_offsets", "[\(m.entries[k].begin - d),\(m.entries[k].end - d)]")
            case "outOfRange":
                let e = m.entries[t]
                m.entries[t].set("data_offsets", choose([
                    "[\(e.begin),\(e.end + 1 + pick(1000))]",
                    "[\(e.begin + m.data.count),\(e.end + m.data.count)]",
                    "[\(Int.max - 3),\(Int.max)]",
                    "[\(e.begin),9223372036854775808]",
                    "[\(UInt64.max - 1),\(UInt64.max)]",
                ]))
            case "hole":
                // Shift one tensor and all later ones by d and insert d bytes before it: sizes and length
                // still add up, but d bytes belong to no tensor.
                let k = choose(tensors)
                let d = 1 + pick(8)
                let at = m.entries[k].begin
                for j in tensors where m.entries[j].begin >= at && (j >= k || m.entries[j].begin > at) {
                    m.entries[j].set("data_offsets", "[\(m.entries[j].begin + d),\(m.entries[j].end + d)]")
                }
                m.data.insert(contentsOf: [UInt8](repeating: 0xAA, count: d), at: at)
            case "badDType":
                m.entries[t].set("dtype", choose(["\"f32\"", "\"F31\"", "\"\"", "\"FLOAT\"", "12", "null", "\"F32 \"",
                                                  "[\"F32\"]", "\"I\"", "\"F8\"", "\"\\u0046\\u0033\\u0031\""]))
            case "duplicate":
                switch pick(4) {
                case 0: m.entries.append(m.entries[t])
                case 1: m.entries[t].fields.append(choose(m.entries[t].fields))
                case 2: m.entries[0].fields.append(("\"format\"", "\"other\""))
                default:
                    // The same key spelled with an escape.
                    var copy = m.entries[t]
                    let name = String(copy.key.dropFirst().dropLast())
                    copy.key = "\"\\u00" + String(name.utf8.first!, radix: 16) + name.dropFirst() + "\""
                    m.entries.insert(copy, at: 1 + pick(m.entries.count - 1))
                }
            case "negative":
                if pick(2) == 0 {
                    let e = m.entries[t]
                    m.entries[t].set("data_offsets", choose(["[-\(e.begin),\(e.end)]", "[\(e.begin),-\(e.end)]", "[-1,\(e.end)]"]))
                    if e.begin == 0 && e.end == 0 { m.entries[t].set("data_offsets", "[-0,0]") }
                } else {
                    m.entries[t].set("shape", choose(["[-1]", "[-0]", "[2,-3]", "[-9223372036854775808]"]))
                }
            case "fractional":
                let e = m.entries[t]
                if pick(2) == 0 {
                    m.entries[t].set("data_offsets", choose(["[\(e.begin).0,\(e.end)]", "[\(e.begin),\(e.end).5]",
                                                            "[\(e.begin)e0,\(e.end)]", "[\(e.begin),\(e.end)E+0]", "[0.5,1e400]"]))
                } else {
                    let shape = m.entries[t].value("shape")
                    m.entries[t].set("shape", shape == "[]" ? "[1.0]" : shape.replacingOccurrences(of: "]", with: ".0]"))
                }
            case "sizeMismatch":
                let k = choose(tensors.filter { m.entries[$0].numel > 0 })
                let shape = m.entries[k].value("shape")
                m.entries[k].set("shape", choose([shape == "[]" ? "[2]" : shape.replacingOccurrences(of: "[", with: "[2,"),
                                                  shape == "[]" ? "[0]" : shape.replacingOccurrences(of: "]", with: "0]"),
                                                  "[]", "[\(m.entries[k].numel + 1)]"]))
                if m.entries[k].numel == 1 && m.entries[k].value("shape") == "[]" { m.entries[k].set("shape", "[3]") }
            case "wrongType":
                switch pick(4) {
                case 0: m.entries[t].set("shape", choose(["\"3\"", "{}", "3", "null", "true", "[\"3\"]", "[[3]]"]))
                case 1: m.entries[t].set("data_offsets", choose(["[0]", "[0,1,2]", "\"0,4\"", "{}", "[]", "[null,4]", "[[0],[4]]"]))
                case 2: m.entries[0].fields[0].value = choose(["1", "null", "[\"a\"]", "{}", "true"])
                default:
                    let e = m.entries[t]
                    m.entries[t].fields = [("\"extra\"", "1")] + e.fields  // unknown field
                }
            case "deepNesting":
                let depth = 60 + pick(5000)
                m.entries[0].fields[0].value = String(repeating: "[", count: depth) + (pick(2) == 0 ? String(repeating: "]", count: depth) : "")
            case "badJSON":
                let structural = Set("{}[]\":,".utf8)
                let h = m.header()
                let positions = h.indices.filter { structural.contains(h[$0]) }
                let at = choose(positions)
                switch pick(4) {
                case 0: m.headerTransform = { h in var x = h; x.remove(at: at); return x }
                case 1: m.headerTransform = { h in Array(h[0..<at]) }
                case 2: m.headerTransform = { h in h + Array(choose(["x", "}", ",", "{}", "\"", "null"]).utf8) }
                default: m.entries[t].fields.append(("\"dtype", "\"F32\""))  // unterminated key
                }
            case "swapOffsets":
                // Two tensors of equal byte size exchange their data: a valid file (values move).
                let a = m.entries.firstIndex { $0.key == "\"d.f64\"" }!, b = m.entries.firstIndex { $0.key == "\"w2.f32\"" }!
                let (oa, ob) = (m.entries[a].value("data_offsets"), m.entries[b].value("data_offsets"))
                m.entries[a].set("data_offsets", ob)
                m.entries[b].set("data_offsets", oa)
                expectation = .accept
            case "padding":
                let pad = Array(choose([" ", "        ", "\n", "\t \r\n", String(repeating: " ", count: 1 + pick(300))]).utf8)
                m.headerTransform = { $0 + pad }
                expectation = .accept
            case "leadingSpace":
                m.headerTransform = { [0x20] + $0 }
            case "flipData":
                var full = m.file()
                let start = 8 + m.header().count
                for _ in 0..<(1 + pick(8)) { full[start + pick(full.count - start)] ^= UInt8(1 << pick(8)) }
                bytes = full
                expectation = .accept
            case "reorder":
                for i in stride(from: m.entries.count - 1, to: 0, by: -1) { m.entries.swapAt(i, pick(i + 1)) }
                expectation = .accept
            case "escapedKey":
                let name = String(m.entries[t].key.dropFirst().dropLast())
                m.entries[t].key = "\"\\u00" + String(name.utf8.first!, radix: 16) + name.dropFirst() + "\""
                expectation = .accept
            case "flipAnywhere":
                var full = m.file()
                for _ in 0..<(1 + pick(6)) { full[pick(full.count)] ^= UInt8(1 << pick(8)) }
                bytes = full
                expectation = .either
            default:
                XCTFail("unknown kind \(kind)")
            }

            let image = bytes ?? m.file()
            let p = try SafetensorsFixtures.write(image, "f\(iteration).safetensors", in: dir)
            defer { unlink(p) }
            do {
                let file = try SafetensorsFile(path: p)
                accepted += 1
                perKind[kind, default: (0, 0)].accepted += 1
                XCTAssertNotEqual(expectation, .reject, "iteration \(iteration) (\(kind)) was accepted")
                XCTAssertEqual(file.fileSize, image.count)
                var covered = 0
                for name in file.names {
                    let info = try file.info(name)
                    XCTAssertLessThanOrEqual(file.dataStart + info.byteRange.upperBound, image.count)
                    XCTAssertEqual(info.byteCount, info.numel * info.dtype.byteSize)
                    let raw = try file.rawBytes(name)
                    XCTAssertEqual(Array(raw), Array(image[(file.dataStart + info.byteRange.lowerBound)..<(file.dataStart + info.byteRange.upperBound)]))
                    covered += raw.count
                    if info.dtype.isFloatingPoint {
                        XCTAssertEqual(try file.readFloats(name).count, info.numel)
                    }
                }
                XCTAssertEqual(file.dataStart + covered, image.count)
            } catch {
                let e: SafetensorsError = error
                rejected += 1
                perKind[kind, default: (0, 0)].rejected += 1
                XCTAssertNotEqual(expectation, .accept, "iteration \(iteration) (\(kind)) was rejected: \(e)")
                XCTAssertEqual(e.path, p)
                XCTAssertTrue(e.description.hasPrefix(p))
            }
        }
        let summary = perKind.keys.sorted().map { "\($0) \(perKind[$0]!.rejected)/\(perKind[$0]!.rejected + perKind[$0]!.accepted)" }
        print("safetensors fuzz: \(iterations) mutations, \(rejected) rejected, \(accepted) accepted; rejected per kind: \(summary.joined(separator: ", "))")
        XCTAssertEqual(rejected + accepted, iterations)
        XCTAssertGreaterThanOrEqual(iterations, 200)
        XCTAssertGreaterThan(Double(rejected) / Double(iterations), 0.7)
        XCTAssertEqual(perKind.count, 27, "every mutation kind ran")
    }
}
