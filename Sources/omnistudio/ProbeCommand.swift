import ArgumentParser
import Foundation
import OmniMedia
import OmniModel
import OmniWorld

/// `omnistudio probe`: where lip sync is lost — in the audio features (`probe features`, the default) or in the
/// model (`probe lips`).
struct Probe: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Probes of lip sync: what the audio features carry (features, the default) and what a model uses (lips).",
        subcommands: [ProbeFeatures.self, ProbeLips.self], defaultSubcommand: ProbeFeatures.self)
}

/// `omnistudio probe features`: how much of the truth mouth-openness track each audio feature set carries, by a
/// linear probe (`RidgeProbe`) fitted on puppet speech and scored (R²) on held-out puppet speech and on espeak-ng speech.
struct ProbeFeatures: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "features",
        abstract: "Linear probe of the audio features: R² of the mouth-openness track from log-mel and from Whisper features.")

    @Option(help: "Puppet speech clips to fit on.") var clips = 60
    @Option(help: "Held-out clips per test set.") var heldOut = 30
    @Option(help: "First clip seed of the training clips (held-out clips start 1 000 000 later).") var seed: UInt64 = 70_001
    @Option(help: "Video frames on each side joined to a frame's features (the DiT uses 2).") var neighbours = 2

    func run() throws {
        guard clips >= 5, heldOut >= 1, neighbours >= 0 else { throw ValidationError("--clips ≥ 5, --held-out ≥ 1, --neighbours ≥ 0") }
        var logmel = ModelConfig.mini.audio, whisper = logmel
        logmel.neighbours = neighbours
        whisper.neighbours = neighbours
        whisper.encoder = AudioConditionConfig.whisperEncoder
        let sets: [(String, Bool, UInt64, Int)] = [("fit", false, seed, clips), ("puppet speech", false, seed + 1_000_000, heldOut)]
            + (EspeakSpeech.isAvailable ? [("espeak-ng speech", true, seed + 2_000_000, heldOut), ("fit espeak", true, seed + 3_000_000, clips)] : [])
        var data: [String: [(String, [[Float]], [Float])]] = [:]
        for (name, espeak, first, count) in sets {
            FileHandle.standardError.write(Data("probe: rendering \(count) \(name) clips\n".utf8))
            let rendered = Self.speechClips(first: first, count: count, espeak: espeak)
            data[name] = try [("log-mel", logmel), ("Whisper tiny.en", whisper)].map { (label, config) in
                var rows: [[Float]] = [], targets: [Float] = []
                for clip in rendered {
                    let features = try AudioConditioning.features(of: clip.audio, fps: Double(clip.spec.fps), config: config)
                    for f in 0..<min(features.videoFrameCount, clip.mouth.count) { rows.append(features.row(f)); targets.append(clip.mouth[f]) }
                }
                return (label, rows, targets)
            }
        }
        print("omnistudio probe — mouth openness from audio features, ridge regression, R² on held-out frames")
        print("features \(neighbours > 0 ? "with ±\(neighbours) frames" : "of the frame alone"); each fit on \(clips) clips (\(data["fit"]![0].1.count) frames), λ chosen on its last fifth")
        let espeak = data["fit espeak"] != nil
        print("feature set       width   puppet → puppet   puppet → espeak   espeak → espeak")
        for (i, (label, _, _)) in data["fit"]!.enumerated() {
            // One probe per fitting set, scored on each test set.
            var probes: [String: RidgeProbe] = [:]
            func score(fit: String, test: String) -> String {
                guard let fitting = data[fit]?[i], let testing = data[test]?[i] else { return "—" }
                let probe = probes[fit] ?? Self.fitted(rows: fitting.1, targets: fitting.2)
                probes[fit] = probe
                return String(format: "%.3f", probe.rSquared(rows: testing.1, targets: testing.2))
            }
            let width = data["fit"]![i].1[0].count
            print(label.padding(toLength: 17, withPad: " ", startingAt: 0) + String(format: " %5d   ", width)
                  + score(fit: "fit", test: "puppet speech").padding(toLength: 18, withPad: " ", startingAt: 0)
                  + (espeak ? score(fit: "fit", test: "espeak-ng speech") : "—").padding(toLength: 18, withPad: " ", startingAt: 0)
                  + (espeak ? score(fit: "fit espeak", test: "espeak-ng speech") : "—"))
        }
        if !EspeakSpeech.isAvailable { print("note: espeak-ng is not installed, so no espeak row (apt-get install espeak-ng)") }
    }

    /// A probe fitted on `rows`, with λ chosen on the last fifth of them (fitted on the rest) from 10⁻⁴ … 1.
    static func fitted(rows: [[Float]], targets: [Float]) -> RidgeProbe {
        let cut = rows.count * 4 / 5
        func validation(_ lambda: Double) -> Double {
            RidgeProbe(rows: Array(rows[..<cut]), targets: Array(targets[..<cut]), lambda: lambda)
                .rSquared(rows: Array(rows[cut...]), targets: Array(targets[cut...]))
        }
        let lambda = [1e-4, 1e-3, 1e-2, 1e-1, 1].map { ($0, validation($0)) }.max { $0.1 < $1.1 }!.0
        return RidgeProbe(rows: rows, targets: targets, lambda: lambda)
    }

    /// `count` head-framed 2 s talking clips from seeds `first`, `first + 1`, … (clips of other scenarios skipped);
    /// with `espeak`, their voice is espeak-ng's instead of the puppet world's synthesiser.
    static func speechClips(first: UInt64, count: Int, espeak: Bool) -> [Clip] {
        var out: [Clip] = []
        var s = first
        while out.count < count {
            var spec = ClipSpec.random(seed: s, framing: .head, duration: 2, realSpeech: false)
            s += 1
            guard spec.audio.kind == .speech else { continue }
            if espeak {
                spec.audio.kind = .espeak
                spec.audio.sentence = EspeakSpeech.sentences[Int(s % UInt64(EspeakSpeech.sentences.count))]
            }
            out.append(Clip.render(spec))
        }
        return out
    }
}
