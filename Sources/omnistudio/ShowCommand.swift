import ArgumentParser
import Foundation
import Synchronization
import OmniMedia
import OmniTerminal

/// `omnistudio show FILE`: prints a picture to stdout at its own aspect ratio, as coloured symbols or through a
/// terminal graphics protocol; in a terminal a video plays at its frame rate (`TerminalVideoPlayer`) until its end,
/// `q`/Esc/Ctrl-C, or forever with `--loop`.
struct Show: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Show an image in the terminal, or play a video (q stops).",
        discussion: """
            The width defaults to the terminal's (80 columns when stdout is not a terminal); the height follows \
            from the picture's aspect ratio, fitted to the terminal's height unless --cols or --rows is given. \
            --preview auto picks sixel, kitty or iTerm2 graphics where the terminal supports them (asking it \
            when stdin and stdout are a terminal), symbols otherwise. NO_COLOR is honoured. A video plays at its             frame rate when stdout is a terminal (frames that fall behind are skipped; q, Esc or Ctrl-C stops;             --loop repeats it); elsewhere, or with --first-frame, its first frame is shown.
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

    @Argument(help: "An image or video file.")
    var image: String?

    @Flag(help: "Play the video again and again until q, Esc or Ctrl-C.")
    var loop = false

    @Flag(help: "Show a video's first frame instead of playing it.")
    var firstFrame = false

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
        if loop && firstFrame { throw ValidationError("--loop plays the video; --first-frame shows one frame: give one") }
    }

    /// A file with more than one frame (a video, an animated GIF); nil when FFmpeg cannot open it as one.
    static func frameCount(_ path: String) -> Int? { (try? VideoReader(path: path))?.frameCount }

    func run() throws {
        let picture = try image.map { try ImageFile.decode($0) } ?? TestCard.image()
        let plays = !firstFrame && isatty(STDOUT_FILENO) == 1 && (image.flatMap(Self.frameCount) ?? 1) > 1
        if loop && !plays && isatty(STDOUT_FILENO) != 1 {
            throw ValidationError("--loop plays in a terminal; stdout is not one")
        }

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
        if plays, let image {
            let drawing: TerminalVideoPlayer.Drawing
            if let graphics = mode.graphicsProtocol {
                let cell = capabilities.cellPixelSize ?? window?.cellPixelSize ?? .typical
                drawing = .graphics(ChafaGraphicsEncoder(graphicsProtocol: graphics, cellPixelSize: cell), tmux: capabilities.insideTmux)
            } else {
                drawing = .symbols(ChafaSymbolRenderer(colorDepth: depth, symbols: symbols.set))
            }
            try play(image, TerminalVideoPlayer(drawing: drawing, cols: width, maxRows: maxRows, loop: loop), output: output)
            return
        }
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

extension Show {
    /// Plays `path` with keys read from the terminal (no echo, no line buffering, restored after) and Ctrl-C,
    /// SIGTERM or SIGHUP stopping it; a signal exits with 128 + its number, q or Esc with 0.
    func play(_ path: String, _ player: TerminalVideoPlayer, output: FileHandle) throws {
        let stop = Atomic<Bool>(false)
        let signals = StopSignals(label: "omnistudio.show.signals") { _ in stop.store(true, ordering: .relaxed) }
        defer { signals.restore() }
        let keyboard = QuietKeyboard()
        defer { keyboard.restore() }
        let summary = try player.play(path: path, write: { output.write(Data($0)) }, shouldStop: {
            if stop.load(ordering: .relaxed) { return true }
            while let byte = keyboard.pendingByte() { if TerminalVideoPlayer.stops(byte) { return true } }
            return false
        }, clock: { ProcessInfo.processInfo.systemUptime }, sleep: { usleep(useconds_t(max(0, $0) * 1e6)) })
        _ = summary
        if signals.received != 0 { throw ExitCode(signals.exitCode) }
    }
}

/// Standard input without echo or line buffering while a video plays, so a `q` acts at once and leaves no trace;
/// the saved settings come back with `restore()`. Does nothing when standard input is not a terminal.
final class QuietKeyboard {
    private var saved = termios()
    private let active: Bool

    init() {
        guard isatty(STDIN_FILENO) == 1, tcgetattr(STDIN_FILENO, &saved) == 0 else { active = false; return }
        var quiet = saved
        quiet.c_lflag &= ~tcflag_t(ICANON | ECHO)
        active = tcsetattr(STDIN_FILENO, TCSANOW, &quiet) == 0
    }

    /// A byte typed since the last call, without waiting; nil when there is none.
    func pendingByte() -> UInt8? {
        guard active else { return nil }
        var descriptor = pollfd(fd: STDIN_FILENO, events: Int16(POLLIN), revents: 0)
        guard poll(&descriptor, 1, 0) == 1 else { return nil }
        var byte: UInt8 = 0
        return read(STDIN_FILENO, &byte, 1) == 1 ? byte : nil
    }

    func restore() { if active { tcsetattr(STDIN_FILENO, TCSANOW, &saved) } }
}
