import OmniMedia

/// What a cell means, not what colour it is: the theme maps roles to colours and attributes.
public enum Role: String, CaseIterable, Sendable {
    case text, dim, border, borderFocus, title, titleFocus, selection, accent, ok, warn, error
    case barFilled, barEmpty, header, status, toggleOn, toggleOff, overlay
}

/// One cell of the studio screen: a single-width scalar, its role, and for picture cells the exact colours.
public struct StudioCell: Sendable, Equatable {
    public var character: Unicode.Scalar
    public var role: Role
    public var foreground: RGB?
    public var background: RGB?
    public init(_ character: Unicode.Scalar = " ", role: Role = .text, foreground: RGB? = nil, background: RGB? = nil) {
        self.character = character; self.role = role; self.foreground = foreground; self.background = background
    }
}

/// A rectangle in cells.
public struct Rect: Sendable, Equatable, CustomStringConvertible {
    public var x: Int, y: Int, width: Int, height: Int
    public init(x: Int, y: Int, width: Int, height: Int) { self.x = x; self.y = y; self.width = width; self.height = height }
    public var inner: Rect { Rect(x: x + 1, y: y + 1, width: max(0, width - 2), height: max(0, height - 2)) }
    public func contains(_ px: Int, _ py: Int) -> Bool { px >= x && px < x + width && py >= y && py < y + height }
    public var description: String { "\(width)×\(height)+\(x)+\(y)" }
}

/// The whole screen as a value: the view-model renders into it, tests compare `plainText`, the ncurses shell
/// draws it cell by cell.
public struct StudioGrid: Sendable, Equatable {
    public let width: Int
    public let height: Int
    public private(set) var cells: [StudioCell]
    /// Where the cursor should be shown (text entry), if anywhere.
    public var cursor: (x: Int, y: Int)? {
        get { cursorX >= 0 ? (cursorX, cursorY) : nil }
        set { cursorX = newValue?.x ?? -1; cursorY = newValue?.y ?? -1 }
    }
    private var cursorX = -1, cursorY = -1

    public init(width: Int, height: Int) {
        self.width = max(1, width); self.height = max(1, height)
        cells = Array(repeating: StudioCell(), count: self.width * self.height)
    }

    public subscript(x: Int, y: Int) -> StudioCell {
        get { cells[y * width + x] }
        set { if x >= 0 && x < width && y >= 0 && y < height { cells[y * width + x] = newValue } }
    }

    /// Writes `text` from (x, y), clipped to `maxWidth` cells and the screen; wide or control characters become '?'.
    public mutating func put(_ text: String, x: Int, y: Int, role: Role = .text, maxWidth: Int? = nil, ascii: Bool = false) {
        guard y >= 0 && y < height else { return }
        let limit = min(width, x + (maxWidth ?? width))
        var cx = x
        for scalar in text.unicodeScalars {
            if cx >= limit { break }
            var s = scalar
            if s.value < 0x20 || (0x7f..<0xa0).contains(s.value) || StudioGrid.isWide(s) { s = "?" }
            if ascii && s.value > 0x7e { s = StudioGrid.asciiFallback(s) }
            if cx >= 0 { self[cx, y] = StudioCell(s, role: role) }
            cx += 1
        }
    }

    public mutating func fill(_ rect: Rect, role: Role = .text) {
        for yy in rect.y..<(rect.y + rect.height) { for xx in rect.x..<(rect.x + rect.width) { self[xx, yy] = StudioCell(" ", role: role) } }
    }

    /// A box with a title in its top border.
    public mutating func box(_ r: Rect, title: String, focused: Bool, ascii: Bool) {
        guard r.width >= 2 && r.height >= 2 else { return }
        let role: Role = focused ? .borderFocus : .border
        let (h, v, tl, tr, bl, br): (Unicode.Scalar, Unicode.Scalar, Unicode.Scalar, Unicode.Scalar, Unicode.Scalar, Unicode.Scalar) =
            ascii ? ("-", "|", "+", "+", "+", "+") : (focused ? ("━", "┃", "┏", "┓", "┗", "┛") : ("─", "│", "┌", "┐", "└", "┘"))
        for xx in r.x..<(r.x + r.width) {
            self[xx, r.y] = StudioCell(h, role: role); self[xx, r.y + r.height - 1] = StudioCell(h, role: role)
        }
        for yy in r.y..<(r.y + r.height) {
            self[r.x, yy] = StudioCell(v, role: role); self[r.x + r.width - 1, yy] = StudioCell(v, role: role)
        }
        self[r.x, r.y] = StudioCell(tl, role: role); self[r.x + r.width - 1, r.y] = StudioCell(tr, role: role)
        self[r.x, r.y + r.height - 1] = StudioCell(bl, role: role); self[r.x + r.width - 1, r.y + r.height - 1] = StudioCell(br, role: role)
        if r.width > 6 {
            put(" \(title) ", x: r.x + 2, y: r.y, role: focused ? .titleFocus : .title, maxWidth: r.width - 4, ascii: ascii)
        }
    }

    /// The characters, one line per row, trailing spaces kept.
    public var plainText: String {
        var lines: [String] = []
        for y in 0..<height {
            var s = String.UnicodeScalarView()
            for x in 0..<width { s.append(cells[y * width + x].character) }
            lines.append(String(s))
        }
        return lines.joined(separator: "\n")
    }

    public static func == (a: StudioGrid, b: StudioGrid) -> Bool {
        a.width == b.width && a.height == b.height && a.cells == b.cells && a.cursorX == b.cursorX && a.cursorY == b.cursorY
    }

    static func isWide(_ s: Unicode.Scalar) -> Bool {
        let v = s.value
        return (0x1100...0x115F).contains(v) || (0x2E80...0xA4CF).contains(v) || (0xAC00...0xD7A3).contains(v)
            || (0xF900...0xFAFF).contains(v) || (0xFE30...0xFE4F).contains(v) || (0xFF00...0xFF60).contains(v)
            || (0xFFE0...0xFFE6).contains(v) || (0x1F300...0x1FAFF).contains(v) || (0x20000...0x3FFFD).contains(v)
    }

    static func asciiFallback(_ s: Unicode.Scalar) -> Unicode.Scalar {
        switch s {
        case "─", "━", "═": return "-"
        case "│", "┃", "║": return "|"
        case "┌", "┐", "└", "┘", "┏", "┓", "┗", "┛", "┼": return "+"
        case "█", "▇", "▆", "▅": return "#"
        case "▄", "▃", "▂", "▁", "░": return "."
        case "●", "•": return "*"
        case "○": return "o"
        case "→": return ">"
        case "←": return "<"
        case "↑": return "^"
        case "↓": return "v"
        case "…": return "~"
        case "×": return "x"
        case "▶": return ">"
        case "⏸": return "="
        default: return "?"
        }
    }
}
