import Foundation
import OmniMedia

/// Runs held-out puppet clips through a generator in every switchboard mode and scores the frames against the
/// ground truth with the keypoint detector, next to three reference rows computed in the same run: `truth` (the
/// ground truth scored against itself: the ideal values, and the detector's own error for AKD), `still` (the
/// reference image held for every frame: the floor) and `vae-ceiling` (the model's VAE reconstruction of the truth:
/// the ceiling). The engine is reached through closures, so this module needs no model code.
public struct EvalHarness {
    /// Generates the frames of `clip` in `mode` from the files in `inputs`; must return the clip's frame count
    /// at its size (the harness trims or repeats the last frame otherwise). Throwing `EvalSkip` skips the mode.
    public typealias Generate = (_ mode: EvalMode, _ inputs: EvalInputs, _ clip: Clip) throws -> [RGBImage]
    /// The VAE reconstruction of the truth frames (nil: no ceiling row).
    public typealias Reconstruct = (_ frames: [RGBImage]) throws -> [RGBImage]

    public var detector: KeypointDetector
    public var modes: [EvalMode] = EvalMode.allCases
    /// Text-control probe: per class a row generated in reference + text mode with the class's prompt instead of
    /// the clip's caption (empty: no probe rows). The notes give the HKV ratio waves ÷ still.
    public var promptClasses: [EvalPromptClass] = []
    /// Frame indices where a new segment's kept frames start, for a clip of the given frame count.
    public var boundaries: (Int) -> [Int]
    public var generate: Generate
    public var reconstruct: Reconstruct?
    /// A row of one clip as scored: its frames (the truth's count and size) and its PSNR on the clip (nil where the
    /// row's mode is not scored on pixels, as in the table).
    public typealias ScoredRow = (name: String, frames: [RGBImage], psnr: Double?)
    /// Receives each clip (not the Sync clips) after it is scored: its index and its rows in table order (skipped
    /// rows absent) — e.g. to draw them (`omnistudio eval --sheets DIR`).
    public var scoredClip: ((_ index: Int, _ clip: Clip, _ rows: [ScoredRow]) throws -> Void)?

    public init(detector: KeypointDetector, boundaries: @escaping (Int) -> [Int], generate: @escaping Generate,
                reconstruct: Reconstruct?) {
        self.detector = detector; self.boundaries = boundaries; self.generate = generate; self.reconstruct = reconstruct
    }

    /// Per-row accumulators: per-clip metric values and time-pooled features.
    struct Accumulator {
        var values: [EvalMetric: [Double]] = [:]
        var features: [[Double]] = []
        var clips = 0
        var note: String?
        mutating func add(_ m: EvalMetric, _ v: Double?) { if let v, v.isFinite { values[m, default: []].append(v) } }
    }

    /// Scores `clips` (rendered by the caller); `workFolder` receives each clip's input files.
    /// With `syncClips` (head-framed versions of the clips at a size where the mouth is measurable), Sync comes
    /// from those alone: each row's frames for them (the truth, the held reference, the ceiling, the audio modes'
    /// generations, resized to the truth's size) scored on clips whose truth mouth moves.
    public func run(clips: [Clip], syncClips: [Clip]? = nil, model: String, set: String, workFolder: String) throws -> EvalReport {
        let start = Date()
        let rowNames = ["truth", "still", "vae-ceiling"] + modes.map(\.rawValue) + promptClasses.map(\.rowName)
        var rows: [String: Accumulator] = [:]
        var truthFeatures: [[Double]] = []
        var notes: [String] = []
        for (index, clip) in clips.enumerated() {
            let truth = clip.frames
            let truthDetected = detector.detect(truth)
            let truthPooled = FrechetDistance.pooled(truthDetected.map(\.features))
            truthFeatures += truthPooled
            let inputs = try EvalInputs.write(clip, into: workFolder + "/clip_\(index)")
            var systems: [(String, EvalMode?, () throws -> [RGBImage])] = [
                ("truth", nil, { truth }),
                ("still", nil, { Array(repeating: clip.reference, count: truth.count) }),
            ]
            if let reconstruct { systems.append(("vae-ceiling", nil, { try reconstruct(truth) })) }
            for mode in modes { systems.append((mode.rawValue, mode, { try generate(mode, inputs, clip) })) }
            for probe in promptClasses {
                let prompted = inputs.with(caption: probe.prompt(for: clip.spec, variant: index))
                systems.append((probe.rowName, .referenceText, { try generate(.referenceText, prompted, clip) }))
            }
            var truthSilence: Double?
            var scored: [ScoredRow] = []
            for (name, mode, make) in systems {
                var frames: [RGBImage]
                do { frames = try make() } catch let skip as EvalSkip {
                    rows[name, default: Accumulator()].note = skip.reason
                    continue
                }
                frames = Self.fitted(frames, count: truth.count, like: truth[0])
                let detected = name == "truth" ? truthDetected : detector.detect(frames)
                let poses = detected.map(\.pose)
                var acc = rows[name, default: Accumulator()]
                acc.clips += 1
                let pixels = mode?.scoresPixels ?? true, sync = mode?.scoresSync ?? true, hands = mode?.scoresHands ?? true
                let psnr = pixels ? ImageMetrics.psnr(frames, truth) : nil
                if scoredClip != nil { scored.append((name, frames, psnr)) }
                if pixels {
                    acc.add(.psnr, psnr)
                    acc.add(.ssim, ImageMetrics.ssim(frames, truth))
                    acc.add(.akd, PoseMetrics.akd(detected: poses, truth: clip.pose.frames))
                    acc.add(.drift, TemporalMetrics.drift(frames, truth: truth, fps: clip.spec.fps))
                }
                if sync && syncClips == nil {
                    acc.add(.sync, SyncMetric.sync(frames: frames, poses: poses, truthMouth: clip.mouth))
                    if name == "truth" { truthSilence = SyncMetric.truthSilentVariance(frames: frames, poses: poses, truthMouth: clip.mouth) }
                    if let truthSilence, SyncMetric.isScorable(clip.mouth) {
                        acc.add(.stillness, SyncMetric.stillness(frames: frames, poses: poses, truthMouth: clip.mouth, truthVariance: truthSilence))
                    }
                }
                if hands {
                    acc.add(.hkv, PoseMetrics.hkv(poses))
                    acc.add(.hkc, PoseMetrics.hkc(poses))
                }
                acc.add(.seams, TemporalMetrics.seams(frames, boundaries: boundaries(truth.count)))
                acc.features += FrechetDistance.pooled(detected.map(\.features))
                rows[name] = acc
            }
            try scoredClip?(index, clip, scored)
        }
        if let syncClips { notes += try scoreSync(syncClips, rows: &rows, workFolder: workFolder) }
        if reconstruct == nil { notes.append("no VAE ceiling row: the model has no VAE") }
        var out: [EvalRow] = []
        for name in rowNames {
            guard let acc = rows[name] else { continue }
            var metrics: [String: Double] = [:]
            for (m, v) in acc.values where !v.isEmpty { metrics[m.rawValue] = v.reduce(0, +) / Double(v.count) }
            if !acc.features.isEmpty { metrics[EvalMetric.fvd.rawValue] = FrechetDistance.distance(acc.features, truthFeatures) }
            out.append(EvalRow(name: name, clips: acc.clips, metrics: acc.clips == 0 ? [:] : metrics, note: acc.note))
        }
        if let note = Self.promptNote(out) { notes.append(note) }
        let size = clips.first.map { "\($0.spec.size)" } ?? "-"
        notes.append("Seams boundaries: \(clips.first.map { boundaries($0.frames.count).map(String.init).joined(separator: ",") } ?? "") (first kept frame of each later segment)")
        if let c = clips.first {
            let w = TemporalMetrics.driftWindow(frameCount: c.frames.count, fps: c.spec.fps)
            notes.append(c.frames.count >= 15 * c.spec.fps ? "Drift windows: first vs last 5 s" : "Drift windows: first vs last third (\(w) frames; clips shorter than 15 s)")
        }
        notes.append("FVD-puppet is a proxy: Fréchet distance of the puppet keypoint detector's pooled features, not I3D FVD")
        return EvalReport(model: model, set: set, clips: clips.count, frameSize: size, framesPerClip: clips.map(\.frames.count),
                          rows: out, notes: notes, seconds: Date().timeIntervalSince(start))
    }

    /// Adds each row's Sync on the speech clips among `syncClips`; returns the notes.
    func scoreSync(_ syncClips: [Clip], rows: inout [String: Accumulator], workFolder: String) throws -> [String] {
        var scored = 0, skipped = 0
        var resized: Set<String> = []
        for (index, clip) in syncClips.enumerated() {
            guard SyncMetric.isScorable(clip.mouth) else { skipped += 1; continue }
            scored += 1
            let truth = clip.frames
            let inputs = try EvalInputs.write(clip, into: workFolder + "/sync_\(index)")
            var systems: [(String, () throws -> [RGBImage])] = [
                ("truth", { truth }),
                ("still", { Array(repeating: clip.reference, count: truth.count) }),
            ]
            if let reconstruct { systems.append(("vae-ceiling", { try reconstruct(truth) })) }
            for mode in modes where mode.scoresSync { systems.append((mode.rawValue, { try generate(mode, inputs, clip) })) }
            var truthSilence: Double?
            for (name, make) in systems {
                guard var frames = try? make() else { continue }
                if let f = frames.first, f.width != truth[0].width || f.height != truth[0].height {
                    resized.insert("\(name) \(f.width)x\(f.height)")
                }
                frames = Self.fitted(frames, count: truth.count, like: truth[0])
                let poses = detector.detect(frames).map(\.pose)
                rows[name, default: Accumulator()].add(.sync, SyncMetric.sync(frames: frames, poses: poses, truthMouth: clip.mouth))
                // MStill on the same speech clips: how still the mouth is in their pauses, against the truth's.
                if name == "truth" { truthSilence = SyncMetric.truthSilentVariance(frames: frames, poses: poses, truthMouth: clip.mouth) }
                if let truthSilence {
                    rows[name, default: Accumulator()].add(.stillness, SyncMetric.stillness(frames: frames, poses: poses, truthMouth: clip.mouth,
                                                                                            truthVariance: truthSilence))
                }
            }
        }
        let size = syncClips.first.map { "\($0.spec.size)" } ?? "-"
        var notes = ["Sync on head-framed \(size) versions of the clips: \(scored) speech clip(s) scored, \(skipped) skipped (truth mouth track constant)"]
        if !resized.isEmpty {
            notes.append("Sync: generated frames upscaled (nearest) to \(size) before measuring (\(resized.sorted().joined(separator: ", ")))")
        }
        return notes
    }

    /// The text-control summary: the "waves" row's HKV ÷ the "still" row's (nil without both rows).
    static func promptNote(_ rows: [EvalRow]) -> String? {
        func row(_ c: EvalPromptClass) -> EvalRow? { rows.first { $0.name == c.rowName } }
        guard let wavesRow = row(.waves), let waves = wavesRow[.hkv], let still = row(.still)?[.hkv] else { return nil }
        let ratio = still > 0 ? String(format: "%.2f", waves / still) : "∞"
        let values = String(format: "HKV with \"waves\" prompts %.2f ÷ \"stands still\" prompts %.2f", waves, still)
        return "text control: \(values) = \(ratio)× (\(wavesRow.clips) clips, reference + text, same references and seed)"
    }

    /// `frames` trimmed to `count`, the last repeated when short, resized (nearest) to `like`'s size if it differs.
    static func fitted(_ frames: [RGBImage], count: Int, like: RGBImage) -> [RGBImage] {
        var f = frames.isEmpty ? [RGBImage(width: like.width, height: like.height)] : frames
        if f.count > count { f = Array(f.prefix(count)) }
        while f.count < count { f.append(f[f.count - 1]) }
        return f.map { img in
            guard img.width != like.width || img.height != like.height else { return img }
            return RGBImage(width: like.width, height: like.height) { x, y in
                img[min(img.width - 1, x * img.width / like.width), min(img.height - 1, y * img.height / like.height)]
            }
        }
    }
}

/// Thrown by a generator to skip a mode (e.g. the text encoder's files are missing); `reason` goes into the table.
public struct EvalSkip: Error, Sendable {
    public var reason: String
    public init(_ reason: String) { self.reason = reason }
}
