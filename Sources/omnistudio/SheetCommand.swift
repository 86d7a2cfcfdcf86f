import ArgumentParser
import Foundation
import OmniMedia
import OmniTrain
import OmniWorld

/// `omnistudio sheet`: a labelled contact sheet of videos, one row each (`VideoSheet`).
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
        let sheet = VideoSheet.render(videos, count: frames, zoom: zoom)
        try ImageFile.writePNG(sheet, to: out)
        print("wrote \(out) (\(sheet.width)×\(sheet.height), \(videos.count) rows × \(frames) frames)")
    }
}
