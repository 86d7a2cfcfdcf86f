import Foundation
import OmniFuzz
import XCTest
@testable import OmniModel
@testable import OmniTensor

/// Whisper tiny.en's encoder against an independent numpy re-implementation (`python -m omnitorch.whisper_reference`,
/// itself checked against CTranslate2's encoder: max |Δ| 3.3e-4), and the CTranslate2 reader on hostile files.
final class WhisperEncoderTests: XCTestCase {
    static let fixture = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .appendingPathComponent("Fixtures/whisper_tiny_en.safetensors").path

    func read(_ file: SafetensorsFile, _ name: String) throws -> Tensor {
        Tensor(try file.readFloats(name), shape: try file.info(name).shape)
    }

    func testEncoderMatchesTheNumpyReference() throws {
        let file = try SafetensorsFile(path: Self.fixture)
        let audio = try file.readFloats("audio")
        let mel = WhisperEncoder.logMel(samples: audio)
        let referenceMel = try read(file, "log_mel")
        var melError: Float = 0
        for i in 0..<referenceMel.count { melError = max(melError, abs(mel.data[i] - referenceMel.data[i])) }
        XCTAssertLessThan(melError, 1e-3, "log-mel front end")

        let encoder = try WhisperEncoder.load()
        XCTAssertEqual(encoder.width, 384)
        XCTAssertEqual(encoder.heads, 6)
        let states = encoder(mel)
        XCTAssertEqual(states.shape, [1500, 384])
        let reference = try read(file, "states")
        var worst: Float = 0, lowestCosine = 1.0
        for row in 0..<reference.shape[0] {
            var dot = 0.0, a2 = 0.0, b2 = 0.0
            for j in 0..<384 {
                let a = Double(states.data[row * 384 + j]), b = Double(reference.data[row * 384 + j])
                worst = max(worst, Float(abs(a - b)))
                dot += a * b; a2 += a * a; b2 += b * b
            }
            lowestCosine = min(lowestCosine, dot / (a2 * b2).squareRoot())
        }
        print("whisper parity: log-mel max |Δ| \(melError), states max |Δ| \(worst), lowest per-state cosine \(lowestCosine)")
        XCTAssertLessThanOrEqual(worst, 2e-3, "max |Δ| over the first \(reference.shape[0]) states")
        XCTAssertGreaterThanOrEqual(lowestCosine, 0.9999, "per-state cosine")
        // Every state, summarised: the mean over all 1500 positions.
        let mean = try read(file, "states_mean")
        for j in 0..<384 {
            var s: Float = 0
            for row in 0..<1500 { s += states.data[row * 384 + j] }
            XCTAssertEqual(s / 1500, mean.data[j], accuracy: 2e-3)
        }
    }

    // MARK: - The CTranslate2 reader

    /// A minimal version-6 file: `spec`, one F16 variable `a/b` of shape [2, 3] = [0.5, −1, 2, 0, 0.25, 8], one I16
    /// scalar `n` = 6, no aliases — the fuzzer's seed for this reader, so both check the same bytes.
    func ct2Bytes() -> [UInt8] {
        FuzzTarget.named("ct2", repository: URL(fileURLWithPath: "/"))!.seeds[0]
    }

    func write(_ bytes: [UInt8]) throws -> String {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("ct2-\(UUID().uuidString).bin").path
        try Data(bytes).write(to: URL(fileURLWithPath: path))
        addTeardownBlock { try? FileManager.default.removeItem(atPath: path) }
        return path
    }

    func testReaderReadsAValidFile() throws {
        let file = try CTranslate2File(path: try write(ct2Bytes()))
        XCTAssertEqual(file.specName, "WhisperSpec")
        XCTAssertEqual(try file.tensor("a/b", shape: [2, 3]).values, [0.5, -1, 2, 0, 0.25, 8])
        XCTAssertEqual(try file.integer("n"), 6)
        XCTAssertThrowsError(try file.tensor("a/b", shape: [3, 2])) { XCTAssertTrue("\($0)".contains("expected [3, 2]"), "\($0)") }
        XCTAssertThrowsError(try file.tensor("missing", shape: [1])) { XCTAssertTrue("\($0)".contains("no variable missing"), "\($0)") }
    }

    func testReaderRejectsBrokenFilesNamingThem() throws {
        let good = ct2Bytes()
        var badVersion = good; badVersion[0] = 5
        var badType = good; badType[4 + 2 + 12 + 4 + 4 + 2 + 4 + 1 + 8] = 9   // the dtype byte of a/b
        var badSize = good; badSize[4 + 2 + 12 + 4 + 4 + 2 + 4 + 1 + 8 + 1] = 13   // its byte count
        let cases: [(String, [UInt8], String)] = [
            ("version", badVersion, "version 5"), ("truncated", Array(good.prefix(good.count / 2)), "truncated"),
            ("type", badType, "unknown data type"), ("size", badSize, "bytes for shape"),
            ("trailing", good + [1, 2, 3, 4, 5], "after the last entry"), ("empty", [], "truncated"),
        ]
        for (label, bytes, reason) in cases {
            let path = try write(bytes)
            XCTAssertThrowsError(try CTranslate2File(path: path), label) { error in
                XCTAssertTrue("\(error)".contains(path) && "\(error)".contains(reason), "\(label): \(error)")
            }
        }
        XCTAssertThrowsError(try CTranslate2File(path: "/nonexistent/model.bin")) { XCTAssertTrue("\($0)".contains("make bootstrap"), "\($0)") }
    }
}
