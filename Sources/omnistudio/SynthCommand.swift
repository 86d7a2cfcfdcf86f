import ArgumentParser
import Foundation
import OmniWorld

/// `omnistudio synth`: renders puppet-world clips with their ground truth — inspectable files per clip and one
/// binary training shard — and optionally a contact sheet. The work is `OmniWorld.SynthJob`.
struct Synth: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Render procedural puppet clips (video, reference, pose, caption, ground truth) and a training shard.",
        discussion: """
            Writes DIR/clip_NNN/{video.mp4, reference.png, pose.json, caption.txt, truth.json}, DIR/clips.shard \
            (every clip, binary, for training) and with --sheet DIR/contact_sheet.png. The same options give the same \
            clips (with --espeak auto, talking clips may use espeak-ng where it is installed).
            """)

    @Option(help: "Output folder (created if missing).") var out: String
    @Option(help: "Number of clips.") var clips = 8
    @Option(help: "Seed of the first clip; clip i uses seed + i.") var seed: UInt64 = 0
    @Option(help: "cartoon, photo, animal or mixed.") var style = "mixed"
    @Option(help: "head, half, full or mixed.") var framing = "mixed"
    @Option(help: "WIDTHxHEIGHT in pixels, multiples of 8 (e.g. 64x64, 48x64, 64x48).") var size = "64x64"
    @Option(help: "Seconds per clip.") var duration = 3.0
    @Option(help: "Frames per second.") var fps = 25
    @Option(help: "Real speech through espeak-ng where installed: auto or off.") var espeak = "auto"
    @Flag(help: "Also write contact_sheet.png (references and frames of varied characters, styles, framings).") var sheet = false
    @Flag(help: "Write only the shard, no per-clip folders.") var shardOnly = false
    @Flag(help: "No progress output.") var quiet = false

    func job() throws -> SynthJob {
        guard clips > 0 else { throw ValidationError("--clips must be positive") }
        guard duration > 0, duration <= 600 else { throw ValidationError("--duration must be in (0, 600] seconds") }
        guard fps > 0, fps <= 120 else { throw ValidationError("--fps must be in 1…120") }
        guard let frameSize = FrameSize(parsing: size) else {
            throw ValidationError("--size wants WIDTHxHEIGHT with sides multiples of 8 in 16…1024, e.g. 64x64")
        }
        var styleChoice: CharacterStyle?
        if style != "mixed" {
            guard let s = CharacterStyle(rawValue: style) else { throw ValidationError("--style must be cartoon, photo, animal or mixed, not \(style)") }
            styleChoice = s
        }
        var framingChoice: Framing?
        if framing != "mixed" {
            guard let f = Framing(rawValue: framing) else { throw ValidationError("--framing must be head, half, full or mixed, not \(framing)") }
            framingChoice = f
        }
        guard espeak == "auto" || espeak == "off" else { throw ValidationError("--espeak must be auto or off") }
        return SynthJob(clips: clips, seed: seed, style: styleChoice, framing: framingChoice, size: frameSize,
                        duration: duration, fps: fps, realSpeech: espeak == "auto", sheet: sheet, shardOnly: shardOnly)
    }

    func run() throws {
        let summary = try job().run(into: out) { done, total in
            if !quiet { FileHandle.standardError.write(Data("\rsynth: \(done)/\(total) clips".utf8)) }
        }
        if !quiet {
            FileHandle.standardError.write(Data("\n".utf8))
            print(String(format: "wrote %d clips to %@ in %.2f s: %.2f clips/s (rendering alone %.2f clips/s)", summary.clips, out,
                         summary.seconds, Double(summary.clips) / summary.seconds, Double(summary.clips) / summary.renderSeconds))
            if sheet { print("contact sheet: \((out as NSString).appendingPathComponent(SynthJob.sheetName))") }
        }
    }
}
