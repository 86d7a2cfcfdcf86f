import ArgumentParser
import Foundation
import OmniMedia
import OmniTerminal

/// `omnistudio show IMAGE`: prints a picture (or a video's first frame) to stdout at its own aspect ratio, as
/// coloured symbols or through a terminal graphics protocol.
struct Show: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Show an image, or a video's first frame, in the terminal.",
        discussion: """
            The width defaults to the terminal's (80 columns when stdout is not a terminal); the height follows \
            from the picture's aspect ratio, fitted to the terminal's height unless --cols or --rows is given. \
            --preview auto picks sixel, kitty or iTerm2 graphics where the terminal supports them (asking it \
            when stdin and stdout are a terminal), symbols otherwise. NO_COLOR is honoured.
            """
    )

    /// The `--preview` choices: a preview mode, or `auto` to detect one.
    enum PreviewChoice: String, CaseIterable, ExpressibleByArgument {
        case auto, symbols, sixel, kitty, iterm2
    }

    /// The `--colors` choices (spelled as `ColorDepth`'s raw values).
    enum ColorChoice: String, CaseIterable, ExpressibleByArgument {
        case truecolor
        case indexed256 = "256"
        case indexed16 = "16"
        case none
        var depth: ColorDepth { ColorDepth(rawValue: rawValue)! }
    }

    /// The `--symbols` choices (spelled as `SymbolSet`'s raw values).
    enum SymbolChoice: String, CaseIterable, ExpressibleByArgument {
        case blocks, half, braille, ascii, all
        var set: SymbolSet { SymbolSet(rawValue: rawValue)! }
    }

    @Argument(help: "An image or video file (a video shows its first frame).")
    var image: String?

    @Flag(help: "Show a generated test card (hue bars, grey ramp, a circle that must look round) instead of a file.")
    var testCard = false

    @Option(help: "Width in terminal columns (default: the terminal's width, or 80).")
    var cols: Int?

    @Option(help: "Height in terminal rows (default: from the aspect ratio).")
    var rows: Int?

    @Option(help: "How to draw.")
    var preview: PreviewChoice = .auto

    @Option(help: "Colours for symbols (default: detected).")
    var colors: ColorChoice?

    @Option(help: "Characters for symbols.")
    var symbols: SymbolChoice = .blocks

    @Flag(help: "No colours (same as --colors none; also set by NO_COLOR).")
    var noColor = false

    func validate() throws {
        if image == nil && !testCard { throw ValidationError("give an image or video file, or --test-card") }
        if image != nil && testCard { throw ValidationError("give either a file or --test-card, not both") }
        if let cols, cols <= 0 { throw ValidationError("--cols must be positive, got \(cols)") }
        if let rows, rows <= 0 { throw ValidationError("--rows must be positive, got \(rows)") }
    }

    func run() throws {
        let picture = try image.map { try ImageFile.decode($0) } ?? TestCard.image()

        var capabilities = TerminalCapabilities.detect(environment: ProcessInfo.processInfo.environment)
        let window = TerminalWindowSize.current()
        if window != nil, preview != .symbols, let reply = TerminalQuery.ask() {
            capabilities = capabilities.refined(with: reply)
        }

        let depth: ColorDepth = noColor ? .none : (colors?.depth ?? capabilities.colorDepth)
        let mode: PreviewMode
        switch preview {
        case .auto: mode = depth == .none ? .symbols : capabilities.preview
        case .symbols: mode = .symbols
        case .sixel: mode = .sixel
        case .kitty: mode = .kitty
        case .iterm2: mode = .iterm2
        }

        let width = cols ?? window?.cols ?? 80
        // Fit to the screen's height only when the user gave no size at all.
        let maxRows = rows ?? ((cols == nil) ? window.map { max(1, $0.rows - 1) } : nil)

        let output = FileHandle.standardOutput
        if let graphics = mode.graphicsProtocol {
            let cell = capabilities.cellPixelSize ?? window?.cellPixelSize ?? .typical
            let encoder = ChafaGraphicsEncoder(graphicsProtocol: graphics, cellPixelSize: cell)
            var payload = encoder.payload(for: picture, cols: width, rows: maxRows)
            if capabilities.insideTmux { payload = TmuxPassthrough.wrap(payload) }
            payload.append(UInt8(ascii: "\n"))
            output.write(Data(payload))
        } else {
            let renderer = ChafaSymbolRenderer(colorDepth: depth, symbols: symbols.set)
            output.write(Data(renderer.render(picture, cols: width, rows: maxRows).ansi().utf8))
        }
    }
}
