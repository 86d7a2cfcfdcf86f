import OmniMedia
import OmniTerminal

/// The colour a cell shows to the eye: its background for a space, its foreground for a full block, the mean of
/// the two for any other symbol.
func apparentColour(of cell: Cell) -> (r: Double, g: Double, b: Double) {
    switch cell.character {
    case " ": return (Double(cell.background.r), Double(cell.background.g), Double(cell.background.b))
    case "█": return (Double(cell.foreground.r), Double(cell.foreground.g), Double(cell.foreground.b))
    default:
        return ((Double(cell.foreground.r) + Double(cell.background.r)) / 2,
                (Double(cell.foreground.g) + Double(cell.background.g)) / 2,
                (Double(cell.foreground.b) + Double(cell.background.b)) / 2)
    }
}

/// Black on the left to pure red on the right.
func horizontalRedGradient(width: Int = 128, height: Int = 64) -> RGBImage {
    RGBImage(width: width, height: height) { x, _ in RGB(UInt8(x * 255 / (width - 1)), 0, 0) }
}

/// Black at the top to pure green at the bottom.
func verticalGreenGradient(width: Int = 128, height: Int = 128) -> RGBImage {
    RGBImage(width: width, height: height) { _, y in RGB(0, UInt8(y * 255 / (height - 1)), 0) }
}
