import Foundation
import XCTest
import OmniMedia
@testable import OmniModel

/// Bad inputs give one clear error naming the file (or setting) and the reason — and no output folder.
final class PipelineErrorTests: XCTestCase {
    var dir: URL!
    var model: LoadedModel { PipelineTests.model }
    override func setUpWithError() throws { dir = try PipelineFixtures.directory() }
    override func tearDownWithError() throws { try? FileManager.default.removeItem(at: dir) }

    func base() throws -> GenerationRequest {
        var r = GenerationRequest(model: "random:tiny", seed: 1, steps: 1, width: 32, height: 32)
        r.reference = .init(enabled: true, path: try PipelineFixtures.reference(in: dir))
        r.audio.enabled = true
        r.audio.path = try PipelineFixtures.audio(in: dir, seconds: 0.4)
        return r
    }

    /// Runs `request` and returns the failure's text; asserts nothing was left in `dir` but the inputs.
    func failure(_ request: GenerationRequest, file: StaticString = #filePath, line: UInt = #line) -> String {
        let before = Set((try? FileManager.default.contentsOfDirectory(atPath: dir.path)) ?? [])
        let out = dir.appendingPathComponent("out")
        let result = PipelineFixtures.run(request, model: model, out: out)
        XCTAssertNil(result.folder, file: file, line: line)
        let after = Set((try? FileManager.default.contentsOfDirectory(atPath: dir.path)) ?? [])
        XCTAssertEqual(after, before, "a failed run left files behind", file: file, line: line)
        guard case .failed(let error)? = result.events.last else {
            XCTFail("expected a failure, got \(String(describing: result.events.last))", file: file, line: line)
            return ""
        }
        return error.description
    }

    func testMissingFiles() throws {
        var r = try base()
        r.reference.path = dir.appendingPathComponent("nope.png").path
        XCTAssertEqual(failure(r), "\(r.reference.path): no such file")
        r = try base()
        r.audio.path = dir.appendingPathComponent("nope.wav").path
        XCTAssertEqual(failure(r), "\(r.audio.path): no such file")
        r = try base()
        r.pose = .init(enabled: true, path: dir.appendingPathComponent("nope.json").path)
        XCTAssertEqual(failure(r), "\(r.pose.path): no such file")
    }

    func testPoseFileWithSeventeenJoints() throws {
        var r = try base()
        r.pose = .init(enabled: true, path: try PipelineFixtures.pose(in: dir, frames: 10, joints: 17))
        let text = failure(r)
        XCTAssertTrue(text.hasPrefix(r.pose.path), text)
        XCTAssertTrue(text.contains("51 numbers") && text.contains("18"), text)
    }

    /// A pose clip shorter than the audio is an error that says both lengths and how to proceed.
    func testPoseClipShorterThanTheAudio() throws {
        var r = try base()   // 0.4 s of audio = 10 frames
        r.pose = .init(enabled: true, path: try PipelineFixtures.pose(in: dir, frames: 6))
        let text = failure(r)
        XCTAssertTrue(text.contains("covers 0.24 s") && text.contains("needs 0.40 s") && text.contains("--duration 0.24"), text)
        // Cutting the video to the pose clip's length works.
        r.duration = 0.24
        XCTAssertNotNil(PipelineFixtures.run(r, model: model, out: dir.appendingPathComponent("cut")).folder)
    }

    /// A length taken from an input is capped like --duration: a pose clip at 1 fps stretched over an hour would
    /// have started a 90 000-frame run.
    func testPoseClipLongerThanTheLongestVideoIsAnError() throws {
        var r = try base()
        r.audio.enabled = false
        r.pose = .init(enabled: true, path: try PipelineFixtures.pose(in: dir, frames: 3601, fps: 1))
        let text = failure(r)
        XCTAssertTrue(text.hasPrefix("pose.path: \(r.pose.path): the pose clip lasts 3601 s, more than the 3600 s"), text)
    }

    func testSilentAndZeroLengthAudio() throws {
        var r = try base()
        r.audio.path = try PipelineFixtures.audio(in: dir, seconds: 0.5, silent: true, name: "silence.wav")
        XCTAssertTrue(failure(r).contains("the audio is silent"))
        r.audio.path = try PipelineFixtures.audio(in: dir, seconds: 0, name: "empty.wav")
        XCTAssertEqual(failure(r), "\(r.audio.path): the audio stream holds no samples")
    }

    func testUnreadableImage() throws {
        var r = try base()
        let path = dir.appendingPathComponent("broken.png").path
        try "not a png".write(toFile: path, atomically: true, encoding: .utf8)
        r.reference.path = path
        let text = failure(r)
        XCTAssertTrue(text.hasPrefix(path + ": corrupt or unrecognised media"), text)
    }

    func testEmptyPromptAndMissingDurationAreRequestErrors() throws {
        var r = try base()
        r.text = .init(enabled: true, prompt: "   ")
        XCTAssertEqual(failure(r), "text.prompt: text is on but the prompt is empty")
        r = try base()
        r.audio.enabled = false
        XCTAssertEqual(failure(r), "duration: with neither audio nor pose driving the video, give a duration in seconds")
    }

    func testSegmentLengthMustBeOnePlusFourK() throws {
        let folder = dir.appendingPathComponent("model")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        var config = ModelConfig.tiny
        config.video.segmentFrames = 10
        try config.encoded().write(to: folder.appendingPathComponent("config.json"))
        XCTAssertThrowsError(try LoadedModel.load(folder.path)) { error in
            XCTAssertEqual("\(error)", "\(folder.path)/config.json: not a usable model: video.segment_frames = 10 is not 1 + 4k (e.g. 25)")
        }
    }

    func testUnknownRecipeKeyNamesFileAndLine() throws {
        let path = dir.appendingPathComponent("recipe.toml").path
        try "seed = 3\nsteps = 2\n\n[audio]\nenabled = true\nvolume = 11\n".write(toFile: path, atomically: true, encoding: .utf8)
        XCTAssertThrowsError(try GenerationRequest(recipeAt: path)) { error in
            XCTAssertTrue("\(error)".hasPrefix("\(path):6: unknown key 'volume' in [audio]"), "\(error)")
        }
        try "seed = \"three\"\n".write(toFile: path, atomically: true, encoding: .utf8)
        XCTAssertThrowsError(try GenerationRequest(recipeAt: path)) { error in
            XCTAssertEqual("\(error)", "\(path):1: 'seed' must be an integer, got \"three\"")
        }
    }

    func testRecipeRoundTrip() throws {
        var r = try base()
        r.text = .init(enabled: true, prompt: "waves \"hello\"\nthen bows\t\\ \u{1}\u{1F}\u{7F}\r é 🙂", guidance: 4.5)
        r.seed = UInt64.max
        r.audio.annealing = .cosine
        r.motionNoise = 0.25
        let path = dir.appendingPathComponent("r.toml").path
        try r.tomlText().write(toFile: path, atomically: true, encoding: .utf8)
        XCTAssertEqual(try GenerationRequest(recipeAt: path), r)
    }

    /// motion_noise: 0…1 in a request and in a model's sampling defaults, each refusal naming the setting; unset,
    /// a request takes the model's (0 where the model names none).
    func testMotionNoiseIsBoundedAndDefaultsToTheModels() throws {
        var r = try base()
        XCTAssertEqual(r.resolved(for: .tiny).motionNoise, 0)
        var config = ModelConfig.tiny
        config.sampling.motionNoise = 0.2
        XCTAssertEqual(r.resolved(for: config).motionNoise, 0.2)
        r.motionNoise = 0
        XCTAssertEqual(r.resolved(for: config).motionNoise, 0, "a request's own value wins")
        r.motionNoise = 1.5
        XCTAssertThrowsError(try r.validate()) { XCTAssertTrue("\($0)".contains("motion_noise"), "\($0)") }
        config.sampling.motionNoise = -0.1
        XCTAssertThrowsError(try config.validate(path: "config.json")) { XCTAssertTrue("\($0)".contains("sampling.motion_noise"), "\($0)") }
    }
}

/// Hidden working folders left by runs that were killed outright are swept by the next run; live runs' are not.
final class RunFolderSweepTests: XCTestCase {
    func testTheNextRunSweepsWorkingFoldersWhoseOwnerIsGone() throws {
        let root = try PipelineFixtures.directory()
        defer { try? FileManager.default.removeItem(at: root) }
        func partial(_ name: String, owner: String?) throws -> URL {
            let url = root.appendingPathComponent(".\(name).partial")
            try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
            if let owner { try owner.write(to: url.appendingPathComponent(".owner"), atomically: true, encoding: .utf8) }
            return url
        }
        // A process that has ended: its id is free (or reused by another process with another start time).
        let child = Process()
        child.executableURL = URL(fileURLWithPath: "/bin/true")
        try child.run(); child.waitUntilExit()
        let dead = try partial("killed", owner: "\(child.processIdentifier) 12345")
        let reused = try partial("reused", owner: "\(getpid()) 1")
        let live = try partial("live", owner: RunFolder.ownerStamp(getpid()))
        let unknown = try partial("old-version", owner: nil)
        let folder = try RunFolder.make(root: root, seed: 3)
        let exists = { (url: URL) in FileManager.default.fileExists(atPath: url.path) }
        XCTAssertFalse(exists(dead))
        XCTAssertFalse(exists(reused))
        XCTAssertTrue(exists(live))
        XCTAssertTrue(exists(unknown), "no stamp: not ours to judge")
        // The new run's own stamp is there while it works, and gone from the finished folder.
        XCTAssertTrue(exists(folder.working.appendingPathComponent(".owner")))
        try folder.commit()
        XCTAssertFalse(exists(folder.final.appendingPathComponent(".owner")))
    }
}
