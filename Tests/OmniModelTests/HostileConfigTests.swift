import Foundation
import XCTest
import OmniMedia
@testable import OmniModel

/// The causes a mutation run found in config.json and recipes, one test each: each must be a clear
/// error naming the field, never a trap, a hang or an allocation the machine cannot make.
final class HostileConfigTests: XCTestCase {
    /// `mutate(ModelConfig.tiny)` must fail validation with a message containing `expected`.
    func assertRejected(_ expected: String, budget: Double = 0x1p40, file: StaticString = #filePath, line: UInt = #line,
                        _ mutate: (inout ModelConfig) -> Void) {
        var config = ModelConfig.tiny
        mutate(&config)
        XCTAssertThrowsError(try config.validate(path: "m/config.json", memoryBudget: budget), file: file, line: line) { error in
            let text = "\(error)"
            XCTAssertTrue(text.contains(expected), "expected “\(expected)” in: \(text)", file: file, line: line)
            XCTAssertTrue(text.hasPrefix("m/config.json: "), text, file: file, line: line)
            XCTAssertLessThan(text.count, 400, "error lines stay short", file: file, line: line)
        }
    }

    // sizes below their minimum reached the layers (SIGSEGV, SIGFPE, precondition failures).
    func testNonPositiveSizesAreRejectedByName() {
        assertRejected("dit.width = -256") { $0.dit.width = -256 }
        assertRejected("dit.depth = 0") { $0.dit.depth = 0 }
        assertRejected("vae.base_channels = 0") { $0.vae.baseChannels = 0 }
        assertRejected("vae.channel_multipliers[1] = -2") { $0.vae.channelMultipliers[1] = -2 }
        assertRejected("vae.z_channels = 0") { $0.vae.zChannels = 0; $0.vae.latentMean = []; $0.vae.latentStd = [] }
        assertRejected("vae.res_blocks = 0") { $0.vae.resBlocks = 0 }
        assertRejected("vae.encoder_res_blocks = 0") { $0.vae.encoderResBlocks = 0 }
        assertRejected("pose.guider_channels has 0 entries") { $0.pose.guiderChannels = [] }
        assertRejected("pose.guider_channels[1] = 0") { $0.pose.guiderChannels = [8, 0] }
        assertRejected("pose.feature_channels = -1") { $0.pose.featureChannels = -1 }
        assertRejected("pose.map_channels = 3") { $0.pose.mapChannels = 3 }
        assertRejected("dit.time_embedding_width = 7") { $0.dit.timeEmbeddingWidth = 7 }
        assertRejected("audio.hidden = 0") { $0.audio.hidden = 0 }
        assertRejected("audio.neighbours = -1") { $0.audio.neighbours = -1 }
        assertRejected("audio.mel_bins = 0") { $0.audio.melBins = 0 }
        assertRejected("text.max_tokens = 0") { $0.text.maxTokens = 0 }
        assertRejected("text.encoder_width = 0") { $0.text.encoderWidth = 0 }
        assertRejected("video.sizes must hold") { $0.video.sizes = [] }
        assertRejected("video.sizes entry [-32, 32]") { $0.video.sizes = [[-32, 32]] }
        assertRejected("dit.rope_base = 0.0") { $0.dit.ropeBase = 0 }
        assertRejected("vae.latent_mean and vae.latent_std") { $0.vae.latentStd[0] = .nan }
    }

    // sizes above any machine trapped out of memory in the buffer pool while the model was built.
    func testShapesBeyondTheMemoryBudgetAreRejectedBeforeAllocating() {
        assertRejected("more than the 1.0 GiB", budget: 0x1p30) { $0.dit.width = 4096; $0.dit.depth = 12 }
        assertRejected("dit.width = 65536") { $0.dit.width = 65536 }
        // The same shape passes a budget it fits in: the check is a budget, not a fixed cap.
        var wide = ModelConfig.tiny
        wide.dit.width = 4096
        XCTAssertNoThrow(try wide.validate(path: "m", memoryBudget: 0x1p40))
        XCTAssertNoThrow(try ModelConfig.mini.validate(path: "m", memoryBudget: 0x1p30))
    }

    /// The estimate the budget check relies on mirrors the built modules: within 2 % of their real parameter
    /// count, for both presets and the ÷8 shape with mid attention.
    func testMemoryEstimateMatchesTheBuiltModel() {
        var d8 = ModelConfig.mini
        d8.vae.channelMultipliers = [1, 2, 4, 4]
        d8.vae.temporalDownsample = [false, true, true]
        d8.vae.midAttention = true
        d8.vae.resBlocks = 2
        d8.pose.guiderChannels = [16, 32, 64]
        d8.dit.patchSize = 1
        var grown = ModelConfig.mini
        grown.vae.encoderResBlocks = 3
        for config in [ModelConfig.tiny, .mini, d8, grown] {
            let weights = OmniModelWeights(config: config)
            let actual = Double(weights.namedTensors().filter { !$0.key.hasPrefix("vae.preview.") }.reduce(0) { $0 + $1.tensor.count })
            let estimate = ModelMemory(config: config).parameters
            XCTAssertEqual(estimate / actual, 1, accuracy: 0.02, "estimate \(estimate) vs built \(actual)")
        }
    }

    // a width near Int.max made the buffer pool's size-class search loop forever.
    func testHugeGuiderChannelsAreRejectedNotHung() {
        assertRejected("pose.guider_channels[0] = 9223372036854775807") { $0.pose.guiderChannels = [Int.max, 8] }
        assertRejected("vae.base_channels = 9223372036854775807") { $0.vae.baseChannels = Int.max }
    }

    // the config's sampling defaults and frame rate skipped the ranges a request is held to.
    func testSamplingDefaultsAndFrameRateFollowTheRequestRanges() {
        assertRejected("sampling.steps = 0") { $0.sampling.steps = 0 }
        assertRejected("sampling.shift = -1.0") { $0.sampling.shift = -1 }
        assertRejected("sampling.text_guidance = inf") { $0.sampling.textGuidance = .infinity }
        assertRejected("video.fps = 1000 must be 1 … 120") { $0.video.fps = 1000 }
        assertRejected("video.segment_frames = 100001") { $0.video.segmentFrames = 100_001 }
    }

    // with video.fps 1000 the run failed inside the encoder and blamed the hidden working folder.
    func testAnUnusableFrameRateBlamesTheConfigNotTheWorkingFolder() throws {
        let dir = try PipelineFixtures.directory()
        defer { try? FileManager.default.removeItem(at: dir) }
        var config = ModelConfig.tiny
        config.video.fps = 1000
        try config.encoded().write(to: dir.appendingPathComponent("config.json"))
        XCTAssertThrowsError(try LoadedModel.load("random:" + dir.appendingPathComponent("config.json").path)) { error in
            XCTAssertTrue("\(error)".contains("config.json: not a usable model: video.fps = 1000"), "\(error)")
            XCTAssertFalse("\(error)".contains(".partial"), "\(error)")
        }
    }

    // a missing or mistyped key was named in the decoder's camelCase ('vae.channelMultipliers'), not as config.json spells it.
    func testMissingAndMistypedKeysAreNamedAsTheFileSpellsThem() throws {
        let dir = try PipelineFixtures.directory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let good = try XCTUnwrap(JSONSerialization.jsonObject(with: ModelConfig.tiny.encoded()) as? [String: Any])
        func rejected(_ edit: (inout [String: Any]) -> Void) throws -> String {
            var json = good
            edit(&json)
            try JSONSerialization.data(withJSONObject: json).write(to: dir.appendingPathComponent("config.json"))
            do { _ = try ModelConfig.load(folder: dir.path); return "loaded" } catch { return "\(error)" }
        }
        let missing = try rejected { json in
            var vae = json["vae"] as! [String: Any]
            vae["channel_multipliers"] = nil
            json["vae"] = vae
        }
        XCTAssertTrue(missing.hasSuffix("config.json: not a usable model: missing key 'vae.channel_multipliers'"), missing)
        let mistyped = try rejected { json in
            var vae = json["vae"] as! [String: Any]
            vae["temporal_downsample"] = [true, "yes"]
            json["vae"] = vae
        }
        XCTAssertTrue(mistyped.contains("'vae.temporal_downsample.1': "), mistyped)
    }

    // a megabyte-long bad value was echoed back whole.
    func testBadValuesAreClippedInMessages() {
        let long = String(repeating: "x", count: 1 << 20)
        XCTAssertThrowsError(try TOMLDocument(parsing: "size = \(long)\n", path: "r.toml")) { error in
            XCTAssertLessThan("\(error)".count, 200, "\("\(error)".prefix(200))")
            XCTAssertTrue("\(error)".hasPrefix("r.toml:1: "), "\("\(error)".prefix(200))")
        }
        XCTAssertThrowsError(try GenerationRequest(recipe: TOMLDocument(parsing: "steps = \"\(long)\"\n", path: "r.toml"), path: "r.toml")) { error in
            XCTAssertLessThan("\(error)".count, 200, "\("\(error)".prefix(200))")
            XCTAssertTrue("\(error)".hasPrefix("r.toml:1: 'steps' must be an integer"), "\("\(error)".prefix(200))")
        }
    }
}

/// The TOML reader on hostile recipes and presets.
final class HostileTOMLTests: XCTestCase {
    // one line of 100 000 `[` recursed until the stack overflowed.
    func testDeepArrayNestingIsAnErrorNotAStackOverflow() {
        let text = "size = " + String(repeating: "[", count: 100_000) + "\n"
        XCTAssertThrowsError(try TOMLDocument(parsing: text, path: "r.toml")) { error in
            XCTAssertTrue("\(error)".hasPrefix("r.toml:1: "), "\(error)")
            XCTAssertTrue("\(error)".contains("nested"), "\(error)")
        }
        // Nesting up to the limit still reads; one level more is refused by name.
        func nested(_ depth: Int) -> String { String(repeating: "[", count: depth) + "1" + String(repeating: "]", count: depth) }
        XCTAssertEqual(try TOMLDocument(parsing: "a = \(nested(TOMLDocument.maxArrayDepth))\n", path: "r.toml").entries.count, 1)
        XCTAssertThrowsError(try TOMLDocument(parsing: "\n a = \(nested(TOMLDocument.maxArrayDepth + 1))\n", path: "r.toml")) { error in
            XCTAssertEqual("\(error)", "r.toml:2: arrays nested more than \(TOMLDocument.maxArrayDepth) deep")
        }
    }

    // What TOML allows but a recipe never holds is an error naming the line, not something silently dropped.
    func testShapesRecipesDoNotUseAreRefusedByLine() {
        let cases: [(String, String)] = [
            ("steps = 4\n[text]\nstyle = { a = 1 }\n", "r.toml:3: 'style' is an inline table"),
            ("[a]\n[a.b]\nc = 1\n", "[a.b]: tables are one level deep"),
            ("[[runs]]\nsteps = 1\n", "'runs' holds tables"),
            ("seed = 1\nwhen = 2026-12-05\n", "r.toml:2: 'when' is a date or time"),
            ("shift = nan\n", "r.toml:1: 'shift' must be a finite number"),
            ("steps = 4\u{0}\nseed = 1\n", "r.toml: contains a NUL byte"),
            ("steps = 4\nsteps = 5\n", "r.toml:2: "),
            ("steps = 4\n[,\n", "r.toml:2: expected a table name after '['"),
            ("[[[\n", "r.toml:1: expected a table name after '['"),
        ]
        for (text, expected) in cases {
            XCTAssertThrowsError(try TOMLDocument(parsing: text, path: "r.toml"), text.debugDescription) { error in
                XCTAssertTrue("\(error)".contains(expected), "\(text.debugDescription) → \(error)")
            }
        }
    }

    // toml++ hands keys back sorted; the document keeps the file's order and lines, and a quoted key is placed too.
    func testEntriesKeepTheFilesOrderAndLines() throws {
        let text = "# r\nsteps = 4\nfps = 25\n\n[text]\n\"prompt\" = \"waves\"\nenabled = true\n\n[audio]\nguidance = 3.5\n"
        let d = try TOMLDocument(parsing: text, path: "r.toml")
        XCTAssertEqual(d.entries.map { "\($0.table).\($0.key)@\($0.line ?? -1)" },
                       [".steps@2", ".fps@3", "text.prompt@6", "text.enabled@7", "audio.guidance@10"])
        XCTAssertThrowsError(try GenerationRequest(recipe: TOMLDocument(parsing: "[text]\n\nenabled = 3\n", path: "r.toml"), path: "r.toml")) {
            XCTAssertTrue("\($0)".hasPrefix("r.toml:3: 'enabled' must be true or false"), "\($0)")
        }
    }

    func testOversizedFilesAreRefusedBeforeReading() throws {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("big-\(UUID().uuidString).toml")
        defer { try? FileManager.default.removeItem(at: url) }
        try Data(repeating: UInt8(ascii: "#"), count: TOMLDocument.maxFileBytes + 1).write(to: url)
        XCTAssertThrowsError(try TOMLDocument(contentsOf: url.path)) { XCTAssertTrue("\($0)".contains("too large"), "\($0)") }
    }

    // a recipe written with CRLF (or CR) line endings read as empty — every condition off, no warning.
    func testWindowsAndOldMacLineEndingsReadLikeUnix() throws {
        let unix = "# a recipe\nsteps = 7\nseed = 3\n\n[text]\nenabled = true\nprompt = \"waves\"\n"
        let expected = try GenerationRequest(recipe: TOMLDocument(parsing: unix, path: "r.toml"), path: "r.toml")
        XCTAssertEqual(expected.steps, 7)
        XCTAssertTrue(expected.text.enabled)
        for ending in ["\r\n", "\r"] {
            let text = unix.replacingOccurrences(of: "\n", with: ending)
            let document = try TOMLDocument(parsing: text, path: "r.toml")
            XCTAssertEqual(try GenerationRequest(recipe: document, path: "r.toml"), expected, "line ending \(ending.debugDescription)")
            // Line numbers in errors still count lines.
            XCTAssertThrowsError(try TOMLDocument(parsing: "a = 1\(ending)b = ?\(ending)", path: "r.toml")) {
                XCTAssertTrue("\($0)".hasPrefix("r.toml:2: "), "\($0)")
            }
        }
    }
}
