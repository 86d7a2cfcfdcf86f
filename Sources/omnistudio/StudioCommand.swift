import ArgumentParser
import Foundation
import OmniStudioUI
import OmniMedia
import OmniTerminal
import OmniWorld

/// `omnistudio` with no arguments: the terminal studio (docs/ARCHITECTURE.md §9).
struct Studio: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Open the terminal studio (the default): compose, run, watch, play, re-run.")

    @Option(help: "Model folder or random:tiny / random:mini (default: Models/omni-mini if present, else random:tiny).")
    var model: String?
    @Option(help: "Theme name from Themes/ or $XDG_CONFIG_HOME/omnistudio/themes, or a .theme file.")
    var theme: String?
    @Option(help: "Preview: symbols, sixel, kitty, iterm2 or none.")
    var preview: String?
    @Flag(help: "No colours (also NO_COLOR).") var noColor = false
    @Flag(help: "Do not capture the mouse.") var noMouse = false
    @Flag(help: "ASCII only: no box-drawing or block symbols.") var ascii = false
    @Option(help: "Where runs are written and the history is read.") var outputs = "outputs"
    @Option(help: ArgumentHelp("Write the demo inputs (reference.png, speech.wav, pose.json) made by the puppet world into DIR and exit.",
                               valueName: "DIR"))
    var writeDemo: String?
    @Argument(help: "A reference image, a recipe.toml or a folder to start in.") var path: String?

    func run() throws {
        if let writeDemo {
            let demo = try StudioDemo.write(into: writeDemo)
            print("wrote \(writeDemo)/{reference.png, speech.wav, pose.json}: seed \(demo.seed), \(demo.frames) frames at 25 fps, \(demo.caption)")
            return
        }
        var o = StudioOptions()
        o.model = model; o.theme = theme; o.noColor = noColor; o.noMouse = noMouse; o.ascii = ascii; o.path = path
        o.outputRoot = outputs
        if let preview {
            guard let p = PreviewMode(rawValue: preview) else {
                throw ValidationError("--preview must be one of \(PreviewMode.allCases.map(\.rawValue).joined(separator: ", "))")
            }
            o.preview = p
        }
        guard isatty(0) != 0 && isatty(1) != 0 else {
            throw ValidationError("the studio needs a terminal on stdin and stdout (use `omnistudio generate` for headless runs)")
        }
        let app = StudioApp(options: o)
        app.run()
        if let m = app.exitMessage, m.contains("signal") { throw ExitCode(130) }
    }
}

/// The studio's demo inputs (`Models/demo`, `make demo`): one fresh puppet character talking for 3.5 s — the
/// first talking half-body clip from seed 2024 on, 64×64 at 25 fps, synthetic speech (no espeak, so the same bytes
/// on every machine). The reference is the clip's reference image, the audio its 16 kHz speech, the pose its
/// OpenPose track over the same 88 frames.
enum StudioDemo {
    static let firstSeed: UInt64 = 2024
    static let duration = 3.5
    static let fps = 25

    static func spec() -> ClipSpec {
        var seed = firstSeed
        while true {
            let spec = ClipSpec.random(seed: seed, style: .cartoon, framing: .half, size: .square, duration: duration, fps: fps, realSpeech: false)
            if spec.audio.kind == .speech { return spec }
            seed += 1
        }
    }

    static func write(into folder: String) throws -> (seed: UInt64, frames: Int, caption: String) {
        let spec = spec()
        let clip = Clip.render(spec)
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        func path(_ name: String) -> String { (folder as NSString).appendingPathComponent(name) }
        try ImageFile.writePNG(clip.reference, to: path("reference.png"))
        try clip.audio.writeWAV(to: path("speech.wav"))
        try clip.pose.write(to: path("pose.json"))
        return (spec.seed, clip.frames.count, clip.caption)
    }
}
