import XCTest
@testable import OmniTerminal

final class CanvasSizeTests: XCTestCase {
    func testRowsFollowAspectRatio() {
        XCTAssertEqual(CanvasSize.fitting(imageWidth: 60, imageHeight: 120, cols: 40), CanvasSize(cols: 40, rows: 40))
        XCTAssertEqual(CanvasSize.fitting(imageWidth: 128, imageHeight: 64, cols: 40), CanvasSize(cols: 40, rows: 10))
        XCTAssertEqual(CanvasSize.fitting(imageWidth: 1000, imageHeight: 10, cols: 40), CanvasSize(cols: 40, rows: 1))
    }

    func testMatchesChafasOwnGeometry() {
        for (w, h, cols) in [(60, 120, 40), (128, 64, 40), (333, 101, 77), (17, 290, 13)] {
            var chafaCols: Int32 = Int32(cols), chafaRows: Int32 = -1
            chafaCalcGeometry(w, h, &chafaCols, &chafaRows)
            let ours = CanvasSize.fitting(imageWidth: w, imageHeight: h, cols: cols)
            XCTAssertEqual(ours.cols, Int(chafaCols))
            XCTAssertEqual(Double(ours.rows), Double(chafaRows), accuracy: 1, "\(w)×\(h) at \(cols) cols")
        }
    }

    func testFitsInsideBox() {
        XCTAssertEqual(CanvasSize.fitting(imageWidth: 60, imageHeight: 120, cols: 80, rows: 20), CanvasSize(cols: 20, rows: 20))
        XCTAssertEqual(CanvasSize.fitting(imageWidth: 128, imageHeight: 64, cols: 40, rows: 30), CanvasSize(cols: 40, rows: 10))
        XCTAssertEqual(CanvasSize.fitting(imageWidth: 128, imageHeight: 64, cols: 40, rows: 30, stretch: true), CanvasSize(cols: 40, rows: 30))
    }

    func testCellAspectFromPixelSize() {
        let cell = CellPixelSize(width: 9, height: 18)
        XCTAssertEqual(CanvasSize.fitting(imageWidth: 100, imageHeight: 100, cols: 30, cellAspect: cell.aspect).rows, 15)
    }
}
