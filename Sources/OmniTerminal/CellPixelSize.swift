/// The size of one terminal cell in screen pixels, as the terminal reports it (`CSI 16 t`) or as assumed.
/// Graphics payloads (sixel/kitty/iTerm2) are sized from it, and its `aspect` (width ÷ height) decides how many
/// rows keep an image's proportions.
public struct CellPixelSize: Sendable, Hashable {
    /// Cell width in pixels.
    public var width: Int
    /// Cell height in pixels.
    public var height: Int

    public init(width: Int, height: Int) {
        precondition(width > 0 && height > 0, "a cell needs a positive pixel size, got \(width)×\(height)")
        self.width = width
        self.height = height
    }

    /// A typical monospace cell (10×20 pixels): cells are about twice as tall as wide.
    public static let typical = CellPixelSize(width: 10, height: 20)

    /// Width ÷ height of a cell (about 0.5).
    public var aspect: Double { Double(width) / Double(height) }
}
