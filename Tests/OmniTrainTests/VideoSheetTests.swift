import OmniMedia
import XCTest
@testable import OmniTrain

final class VideoSheetTests: XCTestCase {
    func testIndicesSpanTheVideoEvenly() {
        XCTAssertEqual(VideoSheet.indices(count: 8, frames: 50), [0, 7, 14, 21, 28, 35, 42, 49])
        XCTAssertEqual(VideoSheet.indices(count: 1, frames: 50), [0])
        XCTAssertEqual(VideoSheet.indices(count: 4, frames: 2), [0, 0, 1, 1])
    }

    /// Each row: a label band, then its frames side by side at `zoom`, taken at the same indices of every row.
    func testRowsShowTheirFramesAtTheSameIndices() {
        func video(_ count: Int, base: UInt8) -> [RGBImage] {
            (0..<count).map { RGBImage(width: 6, height: 4, fill: RGB(base, UInt8($0 * 10), 0)) }
        }
        let rows = [(label: "a", frames: video(10, base: 50)), (label: "b", frames: video(7, base: 200))]
        let sheet = VideoSheet.render(rows, count: 3, zoom: 2)
        let band = (BitmapFont.glyphHeight + 4) * 2, stripHeight = (4 + 2 * 2) * 2
        let label = "a  (frames " + VideoSheet.indices(count: 3, frames: 7).map(String.init).joined(separator: " ") + ")"
        XCTAssertEqual(sheet.width, max((3 * 6 + 4 * 2) * 2, BitmapFont.width(of: label, scale: 2) + 8), "the frames or the label")
        XCTAssertEqual(sheet.height, 2 * (band + stripHeight))
        let picked = VideoSheet.indices(count: 3, frames: 7)   // the shorter row sets the span
        for (r, base) in [UInt8(50), 200].enumerated() {
            for (c, index) in picked.enumerated() {
                // The centre of cell c of row r (gap 2, cell 6×4, all zoomed 2×).
                let x = (2 + c * (6 + 2) + 3) * 2, y = r * (band + stripHeight) + band + (2 + 2) * 2
                XCTAssertEqual(sheet[x, y], RGB(base, UInt8(index * 10), 0), "row \(r) cell \(c)")
            }
        }
        // A label wider than its frames widens the sheet rather than being cut.
        let one = VideoSheet.render([(label: "a long label for one small frame", frames: video(2, base: 9))], count: 1, zoom: 1)
        XCTAssertGreaterThanOrEqual(one.width, BitmapFont.width(of: "a long label for one small frame  (frames 0)", scale: 2))
    }
}
