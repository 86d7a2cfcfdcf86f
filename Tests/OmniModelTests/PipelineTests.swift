import Foundation
import XCTest
import OmniMedia
@testable import OmniModel
@testable import OmniTensor

final class PipelineTests: XCTestCase {
    static let model: LoadedModel = try! LoadedModel.load("random:tiny")
    var dir: URL!
    var model: LoadedModel { Self.model }

    override func setUpWithError() throws { dir = try PipelineFixtures.directory() }
    override func tearDownWithError() throws {
        try? FileManager.default.removeItem(at: dir)
        ComputeThreads.set(ProcessInfo.processInfo.activeProcessorCount)
    }

    func request(seconds: Double = 1.0, text: Bool = false, steps: Int = 2) throws -> GenerationRequest {
        var r = GenerationRequest(model: "random:tiny", seed: 7, steps: steps, width: 32, height: 32)
        r.reference = .init(enabled: true, path: try PipelineFixtures.reference(in: dir))
        r.audio.enabled = true
        r.audio.path = try PipelineFixtures.audio(in: dir, seconds: seconds)
        return r
    }

    func testThreeSecondsOfAudioGiveSeventyFiveFramesAndThreeSecondsOfAudio() throws {
        let r = try request(seconds: 3.0, steps: 1)
        let out = dir.appendingPathComponent("run")
        let result = PipelineFixtures.run(r, model: model, out: out)
        XCTAssertEqual(result.folder, out)
        XCTAssertEqual(result.frames.count, 75)
        let reader = try VideoReader(path: out.appendingPathComponent("video.mp4").path)
        XCTAssertEqual(try reader.readAllFrames().count, 75)
        XCTAssertEqual(reader.fps, 25, accuracy: 1e-9)
        XCTAssertEqual(try reader.readAudio().duration, 3.0, accuracy: 1.0 / 25)
        let names = try FileManager.default.contentsOfDirectory(atPath: out.path).sorted()
        XCTAssertEqual(names, ["poster.png", "recipe.toml", "run.log", "video.mp4"])
        // run.log's total is the run's wall time (it read 0.00 s: the total was set after the file was written), and
        // the phases fit inside it.
        let log = try String(contentsOf: out.appendingPathComponent("run.log"), encoding: .utf8)
        func seconds(after prefix: String) throws -> Double {
            let line = try XCTUnwrap(log.split(separator: "\n").first { $0.contains(prefix) }, prefix)
            let rest = line[line.range(of: prefix)!.upperBound...]
            return try XCTUnwrap(Double(rest.prefix { $0.isNumber || $0 == "." }), String(line))
        }
        let total = try seconds(after: "time: total "), finished = try seconds(after: "finished after ")
        XCTAssertGreaterThan(total, 0)
        XCTAssertEqual(total, finished, accuracy: 0.01)
        XCTAssertLessThanOrEqual(try seconds(after: "; DiT ") + seconds(after: "; VAE "), total + 0.01)
        // No temporary folders left next to it.
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: dir.path).filter { $0.hasPrefix(".") }, [])
    }

    func testMotionLatentsAreTheEncodingOfThePreviousSegmentsLastFiveFrames() throws {
        let r = try request(seconds: 0.9)   // 23 frames at 25 fps: segments of 9 with 5 motion frames → 5 segments
        var observed: [Int: Tensor] = [:]
        var generation: Generation!
        let result = PipelineFixtures.run(r, model: model, out: dir.appendingPathComponent("m")) { g in
            generation = g
            g.observeMotionLatents = { observed[$0] = $1 }
        }
        XCTAssertNotNil(result.folder)
        let plan = SegmentPlan(totalFrames: 23, segmentFrames: 9, motionFrames: 5)
        XCTAssertEqual(observed.keys.sorted(), Array(0..<plan.segments.count), "the first segment starts on the reference")
        // Segment 0's motion frames are the (fitted) reference held for 5 frames.
        let inputs = try GenerationInputs(request: r, config: model.config)
        XCTAssertEqual(observed[0]!.values, try generation.motionLatentsOf(Array(repeating: inputs.reference!, count: 5)).values)
        for segment in plan.segments.dropFirst() {
            // The previous segment's last 5 frames are global frames firstFrame ..< firstFrame + 5.
            let previous = Array(result.frames[segment.firstFrame..<(segment.firstFrame + 5)])
            let expected = try generation.motionLatentsOf(previous)
            XCTAssertEqual(observed[segment.index]!.values, expected.values, "segment \(segment.index)")
        }
    }

    func testSegmentBySegmentDecodeEqualsOneDecodeOfTheWholeVideo() throws {
        let r = try request(seconds: 0.9)   // 23 frames: 5 segments of 9 frames, 5 motion frames each
        var latents: [Int: Tensor] = [:], pixels: [Int: Tensor] = [:]
        let result = PipelineFixtures.run(r, model: model, out: dir.appendingPathComponent("d")) { g in
            g.observeDecode = { latents[$0] = $1; pixels[$0] = $2 }
        }
        XCTAssertNotNil(result.folder)
        let vae = model.vae
        let motionLatentFrames = try vae.latentFrameCount(frames: 5)
        let plan = SegmentPlan(totalFrames: 23, segmentFrames: 9, motionFrames: 5)
        XCTAssertEqual(latents.keys.sorted(), Array(0..<plan.segments.count))
        // The video's latent sequence: all of segment 0, then each continuation's new latent frames.
        let sequence = Tensor.concat(plan.segments.map { segment in
            let l = latents[segment.index]!
            return segment.hasMotion ? l.slice(axis: 0, motionLatentFrames..<l.shape[0]) : l
        }, axis: 0)
        let whole = vae.decode(sequence)
        let streamed = Tensor.concat(plan.segments.map { pixels[$0.index]! }, axis: 0)
        XCTAssertEqual(streamed.shape, whole.shape)
        let difference = zip(streamed.values, whole.values).map { abs($0 - $1) }.max() ?? .infinity
        XCTAssertLessThanOrEqual(difference, 1e-5)
        // A cold start per segment (fresh caches) would not match: the check can see a restarted decoder.
        let second = plan.segments[1], l = latents[1]!
        let cold = vae.decode(l).slice(axis: 0, 5..<9)
        let coldDifference = zip(cold.values, pixels[second.index]!.values).map { abs($0 - $1) }.max() ?? 0
        XCTAssertGreaterThan(coldDifference, 1e-3)
    }

    func testSameRecipeAndSeedGiveIdenticalFramesOnOneAndTwoThreads() throws {
        let r = try request(seconds: 0.5)
        ComputeThreads.set(1)
        let a = PipelineFixtures.run(r, model: model, out: dir.appendingPathComponent("a"))
        ComputeThreads.set(2)
        let b = PipelineFixtures.run(r, model: model, out: dir.appendingPathComponent("b"))
        XCTAssertFalse(a.frames.isEmpty)
        XCTAssertTrue(a.frames == b.frames, "1 and 2 threads gave different frames")
        var other = r
        other.seed = 8
        let c = PipelineFixtures.run(other, model: model, out: dir.appendingPathComponent("c"))
        XCTAssertFalse(a.frames == c.frames, "another seed gave the same frames")
    }

    func testRecipeReproducesTheRunExactly() throws {
        let first = PipelineFixtures.run(try request(seconds: 0.5), model: model, out: dir.appendingPathComponent("first"))
        let recipe = try GenerationRequest(recipeAt: dir.appendingPathComponent("first/recipe.toml").path)
        let second = PipelineFixtures.run(recipe, model: model, out: dir.appendingPathComponent("second"))
        XCTAssertTrue(first.frames == second.frames, "the recipe did not reproduce the frames")
        let v1 = try VideoReader(path: dir.appendingPathComponent("first/video.mp4").path).readAllFrames()
        let v2 = try VideoReader(path: dir.appendingPathComponent("second/video.mp4").path).readAllFrames()
        XCTAssertTrue(v1 == v2, "the recipe did not reproduce the video")
    }

    func testGuidancePassesPerStepForEverySwitchboardCombination() throws {
        let steps = 3
        for (text, audio, sx, sa, perStep) in [(true, true, 4.0, 2.5, 3), (true, true, 1.0, 2.5, 2), (true, true, 4.0, 1.0, 2),
                                               (false, true, 4.0, 2.5, 2), (true, false, 4.0, 2.5, 2), (false, false, 4.0, 2.5, 1)] {
            var r = try request(seconds: 0.3, steps: steps)
            r.audio.enabled = audio
            r.duration = 0.3
            r.audio.guidance = sa; r.audio.guidanceEnd = sa
            r.text = .init(enabled: text, prompt: "a person waves", guidance: sx)
            if text && !Self.textAvailable { continue }
            var calls: [Int] = []
            let result = PipelineFixtures.run(r, model: model, out: dir.appendingPathComponent("g\(calls.count)-\(UUID().uuidString)")) { g in
                g.observePasses = { calls.append($0.count) }
            }
            XCTAssertNotNil(result.folder, "text \(text) audio \(audio)")
            XCTAssertEqual(calls, Array(repeating: perStep, count: steps), "text \(text) audio \(audio) s_x \(sx) s_a \(sa)")
        }
    }

    /// A guidance-distilled student (`dit.guidance_embedding`) makes one DiT pass per step whatever the switchboard,
    /// and the scales reach it: another audio scale gives other frames.
    func testADistilledStudentMakesOnePassPerStepAndReadsTheScales() throws {
        var config = ModelConfig.tiny
        config.dit.guidanceEmbedding = true
        try config.encoded().write(to: dir.appendingPathComponent("config.json"))
        let student = try LoadedModel.load("random:" + dir.appendingPathComponent("config.json").path)
        XCTAssertNotNil(student.dit.samplingEmbedding)
        XCTAssertTrue(try ModelConfig.load(folder: dir.path).dit.guidanceEmbedding, "written and read back")
        XCTAssertFalse(String(decoding: ModelConfig.tiny.encoded(), as: UTF8.self).contains("guidance_embedding"),
                       "a teacher's config.json does not gain the field")
        var frames: [[RGBImage]] = []
        for scale in [2.5, 1.5] {
            var r = try request(seconds: 0.3, steps: 3)
            r.duration = 0.3
            r.audio.guidance = scale; r.audio.guidanceEnd = scale
            var calls: [Int] = []
            let result = PipelineFixtures.run(r, model: student, out: dir.appendingPathComponent("s\(scale)")) { g in
                g.observePasses = { calls.append($0.count) }
            }
            XCTAssertNotNil(result.folder)
            XCTAssertEqual(calls, [1, 1, 1], "one pass per step")
            frames.append(result.frames)
        }
        XCTAssertFalse(frames[0] == frames[1], "the audio scale changed nothing")
    }

    /// With `dit.reference_input` the reference also enters every latent frame's input, in every guidance pass. The
    /// random tiny model widened by hand (its tensors copied, the new channels' weights zero) makes the base
    /// model's video; weights on those channels change it; with the reference off the channels are zeros, so the
    /// video is the base model's again. Videos compare within one 8-bit level (a wider GEMM sums in another order).
    func testThePixelAlignedReferenceReachesEveryPassAndIsZerosWhenOff() throws {
        var config = ModelConfig.tiny
        config.dit.referenceInput = true
        let wide = OmniModelWeights(config: config), base = model.weights
        let from = Dictionary(uniqueKeysWithValues: base.namedTensors().map { ($0.key, $0.tensor) })
        for (key, t) in wide.namedTensors() where key != "dit.patchEmbedding.weight" { t.copyValues(from: from[key]!) }
        let p2 = config.dit.patchSize * config.dit.patchSize, cOld = ModelConfig.tiny.ditInputChannels, cNew = config.ditInputChannels
        let old = base.dit.patchEmbedding.weight, new = wide.dit.patchEmbedding.weight
        XCTAssertEqual(new.values.map(abs).max(), 0)
        for r in 0..<old.shape[0] {
            for k in 0..<p2 { for c in 0..<cOld { new.data[r * p2 * cNew + k * cNew + c] = old.data[r * p2 * cOld + k * cOld + c] } }
        }
        func video(_ r: GenerationRequest, _ m: LoadedModel, _ name: String) throws -> [RGBImage] {
            let result = PipelineFixtures.run(r, model: m, out: dir.appendingPathComponent(name))
            XCTAssertNotNil(result.folder, name)
            return result.frames
        }
        func maxDifference(_ a: [RGBImage], _ b: [RGBImage]) -> Int {
            XCTAssertEqual(a.count, b.count)
            return zip(a, b).map { x, y in zip(x.pixels, y.pixels).map { abs(Int($0) - Int($1)) }.max() ?? 0 }.max() ?? 0
        }
        var r = try request(seconds: 0.5, text: false, steps: 2)   // 13 frames: two segments, CFG on audio
        r.duration = 0.5
        let expected = try video(r, model, "base")
        XCTAssertLessThanOrEqual(maxDifference(try video(r, LoadedModel(source: "widened", config: config, weights: wide), "zero"), expected), 1)

        for r in 0..<old.shape[0] {
            for k in 0..<p2 { for c in cOld..<cNew { new.data[r * p2 * cNew + k * cNew + c] = 0.2 * sin(Float(r * 31 + k * 7 + c)) } }
        }
        let weighted = LoadedModel(source: "weighted", config: config, weights: wide)
        XCTAssertGreaterThan(maxDifference(try video(r, weighted, "weighted"), expected), 8, "the reference channels changed nothing")
        var off = r
        off.reference.enabled = false
        XCTAssertLessThanOrEqual(maxDifference(try video(off, weighted, "off"), try video(off, model, "base-off")), 1)
    }

    /// Poses from another tool: a folder of per-frame OpenPose files with no canvas, drawn on a 1920×1080 video.
    /// The canvas is inferred (and said), the pose retargeted onto the person in the reference (and said, with the
    /// transform), joints outside a too-small given canvas are reported; the notes reach the events and run.log;
    /// `pose.canvas` and `pose.retarget` round-trip through the recipe.
    func testPosesFromOtherToolsAreFittedAndTheNotesSayHow() throws {
        let folder = dir.appendingPathComponent("openpose")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        for f in 0..<13 {
            // A standing figure about 700 px tall, right of centre in a 1920×1080 frame.
            let joints: [(Double, Double)] = [(1200, 250), (1200, 350), (1120, 350), (1100, 480), (1090, 600), (1280, 350),
                                              (1300, 480), (1310, 600), (1150, 620), (1150, 780), (1150, 940), (1250, 620),
                                              (1250, 780), (1250, 940), (1180, 230), (1220, 230), (1160, 240), (1240, 240)]
            let numbers = joints.flatMap { [$0.0 + Double(f), $0.1, 0.9] }
            let object: [String: Any] = ["version": 1.3, "people": [["pose_keypoints_2d": numbers]]]
            try JSONSerialization.data(withJSONObject: object).write(to: folder.appendingPathComponent(String(format: "take_%012d_keypoints.json", f)))
        }
        // The reference: a person 20 px tall in the left half of a plain 32×32 picture.
        let reference = dir.appendingPathComponent("person.png").path
        try ImageFile.writePNG(RGBImage(width: 32, height: 32) { x, y in
            (6...11).contains(x) && (8...27).contains(y) ? RGB(220, 60, 40) : RGB(60, 120, 200)
        }, to: reference)
        var r = GenerationRequest(model: "random:tiny", seed: 1, steps: 1, width: 32, height: 32)
        r.reference = .init(enabled: true, path: reference)
        r.pose.enabled = true
        r.pose.path = folder.path
        func notes(_ request: GenerationRequest, _ name: String) throws -> [String] {
            let result = PipelineFixtures.run(request, model: model, out: dir.appendingPathComponent(name))
            XCTAssertNotNil(result.folder, name)
            let notes = result.events.compactMap { e -> String? in if case .note(let text) = e { return text } else { return nil } }
            let log = try String(contentsOf: dir.appendingPathComponent(name).appendingPathComponent("run.log"), encoding: .utf8)
            for note in notes { XCTAssertTrue(log.contains("note: " + note), "run.log lacks: \(note)") }
            return notes
        }
        let retargeted = try notes(r, "retargeted")
        XCTAssertTrue(retargeted.contains { $0.contains("does not say its canvas; took 1920×1080") }, "\(retargeted)")
        let moved = try XCTUnwrap(retargeted.first { $0.hasPrefix("pose retargeted onto the person in the reference: scale ") })
        // The body (about 21 px of 32 after the crop to a square) scaled onto the 20 px person and moved left.
        let numbers = moved.split(whereSeparator: { !"0123456789.+-".contains($0) }).compactMap { Double($0) }
        XCTAssertEqual(numbers[0], 0.9, accuracy: 0.25, moved)
        XCTAssertLessThan(numbers[1], -3, "moved left onto the person: \(moved)")

        // A half-body photo (the person runs off the bottom edge): sizes cannot be compared, the pose stays as drawn.
        let halfBody = dir.appendingPathComponent("half-body.png").path
        try ImageFile.writePNG(RGBImage(width: 32, height: 32) { x, y in
            (6...11).contains(x) && y >= 8 ? RGB(220, 60, 40) : RGB(60, 120, 200)
        }, to: halfBody)
        var cropped = r
        cropped.reference.path = halfBody
        let croppedNotes = try notes(cropped, "cropped")
        XCTAssertTrue(croppedNotes.contains { $0.hasPrefix("pose kept as drawn: the person in the reference or the pose is cut off below") }, "\(croppedNotes)")
        XCTAssertFalse(croppedNotes.contains { $0.contains("retargeted") }, "\(croppedNotes)")

        var asDrawn = r
        asDrawn.pose.retarget = false
        XCTAssertFalse(try notes(asDrawn, "as-drawn").contains { $0.contains("retargeted") })

        var small = asDrawn
        small.pose.canvasWidth = 1280; small.pose.canvasHeight = 720
        let smallNotes = try notes(small, "small-canvas")
        XCTAssertTrue(smallNotes.contains { $0.contains("of the joints lie outside the 1280×720 canvas") }, "\(smallNotes)")
        XCTAssertFalse(smallNotes.contains { $0.contains("does not say its canvas") })

        let text = small.tomlDocument().text()
        XCTAssertTrue(text.contains("canvas = [1280, 720]") && text.contains("retarget = false"), text)
        XCTAssertEqual(try GenerationRequest(recipe: TOMLDocument(parsing: text, path: "r.toml"), path: "r.toml").pose, small.pose)
        XCTAssertThrowsError(try GenerationRequest(recipe: TOMLDocument(parsing: "[pose]\ncanvas = [0, 720]\n", path: "r.toml"), path: "r.toml")) {
            XCTAssertTrue("\($0)".contains("r.toml:2: 'canvas' must be [width, height] in pixels"), "\($0)")
        }
    }

    /// speed = "fast" takes the model's sampling.fast_steps when steps are not set (a model without them says so,
    /// naming the setting); set steps win; the recipe keeps the speed.
    func testFastSpeedTakesTheModelsFastSteps() throws {
        var r = try request(seconds: 0.3, steps: 2)
        r.steps = nil
        r.duration = 0.3
        r.speed = .fast
        let refused = PipelineFixtures.run(r, model: model, out: dir.appendingPathComponent("refused"))
        guard case .failed(let error)? = refused.events.last else { return XCTFail("expected a failure, got \(refused.events)") }
        XCTAssertTrue(error.description.contains("speed") && error.description.contains("train distill --method shortcut"), error.description)

        var config = ModelConfig.tiny
        config.sampling.fastSteps = 2
        try config.encoded().write(to: dir.appendingPathComponent("config.json"))
        let student = try LoadedModel.load("random:" + dir.appendingPathComponent("config.json").path)
        XCTAssertEqual(try ModelConfig.load(folder: dir.path).sampling.fastSteps, 2, "written and read back")
        XCTAssertFalse(String(decoding: ModelConfig.tiny.encoded(), as: UTF8.self).contains("fast_steps"))
        func steps(_ r: GenerationRequest, _ name: String) -> Int? {
            let result = PipelineFixtures.run(r, model: student, out: dir.appendingPathComponent(name))
            XCTAssertNotNil(result.folder, name)
            return result.events.compactMap { e -> Int? in if case .step(_, let n, _, _, _) = e { return n } else { return nil } }.first
        }
        XCTAssertEqual(steps(r, "fast"), 2)
        var quality = r
        quality.speed = .quality
        XCTAssertEqual(steps(quality, "quality"), ModelConfig.tiny.sampling.steps)
        var explicit = r
        explicit.steps = 3
        XCTAssertEqual(steps(explicit, "explicit"), 3)
        let recipe = try GenerationRequest(recipeAt: dir.appendingPathComponent("fast/recipe.toml").path)
        XCTAssertEqual(recipe.speed, .fast)
        XCTAssertEqual(recipe.steps, 2, "the recipe records the steps it ran")

        // A model whose sampling.speed is fast runs its few steps for a request that names no speed; quality
        // stays one setting away. fast without fast_steps is refused, naming the field.
        config.sampling.speed = .fast
        let folder = dir.appendingPathComponent("fast-default")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        try config.encoded().write(to: folder.appendingPathComponent("config.json"))
        XCTAssertEqual(try ModelConfig.load(folder: folder.path).sampling.speed, .fast, "written and read back")
        XCTAssertFalse(String(decoding: ModelConfig.tiny.encoded(), as: UTF8.self).contains("\"speed\""))
        let fastDefault = try LoadedModel.load("random:" + folder.appendingPathComponent("config.json").path)
        var unnamed = r
        unnamed.speed = nil
        XCTAssertEqual(unnamed.resolved(for: config).speed, .fast)
        let run = PipelineFixtures.run(unnamed, model: fastDefault, out: dir.appendingPathComponent("default"))
        XCTAssertEqual(run.events.compactMap { e -> Int? in if case .step(_, let n, _, _, _) = e { return n } else { return nil } }.first, 2)
        XCTAssertEqual(quality.resolved(for: config).steps, config.sampling.steps)
        config.sampling.fastSteps = nil
        XCTAssertThrowsError(try config.validate(path: "config.json")) { XCTAssertTrue("\($0)".contains("sampling.speed"), "\($0)") }
    }

    /// The generator streams: `frames(_:deliver:)` hands over every frame in order as soon as it is decoded —
    /// the first before the second segment's first step — writes no file, and gives the frames `run` writes.
    func testTheGeneratorDeliversEachFrameAsItIsDecodedAndWritesNothing() throws {
        let r = try request(seconds: 0.6, steps: 2)   // 15 frames: segments of 9 with 5 motion frames → 3 segments
        let written = PipelineFixtures.run(r, model: model, out: dir.appendingPathComponent("written"))
        let before = try FileManager.default.contentsOfDirectory(atPath: dir.path).sorted()

        let generation = Generation(request: r, model: model, outputRoot: dir.appendingPathComponent("nowhere"))
        var delivered: [(Int, RGBImage)] = []
        var log: [String] = []
        try generation.frames({ event in
            switch event {
            case .step(let k, _, let segment, _, _): log.append("step \(segment).\(k)")
            case .frame(let i, let n, _): log.append("frame \(i)/\(n)")
            case .segmentDone(let s, _, _): log.append("segment \(s)")
            default: break
            }
        }, deliver: { i, frame in delivered.append((i, frame)) })
        XCTAssertEqual(delivered.map(\.0), Array(0..<15))
        XCTAssertEqual(delivered.map(\.1), written.frames, "the same frames run writes")
        XCTAssertLessThan(log.firstIndex(of: "frame 0/15")!, log.firstIndex(of: "step 2.1")!, "frame 0 before the second segment starts")
        XCTAssertLessThan(log.firstIndex(of: "frame 8/15")!, log.firstIndex(of: "segment 1")!)
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: dir.path).sorted(), before, "no file written")
        XCTAssertFalse(FileManager.default.fileExists(atPath: dir.appendingPathComponent("nowhere").path))

        // Cancelled, it stops with .cancelled.
        let stopped = Generation(request: r, model: model)
        XCTAssertThrowsError(try stopped.frames({ if case .frame = $0 { stopped.cancel() } }, deliver: { _, _ in })) {
            XCTAssertEqual($0 as? ModelError, .cancelled)
        }
    }

    static var textAvailable: Bool { (try? LoadedModel.load("random:tiny").text()) != nil }

    /// `reference.starts_video = false`: the first segment is sampled from noise alone (no motion frames), as before
    /// the option; and the setting round-trips through the recipe.
    func testAVideoNeedNotStartOnTheReference() throws {
        var r = try request(seconds: 0.5)
        r.reference.startsVideo = false
        var observed: [Int] = []
        let result = PipelineFixtures.run(r, model: model, out: dir.appendingPathComponent("free")) { g in
            g.observeMotionLatents = { i, _ in observed.append(i) }
        }
        XCTAssertNotNil(result.folder)
        XCTAssertEqual(observed, [1], "only the continuation has motion frames")
        let recipe = try GenerationRequest(recipeAt: dir.appendingPathComponent("free/recipe.toml").path)
        XCTAssertFalse(recipe.reference.startsVideo)
        XCTAssertTrue(GenerationRequest().reference.startsVideo, "on by default")
    }

    func testCancellationLeavesNothingOrAPartialVideo() throws {
        let r = try request(seconds: 1.5)
        var generation: Generation!
        var segments = 0
        let out = dir.appendingPathComponent("cancelled")
        let result = PipelineFixtures.run(r, model: model, out: out) { g in generation = g }
        XCTAssertNotNil(result.folder)
        try FileManager.default.removeItem(at: out)

        // Cancel during the second segment: nothing remains.
        let g2 = Generation(request: r, model: model, outputFolder: out)
        var last: GenerationEvent?
        g2.run { event in
            last = event
            if case .segmentDone = event { segments += 1 }
            if case .step(_, _, 2, _, _) = event { g2.cancel() }
        }
        guard case .cancelled(nil) = last else { return XCTFail("expected cancellation, got \(String(describing: last))") }
        XCTAssertFalse(FileManager.default.fileExists(atPath: out.path))
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: dir.path).filter { $0.hasPrefix(".") }, [])

        // With keepPartial the first segment survives as video.partial.mp4, with its audio span.
        let g3 = Generation(request: r, model: model, outputFolder: out, keepPartial: true)
        g3.run { event in if case .step(_, _, 2, _, _) = event { g3.cancel() } }
        let names = try FileManager.default.contentsOfDirectory(atPath: out.path).sorted()
        XCTAssertEqual(names, ["recipe.toml", "run.log", "video.partial.mp4"])
        let reader = try VideoReader(path: out.appendingPathComponent("video.partial.mp4").path)
        XCTAssertEqual(try reader.readAllFrames().count, 9)
        XCTAssertEqual(try reader.readAudio().duration, 9.0 / 25, accuracy: 1.0 / 25)
        _ = generation
    }

    func testConditionEncodingsAreReusedAcrossRunsThatOnlyChangeScalesOrSteps() throws {
        let model = try LoadedModel.load("random:tiny")
        var r = try request(seconds: 0.3, steps: 1)
        _ = PipelineFixtures.run(r, model: model, out: dir.appendingPathComponent("one"))
        let after = model.conditionEncodings
        r.audio.guidance = 4
        r.steps = 2
        _ = PipelineFixtures.run(r, model: model, out: dir.appendingPathComponent("two"))
        XCTAssertEqual(model.conditionEncodings, after, "changing scales or steps re-encoded a condition")
    }
}
