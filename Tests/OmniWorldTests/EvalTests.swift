import Foundation
import OmniMedia
@testable import OmniWorld
import OmniModel
import OmniTensor
import XCTest

/// The eval harness end to end on one tiny clip, with a stand-in "random weights" generator (noise frames) and a
/// stand-in ceiling (the truth with mild noise): every row and column is there, and the metrics tell them apart.
final class EvalTests: XCTestCase {
    func testSetParsing() {
        XCTAssertEqual(EvalSet(parsing: "puppet:9001:4"), EvalSet(seed: 9001, count: 4))
        XCTAssertEqual(EvalSet(parsing: "puppet:7"), EvalSet(seed: 7, count: 8))
        XCTAssertNil(EvalSet(parsing: "video:7"))
        XCTAssertNil(EvalSet(parsing: "puppet:7:0"))
        XCTAssertEqual(EvalSet(parsing: "speech:9001:24"), EvalSet(seed: 9001, count: 24, speechOnly: true))
        XCTAssertEqual(EvalSet(parsing: "speech:9001:24")?.name, "speech:9001:24")
        XCTAssertNil(EvalSet(parsing: "speech:x"))
    }

    /// A `speech:` set keeps, in order, exactly the seeds whose head-framed clip talks, at any size and length; its
    /// full-framed clips share those seeds. A `puppet:` set is the consecutive seeds.
    func testSpeechSetHoldsTheSeedsWhoseHeadFramedClipTalks() {
        XCTAssertEqual(EvalSet(seed: 9001, count: 3).seeds, [9001, 9002, 9003])
        let set = EvalSet(seed: 9001, count: 12, speechOnly: true)
        let seeds = set.seeds
        XCTAssertEqual(seeds.count, 12)
        XCTAssertEqual(seeds, seeds.sorted())
        let talks = { (s: UInt64) in ClipSpec.random(seed: s, framing: .head).audio.kind == .speech }
        XCTAssertEqual(Array((9001...seeds.last!).filter(talks)), seeds, "every talking seed in the range, and only those")
        let heads = set.specs(size: FrameSize(width: 64, height: 64), duration: 2, fps: 25, framing: .head)
        XCTAssertTrue(heads.allSatisfy { $0.audio.kind == .speech && $0.framing == .head })
        let full = set.specs(size: FrameSize(width: 48, height: 64), duration: 1, fps: 25)
        XCTAssertEqual(full.map(\.seed), seeds)
        var aligned = set
        aligned.alignedReference = true
        let alignedSpecs = aligned.specs(size: FrameSize(width: 48, height: 64), duration: 1, fps: 25)
        XCTAssertEqual(alignedSpecs.map(\.seed), seeds)
        XCTAssertEqual(alignedSpecs.map(\.referenceJitter.offset), full.map(\.jitter.offset), "references framed as their clips")
    }

    func testHarnessProducesTheFullTable() throws {
        let detector = (try? KeypointDetector.load(folder: DetectorTests.shippedFolder)) ?? KeypointDetector(seed: 1)
        let spec = EvalSet(seed: 9001, count: 1).specs(size: FrameSize(width: 32, height: 32), duration: 1.0, fps: 25)[0]
        let clip = Clip.render(spec)
        func noisy(_ frames: [RGBImage], amplitude: Int, seed: UInt64) -> [RGBImage] {
            var state = seed
            return frames.map { f in
                var g = f
                for i in 0..<g.pixels.count {
                    state = state &* 6364136223846793005 &+ 1442695040888963407
                    let n = Int(state >> 33) % (2 * amplitude + 1) - amplitude
                    g.pixels[i] = UInt8(max(0, min(255, Int(g.pixels[i]) + n)))
                }
                return g
            }
        }
        var harness = EvalHarness(
            detector: detector,
            boundaries: { frames in Array(stride(from: 9, to: frames, by: 4)) },
            generate: { mode, inputs, clip in
                XCTAssertTrue(FileManager.default.fileExists(atPath: inputs.reference))
                XCTAssertTrue(FileManager.default.fileExists(atPath: inputs.audio))
                XCTAssertTrue(FileManager.default.fileExists(atPath: inputs.pose))
                if mode == .textOnly { throw EvalSkip("skipped: test") }
                return noisy(Array(repeating: RGBImage(width: 32, height: 32, fill: RGB(128, 128, 128)), count: clip.frames.count),
                             amplitude: 120, seed: 1)
            },
            reconstruct: { noisy($0, amplitude: 6, seed: 2) })
        harness.modes = EvalMode.allCases
        let work = FileManager.default.temporaryDirectory.appendingPathComponent("eval-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: work) }
        // Sync on a head-framed 64×64 speech clip (seed 9001 head-framed speaks); the 32×32 generations are upscaled.
        let syncClip = Clip.render(EvalSet(seed: 9001, count: 1).specs(size: .square, duration: 1.0, fps: 25, framing: .head)[0])
        XCTAssertTrue(SyncMetric.isScorable(syncClip.mouth))
        let report = try harness.run(clips: [clip], syncClips: [syncClip], model: "stand-in", set: "puppet:9001:1", workFolder: work)
        XCTAssertGreaterThanOrEqual(report.row("truth")![.sync]!, 0.9)
        XCTAssertEqual(report.row("still")![.sync]!, 0, accuracy: 1e-9)
        // MStill is scored on the same clips: the truth's mouth is still in its pauses, the held picture frozen.
        XCTAssertFalse(SyncMetric.silentSpans(syncClip.mouth).isEmpty)
        XCTAssertLessThan(report.row("truth")![.stillness]!, 2)
        XCTAssertEqual(report.row("still")![.stillness]!, 0, accuracy: 1e-9)
        XCTAssertNotNil(report.row(EvalMode.referenceAudio.rawValue)?[.stillness], "the audio modes are scored")
        XCTAssertTrue(report.notes.contains { $0.contains("upscaled") }, "\(report.notes)")

        XCTAssertEqual(report.rows.map(\.name), ["truth", "still", "vae-ceiling"] + EvalMode.allCases.map(\.rawValue))
        let table = report.table()
        for metric in EvalMetric.allCases { XCTAssertTrue(table.contains(metric.rawValue), "table lacks \(metric)") }
        for row in ["truth", "vae-ceiling"] {
            XCTAssertEqual(Set(report.row(row)!.metrics.keys), Set(EvalMetric.allCases.map(\.rawValue)), row)
        }
        // A still picture never changes, so it has no seam ratio.
        XCTAssertEqual(Set(report.row("still")!.metrics.keys), Set(EvalMetric.allCases.map(\.rawValue)).subtracting(["Seams"]))
        XCTAssertEqual(Set(report.row("ref+pose")!.metrics.keys), ["PSNR", "SSIM", "AKD", "Drift", "FVD-p", "Seams"])
        XCTAssertEqual(Set(report.row("ref+audio")!.metrics.keys), ["Sync", "MStill", "HKV", "HKC", "FVD-p", "Seams"])
        XCTAssertEqual(Set(report.row("all")!.metrics.keys), Set(EvalMetric.allCases.map(\.rawValue)))
        XCTAssertEqual(report.row("text")?.note, "skipped: test")

        // Ideal values for the truth; the ordering noise < still < ceiling on PSNR.
        let truth = report.row("truth")!, still = report.row("still")!, ceiling = report.row("vae-ceiling")!
        XCTAssertEqual(truth[.psnr], ImageMetrics.psnrCap)
        XCTAssertEqual(truth[.ssim]!, 1, accuracy: 1e-9)
        XCTAssertEqual(truth[.fvd]!, 0, accuracy: 1e-6)
        XCTAssertEqual(truth[.drift], 0)
        let random = report.row("ref+pose")![.psnr]!
        XCTAssertLessThan(random, ceiling[.psnr]!)
        XCTAssertLessThanOrEqual(random, still[.psnr]! + 1)
        XCTAssertLessThan(ceiling[.psnr]!, ImageMetrics.psnrCap)

        let decoded = try JSONDecoder().decode(EvalReport.self, from: Data(try report.json().utf8))
        XCTAssertEqual(decoded.rows.count, report.rows.count)
    }

    /// The prompt classes keep the clip's character and framing and change only the action.
    func testPromptClassesChangeOnlyTheAction() {
        let spec = EvalSet(seed: 9001, count: 1).specs(size: .square, duration: 1.0, fps: 25)[0]
        let waves = EvalPromptClass.waves.prompt(for: spec, variant: 0), still = EvalPromptClass.still.prompt(for: spec, variant: 0)
        let subject = spec.character.phrase.prefix(1).uppercased() + spec.character.phrase.dropFirst()
        for p in [waves, still] {
            XCTAssertTrue(p.hasPrefix(subject + " "), p)
            XCTAssertTrue(p.hasSuffix(", silent."), p)
            XCTAssertTrue(p.lowercased().contains(spec.framing.phrase), p)
        }
        XCTAssertEqual(waves, subject + " waves with the right hand. " + spec.framing.phrase.prefix(1).uppercased()
                       + spec.framing.phrase.dropFirst() + ", silent.")
        XCTAssertTrue(still.contains("stands still"), still)
        // Variants cycle through the class's phrasings: six for waving (both hands), three for standing still.
        XCTAssertEqual(Set((0..<12).map { EvalPromptClass.waves.prompt(for: spec, variant: $0) }).count, 6)
        XCTAssertEqual(Set((0..<12).map { EvalPromptClass.still.prompt(for: spec, variant: $0) }).count, 3)
        XCTAssertEqual(EvalPromptClass.still.prompt(for: spec, variant: -1), EvalPromptClass.still.prompt(for: spec, variant: 2))
    }

    /// Probe rows are generated in reference + text mode with the class prompts, scored for HKV, and summarised
    /// as a ratio: a stand-in that moves only when told to wave gives waves ≫ still.
    func testPromptProbeRowsAndRatio() throws {
        let detector = (try? KeypointDetector.load(folder: DetectorTests.shippedFolder)) ?? KeypointDetector(seed: 1)
        let set = EvalSet(seed: 9001, count: 2)
        let clips = set.specs(size: .square, duration: 1.0, fps: 25).map(Clip.render)
        var prompts: [String] = []
        var harness = EvalHarness(detector: detector, boundaries: { _ in [] }, generate: { mode, inputs, clip in
            XCTAssertEqual(mode, .referenceText)
            prompts.append(inputs.caption)
            // Told to wave: a rendered clip of the character waving; otherwise the first truth frame held.
            return inputs.caption.contains("wave") ? Self.wavingFrames(clip)
                : Array(repeating: clip.frames[0], count: clip.frames.count)
        }, reconstruct: nil)
        harness.modes = []
        harness.promptClasses = EvalPromptClass.allCases
        let work = FileManager.default.temporaryDirectory.appendingPathComponent("eval-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: work) }
        let report = try harness.run(clips: clips, model: "stand-in", set: "s", workFolder: work)
        XCTAssertEqual(report.rows.map(\.name), ["truth", "still", "text:waves", "text:still"])
        XCTAssertEqual(prompts.count, 4)
        XCTAssertFalse(prompts.contains { clips.map(\.caption).contains($0) }, "the clip captions must not be used")
        let waves = try XCTUnwrap(report.row("text:waves")?[.hkv]), still = try XCTUnwrap(report.row("text:still")?[.hkv])
        XCTAssertGreaterThan(waves, 10 * max(still, 0.01))
        let note = try XCTUnwrap(report.notes.first { $0.hasPrefix("text control:") })
        XCTAssertTrue(note.contains("2 clips"), note)
    }

    /// Frames of a puppet waving with the right hand (a rendered clip of that motion, the clip's character).
    static func wavingFrames(_ clip: Clip) -> [RGBImage] {
        var spec = clip.spec
        spec.timeline = MotionTimeline(segments: [MotionSegment(motion: Motion(kind: .waveRight), start: 0)])
        return Clip.render(spec).frames
    }

    /// `scoredClip` (behind `eval --sheets`) gets every clip's rows in table order with the frames that were scored:
    /// fitted to the truth's count, a skipped mode absent.
    func testScoredClipReceivesEachClipsRowsAsScored() throws {
        let detector = KeypointDetector(seed: 1)
        let clips = EvalSet(seed: 9001, count: 2).specs(size: FrameSize(width: 32, height: 32), duration: 0.4, fps: 25).map(Clip.render)
        var harness = EvalHarness(detector: detector, boundaries: { _ in [] },
                                  generate: { mode, _, clip in
                                      if mode == .referenceText { throw EvalSkip("skipped: test") }
                                      return Array(clip.frames.reversed().prefix(3))   // short: the harness repeats the last
                                  },
                                  reconstruct: { $0 })
        harness.modes = [.referenceAudio, .referenceText, .referencePose]
        var seen: [(Int, UInt64, [String], [[RGBImage]])] = []
        harness.scoredClip = { index, clip, rows in
            seen.append((index, clip.spec.seed, rows.map(\.name), rows.map(\.frames)))
            XCTAssertEqual(rows[0].psnr, ImageMetrics.psnrCap, "the truth against itself")
            XCTAssertEqual(rows[2].psnr, ImageMetrics.psnrCap, "an identity reconstruction")
            XCTAssertNil(rows[3].psnr, "ref+audio is not scored on pixels")
            XCTAssertEqual(rows[4].psnr!, ImageMetrics.psnr(rows[4].frames, clip.frames), accuracy: 1e-12)
        }
        let work = FileManager.default.temporaryDirectory.appendingPathComponent("eval-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: work) }
        _ = try harness.run(clips: clips, model: "m", set: "s", workFolder: work)
        XCTAssertEqual(seen.map(\.0), [0, 1])
        XCTAssertEqual(seen.map(\.1), clips.map(\.spec.seed))
        for ((_, _, names, frames), clip) in zip(seen, clips) {
            XCTAssertEqual(names, ["truth", "still", "vae-ceiling", "ref+audio", "ref+pose"])
            XCTAssertEqual(frames[0], clip.frames)
            XCTAssertEqual(frames[1], Array(repeating: clip.reference, count: clip.frames.count))
            XCTAssertEqual(frames[2], clip.frames)
            let reversed = Array(clip.frames.reversed())
            for generated in frames[3...] {
                XCTAssertEqual(generated, Array(reversed.prefix(3)) + Array(repeating: reversed[2], count: clip.frames.count - 3))
            }
        }
    }

    /// The whole table (JSON, timing aside) is the same on a second run and with 1 or 2 compute threads.
    func testEvalIsDeterministicAcrossRunsAndThreadCounts() throws {
        let detector = (try? KeypointDetector.load(folder: DetectorTests.shippedFolder)) ?? KeypointDetector(seed: 1)
        let set = EvalSet(seed: 9001, count: 2)
        let clips = set.specs(size: FrameSize(width: 32, height: 32), duration: 0.6, fps: 25).map(Clip.render)
        let syncClips = set.specs(size: .square, duration: 0.6, fps: 25, framing: .head).map(Clip.render)
        var harness = EvalHarness(detector: detector, boundaries: { _ in [8] },
                                  generate: { _, _, clip in clip.frames.reversed() }, reconstruct: nil)
        harness.modes = [.referenceAudio, .referencePose]
        let work = FileManager.default.temporaryDirectory.appendingPathComponent("eval-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: work) }
        func table(threads: Int) throws -> String {
            ComputeThreads.set(threads)
            var r = try harness.run(clips: clips, syncClips: syncClips, model: "m", set: "s", workFolder: work)
            r.seconds = 0
            return try r.json()
        }
        let saved = ComputeThreads.count
        defer { ComputeThreads.set(saved) }
        let a = try table(threads: 2), b = try table(threads: 2), c = try table(threads: 1)
        XCTAssertEqual(a, b)
        XCTAssertEqual(a, c)
    }

    /// The harness with the real `random:tiny` engine on one short clip in one mode.
    func testHarnessWithRandomTinyModel() throws {
        let model = try LoadedModel.load("random:tiny")
        let detector = (try? KeypointDetector.load(folder: DetectorTests.shippedFolder)) ?? KeypointDetector(seed: 1)
        let size = FrameSize(width: model.config.video.sizes[0][0], height: model.config.video.sizes[0][1])
        let clip = Clip.render(EvalSet(seed: 9001, count: 1).specs(size: size, duration: 0.4, fps: model.config.video.fps)[0])
        let work = FileManager.default.temporaryDirectory.appendingPathComponent("eval-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: work) }
        var harness = EvalHarness(
            detector: detector, boundaries: { _ in [] },
            generate: { mode, inputs, clip in
                let request = GenerationRequest(
                    model: model.source, seed: 0, steps: 2, fps: clip.spec.fps, width: size.width, height: size.height,
                    duration: Double(clip.frames.count) / Double(clip.spec.fps),
                    reference: .init(enabled: mode.usesReference, path: inputs.reference),
                    audio: .init(enabled: mode.usesAudio, path: inputs.audio),
                    pose: .init(enabled: mode.usesPose, path: inputs.pose, retarget: false),
                    text: .init(enabled: false, prompt: ""))
                var frames: [RGBImage] = []
                var failure: ModelError?
                Generation(request: request, model: model, outputFolder: URL(fileURLWithPath: work + "/gen")).run { event in
                    switch event {
                    case .segmentDone(_, _, let f): frames += f
                    case .failed(let e): failure = e
                    default: break
                    }
                }
                if let failure { throw failure }
                return frames
            }, reconstruct: nil)
        harness.modes = [.referencePose]
        let report = try harness.run(clips: [clip], model: "random:tiny", set: "puppet:9001:1", workFolder: work)
        let row = try XCTUnwrap(report.row("ref+pose"))
        XCTAssertEqual(row.clips, 1)
        XCTAssertNotNil(row[.psnr])
        XCTAssertNotNil(row[.akd])
    }
}
