import OmniMedia
import XCTest
@testable import OmniTerminal

final class XtermPaletteTests: XCTestCase {
    func testEveryEntryAbove15MapsBackToItself() {
        for index in 16...255 {
            let colour = XtermPalette.color(at: UInt8(index))
            let nearest = XtermPalette.nearest256(to: colour)
            XCTAssertEqual(XtermPalette.color(at: nearest), colour, "entry \(index)")
        }
    }

    func testKnownEntries() {
        XCTAssertEqual(XtermPalette.nearest256(to: RGB(255, 0, 0)), 196)
        XCTAssertEqual(XtermPalette.nearest256(to: RGB(0, 0, 0)), 16)
        XCTAssertEqual(XtermPalette.nearest256(to: RGB(128, 128, 128)), 244)
        XCTAssertEqual(XtermPalette.nearest16(to: RGB(250, 10, 10)), 9)
        XCTAssertEqual(XtermPalette.nearest16(to: RGB(0, 0, 0)), 0)
        XCTAssertEqual(XtermPalette.nearest16(to: RGB(255, 255, 255)), 15)
    }
}
