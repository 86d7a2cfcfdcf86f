import XCTest
import OmniTensor
@testable import OmniModel

/// all-MiniLM-L6-v2 against the REFERENCES.md goldens (sentence-transformers' mean-pooled, normalised
/// embedding). Needs the weights from `make bootstrap`; skipped when the cache folder is missing.
final class MiniLMTests: XCTestCase {
    /// Loaded once for the class (about 90 MB of F32 weights).
    nonisolated(unsafe) static var loaded: Result<TextEncoder, ModelError>?

    func encoder() throws -> TextEncoder {
        let directory = EncoderCache.miniLMDirectory()
        guard FileManager.default.fileExists(atPath: directory.path) else {
            throw XCTSkip("\(directory.path) is missing — run `make bootstrap` to fetch all-MiniLM-L6-v2")
        }
        if Self.loaded == nil {
            do { Self.loaded = .success(try TextEncoder.load(cacheDirectory: directory)) } catch {
                Self.loaded = .failure(error)
            }
        }
        return try Self.loaded!.get()
    }

    static func cosine(_ a: [Float], _ b: [Float]) -> Float {
        var dot: Float = 0, na: Float = 0, nb: Float = 0
        for i in a.indices { dot += a[i] * b[i]; na += a[i] * a[i]; nb += b[i] * b[i] }
        return dot / (na.squareRoot() * nb.squareRoot())
    }

    func testGoldenEmbedding() throws {
        let e = try encoder()
        let v = e.sentenceEmbedding("A man is eating food.")
        XCTAssertEqual(v.count, 384)
        let golden: [Float] = [0.033242, 0.004406, -0.006277, 0.048379, -0.138702, -0.033617, 0.101128, -0.054385]
        print("MiniLM golden: first 8 = \(v.prefix(8).map { String(format: "%.6f", $0) })")
        for i in 0..<8 { XCTAssertEqual(v[i], golden[i], accuracy: 1e-4, "component \(i)") }
        XCTAssertEqual(v.reduce(0) { $0 + $1 * $1 }, 1, accuracy: 1e-5)
    }

    func testGoldenCosine() throws {
        let e = try encoder()
        let c = Self.cosine(e.sentenceEmbedding("A man is eating food."),
                            e.sentenceEmbedding("A man is eating a piece of bread."))
        print("MiniLM golden: cosine = \(c)")
        XCTAssertEqual(c, 0.755, accuracy: 0.01)
    }

    /// A padded batch gives each sentence the embedding and token states it has alone: padding keys are masked.
    func testBatchMatchesSingles() throws {
        let e = try encoder()
        let texts = ["A man is eating a piece of bread.", "Hi!", "A man is eating food."]
        let batched = e.sentenceEmbeddings(texts)
        for (text, b) in zip(texts, batched) {
            let alone = e.sentenceEmbedding(text)
            for i in 0..<384 { XCTAssertEqual(b[i], alone[i], accuracy: 1e-5, "\(text) component \(i)") }
        }
        let states = e.tokenStates(texts)
        XCTAssertEqual(states.map(\.shape), [[11, 384], [4, 384], [8, 384]])
        let single = e.tokenStates("Hi!")
        XCTAssertEqual(single.shape, [4, 384])
        for i in 0..<single.count { XCTAssertEqual(states[1].data[i], single.data[i], accuracy: 1e-4) }
    }

    func testTokenStatesTruncate() throws {
        let e = try encoder()
        let s = e.tokenStates("A man is eating a piece of bread.", maxTokens: 5)
        XCTAssertEqual(s.shape, [5, 384])
        XCTAssertTrue(s.values.allSatisfy(\.isFinite))
    }

    func testMissingCacheNamesThePath() {
        let missing = FileManager.default.temporaryDirectory.appendingPathComponent("no-such-minilm-\(getpid())")
        XCTAssertThrowsError(try TextEncoder.load(cacheDirectory: missing)) { error in
            XCTAssertEqual(error as? ModelError, .missingEncoder(name: "all-MiniLM-L6-v2", path: missing.path))
            XCTAssertTrue("\(error)".contains("make bootstrap"))
        }
    }

    func testMissingFileNamesThePath() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("partial-minilm-\(getpid())")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        try Data("{}".utf8).write(to: dir.appendingPathComponent("config.json"))
        XCTAssertThrowsError(try TextEncoder.load(cacheDirectory: dir)) { error in
            XCTAssertEqual(error as? ModelError,
                           .missingEncoder(name: "all-MiniLM-L6-v2", path: dir.appendingPathComponent("vocab.txt").path))
        }
    }

    func testCacheRootResolution() {
        XCTAssertEqual(EncoderCache.root(environment: ["OMNISTUDIO_CACHE": "/c", "XDG_CACHE_HOME": "/x", "HOME": "/h"]).path, "/c")
        XCTAssertEqual(EncoderCache.root(environment: ["OMNISTUDIO_CACHE": "", "XDG_CACHE_HOME": "/x", "HOME": "/h"]).path, "/x/omnistudio")
        XCTAssertEqual(EncoderCache.root(environment: ["HOME": "/h"]).path, "/h/.cache/omnistudio")
        XCTAssertEqual(EncoderCache.miniLMDirectory(environment: ["OMNISTUDIO_CACHE": "/c"]).path, "/c/all-minilm-l6-v2")
    }

    /// Every checkpoint key is either declared by the module tree or on the documented ignore list.
    func testCheckpointKeysMatchModuleTree() throws {
        let e = try encoder()
        let keys = Set(e.model.namedTensors().map(\.key))
        XCTAssertEqual(keys.count, 101)
        XCTAssertTrue(keys.contains("encoder.layer.5.attention.self.query.weight"))
        XCTAssertTrue(keys.contains("embeddings.LayerNorm.weight"))
        let file = try SafetensorsFile(path: e.directory.appendingPathComponent("model.safetensors").path)
        XCTAssertEqual(Set(file.names), keys.union(BertModel.ignoredCheckpointKeys))
        XCTAssertTrue(e.model.trainableParameters().isEmpty)
    }
}
