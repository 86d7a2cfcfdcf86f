import Foundation
import OmniFuzz
import OmniMedia
import OmniModel
import XCTest

/// A short seeded run of the mutation fuzzer over every parser of user files (`make fuzz` runs the long ones):
/// no case may crash or hang the process, every rejection must name the file, and every seed input (valid by
/// construction) must parse. Then the saved inputs that once crashed or hung are replayed.
final class FuzzTests: XCTestCase {
    static let repository = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    static let corpus = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Corpus")
    var scratch: URL!

    override func setUpWithError() throws {
        scratch = FileManager.default.temporaryDirectory.appendingPathComponent("fuzz-tests-\(UUID().uuidString)")
    }
    override func tearDownWithError() throws { try? FileManager.default.removeItem(at: scratch) }

    /// Cases per target: enough to exercise every mutation kind on every seed, in seconds.
    static let cases = ["config": 1000, "recipe": 1000, "preset": 1000, "theme": 1000, "pose": 1000, "image": 1000,
                        "audio": 1000, "safetensors": 1000, "ct2": 1000]

    func testEveryTargetSurvivesASeededRunAndNamesTheFileInEveryError() throws {
        let targets = FuzzTarget.all(repository: Self.repository)
        XCTAssertEqual(Set(targets.map(\.name)), Set(Self.cases.keys))
        for target in targets {
            let run = try FuzzRun(target: target, runSeed: 20261204, scratch: scratch)
            let seeds = try run.run(0..<target.seeds.count)
            XCTAssertEqual(seeds.parsed, target.seeds.count, "\(target.name): a seed input does not parse")
            let tally = try run.run(target.seeds.count..<Self.cases[target.name]!)
            XCTAssertEqual(tally.unnamed.map(\.0), [], "\(target.name): errors not naming the file: \(tally.unnamed.prefix(3).map(\.1))")
            // The run explores both sides: some mutants still parse, most are refused.
            XCTAssertGreaterThan(tally.rejected, 0, target.name)
        }
    }

    /// Inputs `omnistudio-fuzz` saved because they crashed or hung (`Corpus/<target>/…`), and the reproductions of
    /// the causes found before the fuzzer existed: each must now be refused (or read) cleanly.
    func testSavedCrashesAndKnownReproductionsAreHandled() throws {
        var replayed = 0
        for target in FuzzTarget.all(repository: Self.repository) {
            let run = try FuzzRun(target: target, runSeed: 1, scratch: scratch)
            let folder = Self.corpus.appendingPathComponent(target.name)
            let saved = ((try? FileManager.default.contentsOfDirectory(atPath: folder.path)) ?? []).sorted().compactMap {
                FileManager.default.contents(atPath: folder.appendingPathComponent($0).path).map { [UInt8]($0) }
            }
            for bytes in saved + (Self.reproductions[target.name] ?? []) {
                let tally = try run.replay(bytes)
                XCTAssertEqual(tally.unnamed.map(\.0), [], "\(target.name): \(tally.unnamed.map(\.1))")
                replayed += 1
            }
        }
        XCTAssertGreaterThanOrEqual(replayed, 12)
    }

    /// The shortest reproductions of the crashes and hangs a mutation run found before the fixes.
    static var reproductions: [String: [[UInt8]]] {
        func config(_ edit: (inout ModelConfig) -> Void) -> [UInt8] {
            var c = ModelConfig.tiny
            edit(&c)
            return [UInt8](c.encoded())
        }
        var pose: [UInt8] {
            Array(("{\"fps\": 1e-300, \"width\": 64, \"height\": 64, \"frames\": [{\"pose_keypoints_2d\": ["
                   + Array(repeating: "1, 1, 1", count: 18).joined(separator: ", ") + "]}]}").utf8)
        }
        // toml++ 3.4 asserted (abort) on a table header with no name: found by this fuzzer when TOMLKit came in.
        let headers = ["[[[", "[,", "[\n", "steps = 4\n[\t\n", "[[ ,]]\n", "a = [\n  [\n    1\n  ]\n]\n"].map { Array($0.utf8) }
        let oneHertz = [UInt8](AudioClip(samples: [Float](repeating: 0.3, count: 8000), sampleRate: 1).wavData())
        return [
            "recipe": [Array(("size = " + String(repeating: "[", count: 100_000) + "\n").utf8), Array("steps = 4\r\nseed = 2\r\n".utf8)] + headers,
            "preset": [Array(("size = " + String(repeating: "[", count: 100_000) + "\n").utf8)] + headers,
            "config": [config { $0.dit.heads = 0 }, config { $0.dit.width = -256 }, config { $0.pose.guiderChannels = [] },
                       config { $0.pose.guiderChannels = [Int.max, 32] }, config { $0.sampling.steps = 0 },
                       config { $0.video.fps = 1000 }, config { $0.dit.width = 4096 },
                       config { $0.vae.temporalDownsample = [Bool](repeating: true, count: 64) }],
            "pose": [pose, Array(String(decoding: pose, as: UTF8.self).replacingOccurrences(of: "1e-300", with: "0.01").utf8)],
            "audio": [oneHertz],
            "theme": [Array("theme[main_bg]=\"#102030\"\r\ntheme[hi_fg]=\"red\"\r\n".utf8)],
        ]
    }
}
