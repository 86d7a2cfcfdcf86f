import CChafa

/// Which characters a symbol rendering may use. Every set is single-width (never wide CJK symbols), so one
/// symbol always fills exactly one cell.
///
/// - `blocks`: space and the block elements (half, quarter/quadrant and eighth blocks) — the default; the most
///   faithful in most fonts.
/// - `halfBlocks`: space, full block and the half blocks `▀▄▌▐` only — survives poor fonts.
/// - `braille`: braille dots (2×4 per cell), best for line art.
/// - `ascii`: printable ASCII only (`--ascii`, terminals without Unicode fonts).
/// - `all`: everything chafa considers safe.
public enum SymbolSet: String, CaseIterable, Sendable {
    case blocks
    case halfBlocks = "half"
    case braille
    case ascii
    case all

    /// The chafa symbol tags this set adds (wide and ambiguous symbols are always removed).
    var chafaTags: ChafaSymbolTags {
        switch self {
        case .blocks:
            return ChafaSymbolTags(CHAFA_SYMBOL_TAG_SPACE.rawValue | CHAFA_SYMBOL_TAG_SOLID.rawValue | CHAFA_SYMBOL_TAG_BLOCK.rawValue)
        case .halfBlocks:
            return ChafaSymbolTags(CHAFA_SYMBOL_TAG_SPACE.rawValue | CHAFA_SYMBOL_TAG_SOLID.rawValue | CHAFA_SYMBOL_TAG_HHALF.rawValue | CHAFA_SYMBOL_TAG_VHALF.rawValue)
        case .braille:
            return ChafaSymbolTags(CHAFA_SYMBOL_TAG_SPACE.rawValue | CHAFA_SYMBOL_TAG_BRAILLE.rawValue)
        case .ascii:
            return ChafaSymbolTags(CHAFA_SYMBOL_TAG_SPACE.rawValue | CHAFA_SYMBOL_TAG_ASCII.rawValue)
        case .all:
            return CHAFA_SYMBOL_TAG_ALL
        }
    }
}
