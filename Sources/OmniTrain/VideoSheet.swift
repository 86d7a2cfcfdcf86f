import OmniMedia
import OmniWorld

/// Videos as labelled rows of frames, the same evenly spaced frame indices in every row (e.g. generated frames above
/// the ground truth, as in `Models/omni-mini/samples.png`): `omnistudio sheet` and `omnistudio eval --sheets`.
/// Each frame is drawn `zoom`× its own pixels; a label line (scale-2 bitmap font) heads each row.
public enum VideoSheet {
    /// `count` frame indices spread evenly over `0..<frames` (rounded), the first and — for `count` > 1 — the last included.
    public static func indices(count: Int, frames: Int) -> [Int] {
        precondition(count > 0 && frames > 0)
        return (0..<count).map { min(frames - 1, ($0 * (frames - 1) + (count - 1) / 2) / max(1, count - 1)) }
    }

    /// The sheet of `rows`, `count` frames each, spread over the shortest row; the indices follow each label.
    public static func render(_ rows: [(label: String, frames: [RGBImage])], count: Int, zoom: Int) -> RGBImage {
        precondition(!rows.isEmpty && rows.allSatisfy { !$0.frames.isEmpty }, "a video sheet needs frames in every row")
        let picked = indices(count: count, frames: rows.map(\.frames.count).min()!)
        let strips = rows.map { row in ContactSheet.grid(picked.map { row.frames[$0] }, columns: count, zoom: zoom) }
        let labels = rows.map { $0.label + "  (frames " + picked.map(String.init).joined(separator: " ") + ")" }
        let labelHeight = (BitmapFont.glyphHeight + 4) * 2
        let width = max(strips.map(\.width).max()!, labels.map { BitmapFont.width(of: $0, scale: 2) + 8 }.max()!)
        var sheet = RGBImage(width: width, height: strips.reduce(0) { $0 + $1.height + labelHeight }, fill: RGB(38, 38, 44))
        var y = 0
        for (strip, label) in zip(strips, labels) {
            BitmapFont.draw(label, x: 4, y: y + 4, colour: RGB(230, 230, 230), scale: 2, into: &sheet)
            y += labelHeight
            for yy in 0..<strip.height { for xx in 0..<strip.width { sheet[xx, y + yy] = strip[xx, yy] } }
            y += strip.height
        }
        return sheet
    }
}
