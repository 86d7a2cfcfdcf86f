import ArgumentParser
import Foundation
import OmniMedia
import OmniTrain
import OmniWorld

/// `omnistudio sheet`: a labelled contact sheet of videos, one row each, the same evenly spaced frame indices in
/// every row (e.g. generated frames above the ground truth, as in `Models/omni-mini/samples.png`).
struct Sheet: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Stack frames of several videos into one labelled PNG (rows: LABEL=video.mp4).")

    @Option(name: .customLong("row"), help: "LABEL=PATH of a video (repeat; rows in order).") var rows: [String]
    @Option(help: "Frames per row, evenly spaced over the shortest video.") var frames = 8
    @Option(help: "Pixel zoom.") var zoom = 2
    @Option(help: "Output PNG.") var out: String

    func run() throws {
        guard !rows.isEmpty else { throw ValidationError("give at least one --row LABEL=PATH") }
        guard frames > 0, frames <= 64 else { throw ValidationError("--frames must be in 1…64") }
        guard zoom > 0, zoom <= 8 else { throw ValidationError("--zoom must be in 1…8") }
        var videos: [(label: String, frames: [RGBImage])] = []
        for row in rows {
            guard let eq = row.firstIndex(of: "="), eq != row.startIndex else { throw ValidationError("--row wants LABEL=PATH, not \(row)") }
            let path = String(row[row.index(after: eq)...])
            let all = try VideoReader(path: path).readAllFrames()
            guard !all.isEmpty else { throw ValidationError("\(path): no video frames") }
            videos.append((String(row[..<eq]), all))
        }
        let shortest = videos.map(\.frames.count).min()!
        let indices = (0..<frames).map { min(shortest - 1, ($0 * (shortest - 1) + (frames - 1) / 2) / max(1, frames - 1)) }
        let strips = videos.map { video in ContactSheet.grid(indices.map { video.frames[$0] }, columns: frames, zoom: zoom) }
        let labelHeight = (BitmapFont.glyphHeight + 4) * 2
        let width = strips.map { $0.width }.max()!
        var sheet = RGBImage(width: width, height: strips.reduce(0) { $0 + $1.height + labelHeight }, fill: RGB(38, 38, 44))
        var y = 0
        for (strip, video) in zip(strips, videos) {
            BitmapFont.draw(video.label + "  (frames " + indices.map(String.init).joined(separator: " ") + ")", x: 4, y: y + 4,
                            colour: RGB(230, 230, 230), scale: 2, into: &sheet)
            y += labelHeight
            for yy in 0..<strip.height { for xx in 0..<strip.width { sheet[xx, y + yy] = strip[xx, yy] } }
            y += strip.height
        }
        try ImageFile.writePNG(sheet, to: out)
        print("wrote \(out) (\(sheet.width)×\(sheet.height), \(videos.count) rows × \(frames) frames)")
    }
}
