import ArgumentParser
import Foundation
import OmniStudioUI
import OmniTerminal

/// `omnistudio` with no arguments: the terminal studio (DESIGN §5).
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
    @Argument(help: "A reference image, a recipe.toml or a folder to start in.") var path: String?

    func run() throws {
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
