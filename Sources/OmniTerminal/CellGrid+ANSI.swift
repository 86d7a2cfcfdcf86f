import OmniMedia

extension CellGrid {
    /// The grid as text for a terminal: one line per row, each line ending in `ESC[0m` (when colours were
    /// used) and "\n". Colours are written as SGR codes for `depth` (the grid's own depth when nil):
    /// `38;2;r;g;b`/`48;2;…` for truecolor, `38;5;n`/`48;5;n` for 256 colours, `3x`/`9x`/`4x`/`10x` for 16;
    /// `none` writes the characters alone, without a single escape sequence. A colour code is emitted only where
    /// a cell's colours differ from its left neighbour's (a space's foreground is ignored).
    public func ansi(depth: ColorDepth? = nil) -> String {
        let depth = depth ?? colorDepth
        var out = String.UnicodeScalarView()
        out.reserveCapacity(rows * cols * (depth == .none ? 1 : 8) + rows * 6)
        for r in 0..<rows {
            var previous: (fg: RGB, bg: RGB)? = nil
            for cell in row(r) {
                if depth != .none {
                    // A space shows no ink, so its foreground need not change.
                    let fg = (cell.character == " " ? previous?.fg : nil) ?? cell.foreground
                    if previous == nil || previous!.fg != fg || previous!.bg != cell.background {
                        out.append(contentsOf: Self.sgr(foreground: fg, background: cell.background, depth: depth).unicodeScalars)
                        previous = (fg, cell.background)
                    }
                }
                out.append(cell.character)
            }
            if depth != .none { out.append(contentsOf: "\u{1B}[0m".unicodeScalars) }
            out.append("\n")
        }
        return String(out)
    }

    /// One SGR sequence setting both colours at `depth`; empty for `.none`.
    public static func sgr(foreground fg: RGB, background bg: RGB, depth: ColorDepth) -> String {
        switch depth {
        case .none:
            return ""
        case .truecolor:
            return "\u{1B}[38;2;\(fg.r);\(fg.g);\(fg.b);48;2;\(bg.r);\(bg.g);\(bg.b)m"
        case .indexed256:
            return "\u{1B}[38;5;\(XtermPalette.nearest256(to: fg));48;5;\(XtermPalette.nearest256(to: bg))m"
        case .indexed16:
            let f = Int(XtermPalette.nearest16(to: fg)), b = Int(XtermPalette.nearest16(to: bg))
            let fgCode = f < 8 ? 30 + f : 90 + (f - 8)
            let bgCode = b < 8 ? 40 + b : 100 + (b - 8)
            return "\u{1B}[\(fgCode);\(bgCode)m"
        }
    }
}
