import CChafa
import Foundation
import OmniMedia

/// Encodes an `RGBImage` as one escape-sequence payload for a graphics protocol (sixel, kitty or iTerm2)
/// through libchafa's pixel modes.
///
/// The picture is scaled to fill a canvas measured in cells; its size in screen pixels is
/// `cols · cellPixelSize.width × rows · cellPixelSize.height`, so pass the terminal's real cell size
/// (`TerminalQuery`) or the image comes out the wrong size. The payload is written to the tty as is (wrap it with
/// `TmuxPassthrough` inside tmux); it leaves the cursor where the protocol leaves it. Each call builds and frees
/// its own chafa objects.
public struct ChafaGraphicsEncoder: Sendable {
    public var graphicsProtocol: GraphicsProtocol
    /// One cell's size in screen pixels.
    public var cellPixelSize: CellPixelSize
    /// chafa's effort, 0…1 (sixel palette quality). Default 0.5.
    public var workFactor: Float
    /// The environment chafa's terminal database reads to pick sequence variants; the protocol's sequences are
    /// always added from chafa's fallback table, so the payload is produced whatever the terminal seems to be.
    public var environment: [String: String]

    public init(graphicsProtocol: GraphicsProtocol, cellPixelSize: CellPixelSize = .typical,
                workFactor: Float = 0.5, environment: [String: String] = ProcessInfo.processInfo.environment) {
        self.graphicsProtocol = graphicsProtocol
        self.cellPixelSize = cellPixelSize
        self.workFactor = workFactor
        self.environment = environment
    }

    /// The canvas (in cells) for `cols` and optional `rows` that keeps `image`'s aspect ratio on this cell size.
    public func canvasSize(for image: RGBImage, cols: Int, rows: Int? = nil) -> CanvasSize {
        CanvasSize.fitting(imageWidth: image.width, imageHeight: image.height, cols: cols, rows: rows,
                           cellAspect: cellPixelSize.aspect)
    }

    /// The escape-sequence bytes that draw `image` over `size` cells.
    public func payload(for image: RGBImage, size: CanvasSize) -> [UInt8] {
        let settings = ChafaCanvas.Settings(size: size, canvasMode: CHAFA_CANVAS_MODE_TRUECOLOR,
                                            pixelMode: graphicsProtocol.chafaPixelMode,
                                            symbolTags: CHAFA_SYMBOL_TAG_ALL, cellPixelSize: cellPixelSize,
                                            workFactor: workFactor)
        return withTermInfo { termInfo in
            ChafaCanvas.withDrawnCanvas(image, settings) { canvas in
                guard let printed = chafa_canvas_print(canvas, termInfo) else { return [] }
                defer { g_string_free(printed, 1) }
                let length = Int(printed.pointee.len)
                return printed.pointee.str.withMemoryRebound(to: UInt8.self, capacity: length) {
                    Array(UnsafeBufferPointer(start: $0, count: length))
                }
            }
        }
    }

    /// The payload for `image` `cols` cells wide, rows keeping the aspect ratio (within `rows` when given).
    public func payload(for image: RGBImage, cols: Int, rows: Int? = nil) -> [UInt8] {
        payload(for: image, size: canvasSize(for: image, cols: cols, rows: rows))
    }

    /// A term info detected from `environment`, supplemented with chafa's fallback sequences (which include
    /// sixel, kitty and iTerm2), valid during `body`.
    private func withTermInfo<Result>(_ body: (OpaquePointer) -> Result) -> Result {
        let database = chafa_term_db_get_default()  // borrowed: not ours to unref
        var cStrings: [UnsafeMutablePointer<gchar>?] = environment.map { strdup("\($0.key)=\($0.value)") }
        cStrings.append(nil)
        defer { cStrings.forEach { free($0) } }
        guard let termInfo = cStrings.withUnsafeMutableBufferPointer({ chafa_term_db_detect(database, $0.baseAddress) }),
              let fallback = chafa_term_db_get_fallback_info(database)
        else { fatalError("chafa_term_db_detect failed (out of memory)") }
        defer { chafa_term_info_unref(termInfo) }
        chafa_term_info_supplement(termInfo, fallback)
        chafa_term_info_unref(fallback)
        return body(termInfo)
    }
}
