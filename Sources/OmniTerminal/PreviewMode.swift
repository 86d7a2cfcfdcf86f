/// How a picture is shown in the terminal: as coloured symbols in cells (works everywhere, including SSH, mosh
/// and tmux), through a graphics protocol that draws real pixels, or not at all.
public enum PreviewMode: String, CaseIterable, Sendable {
    case symbols
    case sixel
    case kitty
    case iterm2
    case none

    /// The graphics protocol behind this mode, nil for `symbols` and `none`.
    public var graphicsProtocol: GraphicsProtocol? {
        switch self {
        case .sixel: return .sixel
        case .kitty: return .kitty
        case .iterm2: return .iterm2
        case .symbols, .none: return nil
        }
    }

    /// The preview mode that draws through `graphicsProtocol`.
    public init(_ graphicsProtocol: GraphicsProtocol) {
        switch graphicsProtocol {
        case .sixel: self = .sixel
        case .kitty: self = .kitty
        case .iterm2: self = .iterm2
        }
    }
}
