import OmniMedia

/// One terminal character cell: the symbol drawn in it and its foreground (ink) and background colours.
///
/// A cell is one column wide and one row tall on the terminal; `character` is always a single-width scalar
/// (renderers never produce wide symbols). Colours are 8-bit RGB whatever depth the grid targets: for indexed
/// depths they are the RGB values of the palette entries chosen.
public struct Cell: Sendable, Hashable {
    public var character: Unicode.Scalar
    public var foreground: RGB
    public var background: RGB

    public init(character: Unicode.Scalar, foreground: RGB, background: RGB) {
        self.character = character
        self.foreground = foreground
        self.background = background
    }

    /// An empty cell: a space on `background`.
    public static func blank(background: RGB = RGB(0, 0, 0)) -> Cell {
        Cell(character: " ", foreground: RGB(255, 255, 255), background: background)
    }
}
