import CChafa
import OmniMedia

/// Owns one chafa canvas (and the configuration and symbol map it was built from) for the duration of a
/// `body` call, and releases all three afterwards. Every chafa object OmniTerminal creates goes through here,
/// so renderers called once per video frame never leak.
enum ChafaCanvas {
    struct Settings {
        var size: CanvasSize
        var canvasMode: ChafaCanvasMode
        var pixelMode: ChafaPixelMode
        var symbolTags: ChafaSymbolTags
        /// Cell size in pixels; only matters for the sixel/kitty/iTerm2 pixel modes.
        var cellPixelSize: CellPixelSize?
        var workFactor: Float
    }

    /// Builds a canvas for `settings`, draws `image` into it (as RGBA8, stride 4·width), runs `body`, and
    /// unrefs everything.
    static func withDrawnCanvas<Result>(_ image: RGBImage, _ settings: Settings,
                                        _ body: (OpaquePointer) -> Result) -> Result {
        guard let config = chafa_canvas_config_new() else { fatalError("chafa_canvas_config_new failed (out of memory)") }
        defer { chafa_canvas_config_unref(config) }
        chafa_canvas_config_set_geometry(config, gint(settings.size.cols), gint(settings.size.rows))
        chafa_canvas_config_set_canvas_mode(config, settings.canvasMode)
        chafa_canvas_config_set_pixel_mode(config, settings.pixelMode)
        chafa_canvas_config_set_work_factor(config, min(1, max(0, settings.workFactor)))
        if let cell = settings.cellPixelSize {
            chafa_canvas_config_set_cell_geometry(config, gint(cell.width), gint(cell.height))
        }

        guard let symbols = chafa_symbol_map_new() else { fatalError("chafa_symbol_map_new failed (out of memory)") }
        defer { chafa_symbol_map_unref(symbols) }
        chafa_symbol_map_add_by_tags(symbols, settings.symbolTags)
        chafa_symbol_map_remove_by_tags(symbols, ChafaSymbolTags(CHAFA_SYMBOL_TAG_WIDE.rawValue | CHAFA_SYMBOL_TAG_BAD.rawValue))
        chafa_canvas_config_set_symbol_map(config, symbols)

        guard let canvas = chafa_canvas_new(config) else { fatalError("chafa_canvas_new failed for \(settings.size.cols)×\(settings.size.rows) cells") }
        defer { chafa_canvas_unref(canvas) }
        let rgba = image.rgba8Pixels()
        rgba.withUnsafeBufferPointer { pixels in
            chafa_canvas_draw_all_pixels(canvas, CHAFA_PIXEL_RGBA8_UNASSOCIATED, pixels.baseAddress,
                                         gint(image.width), gint(image.height), gint(image.width * 4))
        }
        return body(canvas)
    }
}
