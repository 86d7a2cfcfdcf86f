/// A size in terminal cells (`cols × rows`) chosen for showing an image of a given size in pixels.
public struct CanvasSize: Sendable, Hashable {
    /// Width in cells.
    public var cols: Int
    /// Height in cells.
    public var rows: Int

    public init(cols: Int, rows: Int) {
        precondition(cols > 0 && rows > 0, "a canvas needs a positive size, got \(cols)×\(rows) cells")
        self.cols = cols
        self.rows = rows
    }

    /// The largest canvas that keeps an `imageWidth × imageHeight`-pixel image's proportions on cells whose
    /// width ÷ height is `cellAspect` (0.5: cells twice as tall as wide), within `cols` columns and, when given,
    /// `rows` rows. With `rows` nil the width is `cols` exactly and the rows follow from the aspect ratio:
    /// `rows = round(cols · (imageHeight / imageWidth) · cellAspect)`, at least 1. With `stretch`, the canvas is
    /// `cols × rows` exactly (rows computed as above when nil). Images are scaled up as well as down.
    public static func fitting(imageWidth: Int, imageHeight: Int, cols: Int, rows: Int? = nil,
                               cellAspect: Double = 0.5, stretch: Bool = false) -> CanvasSize {
        precondition(imageWidth > 0 && imageHeight > 0, "image size must be positive, got \(imageWidth)×\(imageHeight)")
        precondition(cols > 0, "cols must be positive, got \(cols)")
        precondition(rows.map { $0 > 0 } ?? true, "rows must be positive, got \(rows!)")
        precondition(cellAspect > 0, "cell aspect must be positive")
        let imageAspect = Double(imageHeight) / Double(imageWidth)
        let rowsForCols = max(1, Int((Double(cols) * imageAspect * cellAspect).rounded()))
        guard let maxRows = rows else { return CanvasSize(cols: cols, rows: rowsForCols) }
        if stretch || rowsForCols <= maxRows {
            return CanvasSize(cols: cols, rows: stretch ? maxRows : rowsForCols)
        }
        let colsForRows = max(1, min(cols, Int((Double(maxRows) / imageAspect / cellAspect).rounded())))
        return CanvasSize(cols: colsForRows, rows: maxRows)
    }
}
