/// What the terminal we are attached to can show: the best preview mode and colour depth, whether output must
/// pass through tmux, and the cell size in pixels when known.
///
/// `detect(environment:)` decides from environment variables alone (pure; no I/O). Over SSH usually only TERM
/// arrives, so refine it with the terminal's own answers (`TerminalQuery`) via `refined(with:)`.
public struct TerminalCapabilities: Sendable, Hashable {
    /// The best way to show pictures.
    public var preview: PreviewMode
    /// The most colours text may use.
    public var colorDepth: ColorDepth
    /// Running inside tmux: graphics payloads must be wrapped with `TmuxPassthrough`.
    public var insideTmux: Bool
    /// One cell's size in screen pixels, when the terminal reported it.
    public var cellPixelSize: CellPixelSize?
    /// Colour was switched off by the user (`NO_COLOR`); refinement never turns it back on.
    public var colorDisabled: Bool

    public init(preview: PreviewMode, colorDepth: ColorDepth, insideTmux: Bool = false,
                cellPixelSize: CellPixelSize? = nil, colorDisabled: Bool = false) {
        self.preview = preview
        self.colorDepth = colorDepth
        self.insideTmux = insideTmux
        self.cellPixelSize = cellPixelSize
        self.colorDisabled = colorDisabled
    }

    /// Decides from `environment` (normally `ProcessInfo.processInfo.environment`):
    ///
    /// - Colour depth: `NO_COLOR` (non-empty) → `none`; TERM unset, empty or `dumb` → `none`;
    ///   `COLORTERM=truecolor|24bit`, a `*-direct` TERM, kitty, iTerm2, WezTerm, Ghostty, VS Code, VTE ≥ 0.36 →
    ///   `truecolor`; a TERM containing `256color` → `256`; any other TERM → `16`.
    /// - Preview: kitty (`KITTY_WINDOW_ID`, `TERM=xterm-kitty`), Ghostty and WezTerm → `kitty`; iTerm2
    ///   (`TERM_PROGRAM=iTerm.app`, `LC_TERMINAL=iTerm2`) and mintty → `iterm2`; foot, mlterm, contour, yaft
    ///   → `sixel`; everything else → `symbols`. No colour means `symbols`.
    /// - tmux: `TMUX` set or TERM `tmux*`/`screen*` → `insideTmux` (the variables inherited from the outer
    ///   terminal still pick the preview).
    public static func detect(environment: [String: String]) -> TerminalCapabilities {
        func value(_ name: String) -> String { environment[name] ?? "" }
        let term = value("TERM").lowercased()
        let colorTerm = value("COLORTERM").lowercased()
        let termProgram = value("TERM_PROGRAM").lowercased()
        let lcTerminal = value("LC_TERMINAL").lowercased()
        let noColor = !value("NO_COLOR").isEmpty
        let insideTmux = !value("TMUX").isEmpty || term.hasPrefix("tmux") || termProgram == "tmux"

        let isKitty = !value("KITTY_WINDOW_ID").isEmpty || term == "xterm-kitty"
        let isGhostty = termProgram == "ghostty" || term == "xterm-ghostty"
        let isWezTerm = termProgram == "wezterm" || !value("WEZTERM_EXECUTABLE").isEmpty
        let isITerm2 = termProgram == "iterm.app" || lcTerminal == "iterm2"
        let isMintty = termProgram == "mintty" || term.hasPrefix("mintty")
        let sixelTerms = ["foot", "mlterm", "contour", "yaft"]
        let isSixelTerm = sixelTerms.contains { term.hasPrefix($0) }
        let vteVersion = Int(value("VTE_VERSION")) ?? 0

        let depth: ColorDepth
        if noColor || term.isEmpty || term == "dumb" {
            depth = .none
        } else if colorTerm == "truecolor" || colorTerm == "24bit" || term.hasSuffix("-direct")
                    || isKitty || isGhostty || isWezTerm || isITerm2 || termProgram == "vscode"
                    || vteVersion >= 3600 {
            depth = .truecolor
        } else if term.contains("256color") || isMintty || isSixelTerm {
            depth = .indexed256
        } else {
            depth = .indexed16
        }

        let preview: PreviewMode
        if depth == .none {
            preview = .symbols
        } else if isKitty || isGhostty || isWezTerm {
            preview = .kitty
        } else if isITerm2 || isMintty {
            preview = .iterm2
        } else if isSixelTerm {
            preview = .sixel
        } else {
            preview = .symbols
        }
        return TerminalCapabilities(preview: preview, colorDepth: depth, insideTmux: insideTmux,
                                    colorDisabled: noColor)
    }

    /// These capabilities corrected by the terminal's answers: a known terminal name in the XTVERSION reply
    /// picks its graphics protocol, a sixel attribute (4) in the DA1 reply upgrades `symbols` to `sixel`, and a
    /// reported cell size is recorded. Never turns colour on when it is off.
    public func refined(with reply: TerminalQueryReply) -> TerminalCapabilities {
        var refined = self
        if let cell = reply.cellPixelSize { refined.cellPixelSize = cell }
        guard colorDepth != .none, !colorDisabled else { return refined }
        if let name = reply.terminalName?.lowercased() {
            if name.hasPrefix("kitty") || name.hasPrefix("ghostty") || name.hasPrefix("wezterm") {
                refined.preview = .kitty
                refined.colorDepth = .truecolor
            } else if name.hasPrefix("iterm2") {
                refined.preview = .iterm2
                refined.colorDepth = .truecolor
            } else if name.hasPrefix("foot") || name.hasPrefix("mlterm") || name.hasPrefix("contour") {
                if refined.preview == .symbols { refined.preview = .sixel }
            }
        }
        if refined.preview == .symbols, reply.supportsSixel == true {
            refined.preview = .sixel
        }
        return refined
    }
}
