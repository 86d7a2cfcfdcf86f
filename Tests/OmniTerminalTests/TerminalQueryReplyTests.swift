import XCTest
@testable import OmniTerminal

final class TerminalQueryReplyTests: XCTestCase {
    private func parse(_ text: String) -> TerminalQueryReply { TerminalQueryReply.parse(Array(text.utf8)) }

    func testXtermWithSixel() {
        let reply = parse("\u{1B}[?63;1;2;4;6;9;15;22c\u{1B}P>|XTerm(388)\u{1B}\\\u{1B}[6;17;8t\u{1B}[0n")
        XCTAssertEqual(reply.deviceAttributes, [63, 1, 2, 4, 6, 9, 15, 22])
        XCTAssertEqual(reply.supportsSixel, true)
        XCTAssertEqual(reply.terminalName, "XTerm(388)")
        XCTAssertEqual(reply.cellPixelSize, CellPixelSize(width: 8, height: 17))
        XCTAssertTrue(reply.sawStatusReport)
    }

    func testSixelAttributeAtTheEnd() {
        XCTAssertEqual(parse("\u{1B}[?62;4c").supportsSixel, true)
        XCTAssertEqual(parse("\u{1B}[?62;22c").supportsSixel, false)
        XCTAssertEqual(parse("\u{1B}[?4;22c").supportsSixel, false)  // 4 as the device class is not sixel
        XCTAssertEqual(parse("\u{1B}[?1;2c").supportsSixel, false)   // tmux, VT100
        XCTAssertNil(parse("\u{1B}[0n").supportsSixel)
    }

    func testKittyWithoutSixel() {
        let reply = parse("\u{1B}[?62;c\u{1B}P>|kitty(0.26.5)\u{1B}\\\u{1B}[6;20;10t\u{1B}[0n")
        XCTAssertEqual(reply.supportsSixel, false)
        XCTAssertEqual(reply.terminalName, "kitty(0.26.5)")
        XCTAssertEqual(reply.cellPixelSize, CellPixelSize(width: 10, height: 20))
    }

    func testTerminalThatOnlyAnswersDA1AndDSR() {
        let reply = parse("\u{1B}[?62;22c\u{1B}[0n")
        XCTAssertNil(reply.terminalName)
        XCTAssertNil(reply.cellPixelSize)
        XCTAssertTrue(reply.sawStatusReport)
    }

    func testXTVersionTerminatedByBEL() {
        XCTAssertEqual(parse("\u{1B}P>|tmux 3.3a\u{07}\u{1B}[0n").terminalName, "tmux 3.3a")
    }

    func testNoiseAndUnknownRepliesAreSkipped() {
        let reply = parse("ab\u{1B}[12;40R\u{1B}[?2026;2$y q\u{1B}[?64;4c\u{1B}[0n")
        XCTAssertEqual(reply.deviceAttributes, [64, 4])
        XCTAssertTrue(reply.sawStatusReport)
    }

    func testUnfinishedSequencesAreIgnored() {
        XCTAssertEqual(parse("\u{1B}[?62;4c\u{1B}P>|XTer"), TerminalQueryReply(deviceAttributes: [62, 4]))
        XCTAssertFalse(parse("\u{1B}[?62;4c\u{1B}[0").sawStatusReport)
        XCTAssertEqual(parse(""), TerminalQueryReply())
        XCTAssertEqual(parse("\u{1B}"), TerminalQueryReply())
    }

    func testZeroCellSizeIsNotRecorded() {
        XCTAssertNil(parse("\u{1B}[6;0;0t").cellPixelSize)
    }

    func testRequestAsksFourQuestionsEndingWithDSR() {
        let request = String(decoding: TerminalQuery.request, as: UTF8.self)
        XCTAssertEqual(request, "\u{1B}[c\u{1B}[>0q\u{1B}[16t\u{1B}[5n")
    }

    func testQueryReturnsAtOnceWithoutATerminal() throws {
        var descriptors: [Int32] = [0, 0]
        XCTAssertEqual(pipe(&descriptors), 0)
        defer { close(descriptors[0]); close(descriptors[1]) }
        let start = Date()
        XCTAssertNil(TerminalQuery.ask(input: descriptors[0], output: descriptors[1], timeoutMilliseconds: 1000))
        XCTAssertLessThan(Date().timeIntervalSince(start), 0.1)
        XCTAssertNil(TerminalWindowSize.current(descriptor: descriptors[1]))
    }
}
