import CChafa

/// A terminal graphics protocol that shows real pixels instead of symbols.
///
/// - `sixel`: DEC sixel (`ESC P … q … ESC \`): xterm `-ti vt340`, foot, mlterm, WezTerm, Konsole, mintty.
/// - `kitty`: kitty's graphics protocol (`ESC _G … ESC \`): kitty, WezTerm, Ghostty, Konsole.
/// - `iterm2`: iTerm2's inline images (`ESC ]1337;File=… BEL`): iTerm2, WezTerm, mintty.
public enum GraphicsProtocol: String, CaseIterable, Sendable {
    case sixel
    case kitty
    case iterm2

    var chafaPixelMode: ChafaPixelMode {
        switch self {
        case .sixel: return CHAFA_PIXEL_MODE_SIXELS
        case .kitty: return CHAFA_PIXEL_MODE_KITTY
        case .iterm2: return CHAFA_PIXEL_MODE_ITERM2
        }
    }
}
