import ArgumentParser
import Foundation
import OmniMedia
import OmniModel
import OmniTrain
import OmniWorld

/// `omnistudio eval`: runs a model on held-out puppet clips in every switchboard mode and prints the metric table
/// (PSNR, SSIM, AKD, Sync, HKV/HKC, FVD-puppet, Seams, Drift) next to the truth, still-reference and VAE-ceiling
/// rows. Metrics and the harness live in `OmniWorld` (Eval/); this file wires the engine in.
struct Eval: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Score a model on held-out puppet clips in every switchboard mode (also --json).",
        discussion: """
            Clips of --set puppet:SEED[:N] have seeds SEED … SEED+N−1 (as `omnistudio synth --seed SEED`), rendered at \
            the model's first size bucket and frame rate; --set speech:SEED[:N] takes the first N seeds from SEED whose \
            head-framed clip talks, so every clip scores Sync. Text modes are skipped with a note when the MiniLM files are \
            not in the encoder cache.
            """)

    @Option(help: "Model folder or random:tiny / random:mini.") var model = GenerationRequest.defaultModel
    @Option(name: .customLong("set"), help: "puppet:SEED[:N] or speech:SEED[:N] (N clips, default 8; speech: only clips whose head-framed version talks).") var evalSet = "puppet:9001:4"
    @Flag(help: "Take each clip's reference with the clip's own camera placement, so the truth is framed as a video that starts on the reference (the world's default gives the reference its own offset and zoom).")
    var alignedReference = false
    @Option(help: "Keypoint detector folder.") var detector = "Models/keypoint-detector"
    @Option(help: "Seconds per clip.") var duration = 2.0
    @Option(help: "Make the first clip this long (e.g. 30) for the Drift metric's 5 s windows.") var driftSeconds: Double?
    @Option(help: "Denoising steps (default: the model's).") var steps: Int?
    @Option(help: "quality (the model's steps) or fast (a distilled student's sampling.fast_steps) for unset steps; default: the model's sampling.speed.") var speed: SamplingSpeed?
    @Option(help: "Noise mixed into each continuation's motion latents, 0…1 (default: the model's sampling.motion_noise).") var motionNoise: Double?
    @Option(help: "Generation seed.") var seed: UInt64 = 0
    @Option(help: "Modes to run, comma-separated (default all): ref+audio, ref+pose, ref+text, audio+pose, all, text; none = only the truth, still and VAE-ceiling rows (e.g. after training the VAE).") var modes: String?
    @Flag(inversion: .prefixedNo, help: "Text-control probe: also generate each clip in ref+text mode with a fixed \"waves\" and a \"stands still\" prompt (rows text:waves, text:still; their HKV ratio in the notes). Default: on when ref+text is among the modes.") var promptProbe: Bool?
    @Flag(help: "Print JSON instead of the table.") var json = false
    @Option(help: "Also draw each clip's rows (truth, still, vae-ceiling, every mode and probe; with the clip's PSNR where the table scores it) into a PNG in this folder: clipNN-seedS.png.")
    var sheets: String?
    @Option(help: "Frames per row of the --sheets PNGs (1…64), evenly spaced over the clip.") var sheetFrames = 8

    func run() throws {
        guard var set = EvalSet(parsing: evalSet) else { throw ValidationError("--set wants puppet:SEED[:N] or speech:SEED[:N], not \(evalSet)") }
        set.alignedReference = alignedReference
        guard duration > 0 else { throw ValidationError("--duration must be positive") }
        var chosen = EvalMode.allCases
        if modes == "none" {
            chosen = []
        } else if let modes {
            chosen = try modes.split(separator: ",").map { name in
                guard let m = EvalMode(rawValue: String(name)) else { throw ValidationError("unknown mode \(name)") }
                return m
            }
        }
        guard (1...64).contains(sheetFrames) else { throw ValidationError("--sheet-frames must be in 1…64") }
        if let sheets {
            do { try FileManager.default.createDirectory(atPath: sheets, withIntermediateDirectories: true) } catch {
                throw ValidationError("--sheets \(sheets): cannot create the folder (\(error.localizedDescription))")
            }
        }
        let start = Date()
        let loaded = try LoadedModel.load(model)
        let keypoints: KeypointDetector
        do { keypoints = try KeypointDetector.load(folder: detector) } catch {
            throw ValidationError("no keypoint detector at \(detector) (\(error)); train one with `omnistudio train detector`")
        }
        let probe = promptProbe ?? chosen.contains(.referenceText)
        let report = try Self.evaluate(model: loaded, detector: keypoints, set: set, modes: chosen,
                                       promptClasses: probe ? EvalPromptClass.allCases : [], duration: duration,
                                       driftSeconds: driftSeconds, steps: steps, speed: speed, motionNoise: motionNoise, seed: seed,
                                       sheets: sheets.map { folder in { index, clip, rows in Self.drawSheet(index: index, clip: clip, rows: rows, folder: folder, frames: sheetFrames) } })
        if json { print(try report.json()) } else {
            print(report.table())
            print(String(format: "wall time %.1f s (model load + rendering + generation + scoring)", Date().timeIntervalSince(start)))
        }
    }

    /// Renders the set's clips at the model's first size bucket and runs the harness.
    static func evaluate(model: LoadedModel, detector: KeypointDetector, set: EvalSet, modes: [EvalMode],
                         promptClasses: [EvalPromptClass], duration: Double,
                         driftSeconds: Double?, steps: Int?, speed: SamplingSpeed? = nil, motionNoise: Double? = nil, seed: UInt64,
                         sheets: ((Int, Clip, [EvalHarness.ScoredRow]) throws -> Void)? = nil) throws -> EvalReport {
        let video = model.config.video
        let size = FrameSize(width: video.sizes[0][0], height: video.sizes[0][1])
        let clips = set.specs(size: size, duration: duration, fps: video.fps, driftSeconds: driftSeconds).map(Clip.render)
        // Sync: head-framed versions at the bucket enlarged to at least 64 on its longer side (the detector's input).
        let f = max(1, 64 / max(size.width, size.height))
        let syncSize = FrameSize(width: size.width * f, height: size.height * f)
        let syncClips = set.specs(size: syncSize, duration: duration, fps: video.fps, framing: .head).map(Clip.render)
        let work = FileManager.default.temporaryDirectory.appendingPathComponent("omnistudio-eval-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: work) }
        var textMissing: String?
        do { _ = try model.text() } catch { textMissing = "skipped: text encoder unavailable (\(error))" }
        var runs = 0
        let harness = EvalHarness(
            detector: detector,
            boundaries: { frames in
                SegmentPlan(totalFrames: frames, segmentFrames: video.segmentFrames, motionFrames: video.motionFrames)
                    .segments.dropFirst().map { $0.firstFrame + $0.kept.lowerBound }
            },
            generate: { mode, inputs, clip in
                if mode.usesText, let textMissing { throw EvalSkip(textMissing) }
                if mode.usesAudio, clip.audio.samples.allSatisfy({ abs($0) < 1e-4 }) {
                    throw EvalSkip("silent clips skipped (nothing to drive)")
                }
                runs += 1
                var request = GenerationRequest(
                    model: model.source, seed: seed, steps: steps, fps: clip.spec.fps, width: size.width,
                    height: size.height, duration: Double(clip.frames.count) / Double(clip.spec.fps),
                    reference: .init(enabled: mode.usesReference, path: inputs.reference),
                    audio: .init(enabled: mode.usesAudio, path: inputs.audio),
                    // The truth pose is drawn on the clip's own frames: scored against them, it must stay there.
                    pose: .init(enabled: mode.usesPose, path: inputs.pose, retarget: false),
                    text: .init(enabled: mode.usesText, prompt: inputs.caption))
                request.speed = speed
                request.motionNoise = motionNoise
                let out = URL(fileURLWithPath: work).appendingPathComponent("run_\(runs)")
                var frames: [RGBImage] = []
                var failure: ModelError?
                Generation(request: request, model: model, outputFolder: out).run { event in
                    switch event {
                    case .segmentDone(_, _, let f): frames += f
                    case .failed(let e): failure = e
                    default: break
                    }
                }
                if let failure { throw failure }
                return frames
            },
            reconstruct: { truthFrames in
                let frames = truthFrames.map { $0.width == size.width && $0.height == size.height ? $0 : Self.resized($0, to: size) }
                let tf = model.vae.temporalFactor
                var padded = frames
                while (padded.count - 1) % tf != 0 { padded.append(padded[padded.count - 1]) }
                let latents = try model.vae.encodeChunked(FrameTensor.tensor(padded)).mean
                return Array(FrameTensor.frames(model.vae.decodeChunked(latents)).prefix(frames.count))
            })
        var h = harness
        h.modes = modes
        h.promptClasses = promptClasses
        h.scoredClip = sheets
        return try h.run(clips: clips, syncClips: syncClips, model: model.source, set: set.name, workFolder: work)
    }

    /// `folder/clipNN-seedS.png`: the clip's rows as a `VideoSheet`, labelled with their PSNR where it is scored (not
    /// the truth's: it is the cap). A sheet that cannot be written is a warning: the table is still to come.
    static func drawSheet(index: Int, clip: Clip, rows: [EvalHarness.ScoredRow], folder: String, frames: Int) {
        let labelled = rows.map { row in
            (label: row.name + (row.name == "truth" ? "" : row.psnr.map { String(format: "  %.2f dB", $0) } ?? ""), frames: row.frames)
        }
        let path = folder + "/" + String(format: "clip%02d-seed", index) + "\(clip.spec.seed).png"
        do { try ImageFile.writePNG(VideoSheet.render(labelled, count: frames, zoom: 2), to: path) } catch {
            FileHandle.standardError.write(Data("eval: warning: no sheet for clip \(index): \(error)\n".utf8))
        }
    }

    /// Area-average downscale (or nearest upscale) of a frame to `size`.
    static func resized(_ image: RGBImage, to size: FrameSize) -> RGBImage {
        RGBImage(width: size.width, height: size.height) { x, y in
            let x0 = x * image.width / size.width, x1 = max(x0 + 1, (x + 1) * image.width / size.width)
            let y0 = y * image.height / size.height, y1 = max(y0 + 1, (y + 1) * image.height / size.height)
            var r = 0, g = 0, b = 0, n = 0
            for yy in y0..<min(y1, image.height) { for xx in x0..<min(x1, image.width) { let p = image[xx, yy]; r += Int(p.r); g += Int(p.g); b += Int(p.b); n += 1 } }
            return RGB(UInt8(r / n), UInt8(g / n), UInt8(b / n))
        }
    }
}
