/// How many colours a terminal can show, and therefore which SGR colour codes a rendering may use.
///
/// - `truecolor`: 24-bit `38;2;r;g;b` / `48;2;r;g;b`.
/// - `indexed256`: the xterm 256-colour palette, `38;5;n` / `48;5;n`.
/// - `indexed16`: the 16 ANSI colours, `30–37`, `90–97` / `40–47`, `100–107`.
/// - `none`: characters only, no colour codes at all (`NO_COLOR`, `--no-color`, dumb terminals).
///
/// The raw values are the spellings the command line accepts (`truecolor`, `256`, `16`, `none`).
public enum ColorDepth: String, CaseIterable, Sendable, Hashable, Comparable {
    case none
    case indexed16 = "16"
    case indexed256 = "256"
    case truecolor

    /// Number of distinct colours: 2 (foreground/background only) for `none`.
    public var colorCount: Int {
        switch self {
        case .none: return 2
        case .indexed16: return 16
        case .indexed256: return 256
        case .truecolor: return 1 << 24
        }
    }

    public static func < (lhs: ColorDepth, rhs: ColorDepth) -> Bool { lhs.colorCount < rhs.colorCount }
}
