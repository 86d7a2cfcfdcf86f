import OmniMedia

/// A rectangle of terminal cells, `cols × rows` (sizes in cells, not pixels), stored row-major, together with
/// the colour depth it was rendered for. A pure value: the `show` command prints it as ANSI text
/// (`ansi(depth:)`), the ncurses studio draws it cell by cell, tests read `plainText` and the colours.
public struct CellGrid: Sendable, Hashable {
    /// Width in cells (terminal columns).
    public let cols: Int
    /// Height in cells (terminal rows).
    public let rows: Int
    /// The colour depth the colours were chosen for; `ansi()` uses it unless told otherwise.
    public let colorDepth: ColorDepth
    /// `cols * rows` cells, row-major: cell (col, row) is `cells[row * cols + col]`.
    public private(set) var cells: [Cell]

    /// A grid filled with `fill`.
    public init(cols: Int, rows: Int, colorDepth: ColorDepth, fill: Cell = .blank()) {
        precondition(cols > 0 && rows > 0, "CellGrid needs a positive size, got \(cols)×\(rows) cells")
        self.cols = cols
        self.rows = rows
        self.colorDepth = colorDepth
        self.cells = Array(repeating: fill, count: cols * rows)
    }

    /// A grid from existing row-major cells; `cells.count` must be `cols * rows`.
    public init(cols: Int, rows: Int, colorDepth: ColorDepth, cells: [Cell]) {
        precondition(cols > 0 && rows > 0, "CellGrid needs a positive size, got \(cols)×\(rows) cells")
        precondition(cells.count == cols * rows, "CellGrid \(cols)×\(rows) needs \(cols * rows) cells, got \(cells.count)")
        self.cols = cols
        self.rows = rows
        self.colorDepth = colorDepth
        self.cells = cells
    }

    /// The cell at column `col` (0 = left) and row `row` (0 = top).
    public subscript(col: Int, row: Int) -> Cell {
        get {
            precondition(col >= 0 && col < cols && row >= 0 && row < rows, "cell (\(col), \(row)) outside \(cols)×\(rows)")
            return cells[row * cols + col]
        }
        set {
            precondition(col >= 0 && col < cols && row >= 0 && row < rows, "cell (\(col), \(row)) outside \(cols)×\(rows)")
            cells[row * cols + col] = newValue
        }
    }

    /// One row of cells, left to right.
    public func row(_ row: Int) -> ArraySlice<Cell> {
        cells[(row * cols)..<((row + 1) * cols)]
    }

    /// The characters only: `rows` lines of `cols` scalars each, joined by "\n", no trailing newline.
    public var plainText: String {
        var text = String.UnicodeScalarView()
        text.reserveCapacity((cols + 1) * rows)
        for r in 0..<rows {
            if r > 0 { text.append("\n") }
            for cell in row(r) { text.append(cell.character) }
        }
        return String(text)
    }
}
