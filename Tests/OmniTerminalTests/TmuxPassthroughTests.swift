import XCTest
@testable import OmniTerminal

final class TmuxPassthroughTests: XCTestCase {
    func testWrapsAndDoublesEveryEscape() {
        XCTAssertEqual(TmuxPassthrough.wrap("\u{1B}_Ga=T;AAAA\u{1B}\\"),
                       "\u{1B}Ptmux;\u{1B}\u{1B}_Ga=T;AAAA\u{1B}\u{1B}\\\u{1B}\\")
    }

    func testPlainTextOnlyGetsTheEnvelope() {
        XCTAssertEqual(TmuxPassthrough.wrap("abc"), "\u{1B}Ptmux;abc\u{1B}\\")
        XCTAssertEqual(TmuxPassthrough.wrap([UInt8]()), Array("\u{1B}Ptmux;\u{1B}\\".utf8))
    }

    func testByteAndStringFormsAgree() {
        let payload = "\u{1B}P0;1q#0;2;0;0;0~~\u{1B}\\"
        XCTAssertEqual(TmuxPassthrough.wrap(Array(payload.utf8)), Array(TmuxPassthrough.wrap(payload).utf8))
    }
}
