import OmniMedia
import XCTest
@testable import OmniTerminal

final class GraphicsPayloadTests: XCTestCase {
    private let image = RGBImage(width: 48, height: 32) { x, y in RGB(UInt8(x * 5), UInt8(y * 7), 128) }
    private let environment = ["TERM": "xterm-256color"]

    private func payload(_ graphics: GraphicsProtocol) -> [UInt8] {
        ChafaGraphicsEncoder(graphicsProtocol: graphics, environment: environment).payload(for: image, cols: 12)
    }

    func testSixelIsOneDCSString() {
        let bytes = payload(.sixel)
        XCTAssertTrue(bytes.starts(with: [0x1B, UInt8(ascii: "P")]), String(decoding: bytes.prefix(16), as: UTF8.self))
        XCTAssertEqual(Array(bytes.suffix(2)), [0x1B, UInt8(ascii: "\\")])
        XCTAssertTrue(String(decoding: bytes, as: UTF8.self).contains("q"))
    }

    func testKittyUsesAPCGraphics() {
        let text = String(decoding: payload(.kitty), as: UTF8.self)
        XCTAssertTrue(text.contains("\u{1B}_G"), String(text.prefix(40)))
    }

    func testITerm2UsesInlineFile() {
        let text = String(decoding: payload(.iterm2), as: UTF8.self)
        XCTAssertTrue(text.contains("\u{1B}]1337;File="), String(text.prefix(40)))
    }

    func testPayloadsWorkWithoutAnyEnvironment() {
        for graphics in GraphicsProtocol.allCases {
            let bytes = ChafaGraphicsEncoder(graphicsProtocol: graphics, environment: [:]).payload(for: image, cols: 8)
            XCTAssertFalse(bytes.isEmpty, "\(graphics)")
        }
    }

    func testCanvasUsesCellPixelAspect() {
        let square = RGBImage(width: 100, height: 100, fill: RGB(1, 2, 3))
        let encoder = ChafaGraphicsEncoder(graphicsProtocol: .sixel, cellPixelSize: CellPixelSize(width: 8, height: 16))
        XCTAssertEqual(encoder.canvasSize(for: square, cols: 20), CanvasSize(cols: 20, rows: 10))
    }

    func testSixelPayloadWrapsForTmux() {
        let wrapped = TmuxPassthrough.wrap(payload(.sixel))
        XCTAssertTrue(wrapped.starts(with: Array("\u{1B}Ptmux;\u{1B}\u{1B}P".utf8)))
        // The payload's own terminator ESC \ becomes ESC ESC \, then the envelope closes with ESC \.
        XCTAssertEqual(Array(wrapped.suffix(5)), [0x1B, 0x1B, UInt8(ascii: "\\"), 0x1B, UInt8(ascii: "\\")])
    }
}
