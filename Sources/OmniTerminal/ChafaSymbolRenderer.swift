import CChafa
import OmniMedia

/// Turns an `RGBImage` (sizes in pixels) into a `CellGrid` of symbols and colours (sizes in cells) with
/// libchafa's symbol mode. Cheap to copy and safe to share; each `render` call builds and frees its own chafa
/// canvas, so it can be called once per video frame without leaking.
///
/// Colours in the result are RGB for every depth (palette RGB for the indexed depths); with `.none` every cell
/// is white on black and only the symbols carry the picture.
public struct ChafaSymbolRenderer: Sendable {
    /// Colours the canvas may use.
    public var colorDepth: ColorDepth
    /// Characters the canvas may use.
    public var symbols: SymbolSet
    /// chafa's effort, 0…1: higher searches more symbols per cell (slower, finer). Default 0.5.
    public var workFactor: Float
    /// Width ÷ height of a terminal cell, used when rows are derived from the image's aspect ratio. Default 0.5.
    public var cellAspect: Double

    public init(colorDepth: ColorDepth = .truecolor, symbols: SymbolSet = .blocks,
                workFactor: Float = 0.5, cellAspect: Double = 0.5) {
        self.colorDepth = colorDepth
        self.symbols = symbols
        self.workFactor = workFactor
        self.cellAspect = cellAspect
    }

    /// The canvas (in cells) an image is rendered to for `cols` and optional `rows`: see `CanvasSize.fitting`.
    public func canvasSize(for image: RGBImage, cols: Int, rows: Int? = nil) -> CanvasSize {
        CanvasSize.fitting(imageWidth: image.width, imageHeight: image.height, cols: cols, rows: rows, cellAspect: cellAspect)
    }

    /// Renders `image` `cols` cells wide; the rows keep the image's aspect ratio (see `canvasSize`), fitting
    /// within `rows` when given.
    public func render(_ image: RGBImage, cols: Int, rows: Int? = nil) -> CellGrid {
        render(image, size: canvasSize(for: image, cols: cols, rows: rows))
    }

    /// Renders `image` stretched to exactly `size` cells.
    public func render(_ image: RGBImage, size: CanvasSize) -> CellGrid {
        let settings = ChafaCanvas.Settings(size: size, canvasMode: colorDepth.chafaCanvasMode,
                                            pixelMode: CHAFA_PIXEL_MODE_SYMBOLS, symbolTags: symbols.chafaTags,
                                            cellPixelSize: nil, workFactor: workFactor)
        let depth = colorDepth
        return ChafaCanvas.withDrawnCanvas(image, settings) { canvas in
            var cells = [Cell]()
            cells.reserveCapacity(size.cols * size.rows)
            let white = RGB(255, 255, 255), black = RGB(0, 0, 0)
            for y in 0..<size.rows {
                for x in 0..<size.cols {
                    let code = chafa_canvas_get_char_at(canvas, gint(x), gint(y))
                    let character = Unicode.Scalar(code).flatMap { $0.value == 0 ? nil : $0 } ?? " "
                    if depth == .none {
                        cells.append(Cell(character: character, foreground: white, background: black))
                        continue
                    }
                    var fg: gint = -1, bg: gint = -1
                    chafa_canvas_get_colors_at(canvas, gint(x), gint(y), &fg, &bg)
                    cells.append(Cell(character: character,
                                      foreground: Self.unpack(fg, transparent: white),
                                      background: Self.unpack(bg, transparent: black)))
                }
            }
            return CellGrid(cols: size.cols, rows: size.rows, colorDepth: depth, cells: cells)
        }
    }

    /// chafa's packed 0xRRGGBB, or -1 for transparent.
    static func unpack(_ packed: gint, transparent: RGB) -> RGB {
        guard packed >= 0 else { return transparent }
        return RGB(UInt8((packed >> 16) & 0xFF), UInt8((packed >> 8) & 0xFF), UInt8(packed & 0xFF))
    }
}

extension ColorDepth {
    /// chafa's canvas mode for this depth. 256 colours use chafa's 240-colour mode, which leaves out the 16
    /// themeable ANSI colours so that the RGB chafa reports is what the terminal shows.
    var chafaCanvasMode: ChafaCanvasMode {
        switch self {
        case .truecolor: return CHAFA_CANVAS_MODE_TRUECOLOR
        case .indexed256: return CHAFA_CANVAS_MODE_INDEXED_240
        case .indexed16: return CHAFA_CANVAS_MODE_INDEXED_16
        case .none: return CHAFA_CANVAS_MODE_FGBG
        }
    }
}
