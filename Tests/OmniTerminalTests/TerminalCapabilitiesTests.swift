import XCTest
@testable import OmniTerminal

final class TerminalCapabilitiesTests: XCTestCase {
    private struct Case {
        let environment: [String: String]
        let preview: PreviewMode
        let depth: ColorDepth
        let tmux: Bool
        let line: UInt
        init(_ environment: [String: String], _ preview: PreviewMode, _ depth: ColorDepth, tmux: Bool = false, line: UInt = #line) {
            self.environment = environment; self.preview = preview; self.depth = depth; self.tmux = tmux; self.line = line
        }
    }

    func testDetectFromEnvironmentTable() {
        let cases: [Case] = [
            Case([:], .symbols, .none),
            Case(["TERM": "dumb"], .symbols, .none),
            Case(["TERM": "xterm"], .symbols, .indexed16),
            Case(["TERM": "linux"], .symbols, .indexed16),
            Case(["TERM": "xterm-256color"], .symbols, .indexed256),
            Case(["TERM": "xterm-256color", "COLORTERM": "truecolor"], .symbols, .truecolor),
            Case(["TERM": "xterm-256color", "COLORTERM": "24bit"], .symbols, .truecolor),
            Case(["TERM": "xterm-direct"], .symbols, .truecolor),
            Case(["TERM": "xterm-256color", "VTE_VERSION": "7200"], .symbols, .truecolor),
            Case(["TERM": "xterm-kitty"], .kitty, .truecolor),
            Case(["TERM": "xterm-256color", "KITTY_WINDOW_ID": "1"], .kitty, .truecolor),
            Case(["TERM": "xterm-ghostty", "TERM_PROGRAM": "ghostty"], .kitty, .truecolor),
            Case(["TERM": "xterm-256color", "TERM_PROGRAM": "WezTerm"], .kitty, .truecolor),
            Case(["TERM": "xterm-256color", "TERM_PROGRAM": "iTerm.app"], .iterm2, .truecolor),
            Case(["TERM": "xterm-256color", "LC_TERMINAL": "iTerm2"], .iterm2, .truecolor),
            Case(["TERM": "xterm-256color", "TERM_PROGRAM": "mintty"], .iterm2, .indexed256),
            Case(["TERM": "foot"], .sixel, .indexed256),
            Case(["TERM": "mlterm"], .sixel, .indexed256),
            Case(["TERM": "xterm-256color", "TERM_PROGRAM": "vscode", "COLORTERM": "truecolor"], .symbols, .truecolor),
            Case(["TERM": "tmux-256color", "TMUX": "/tmp/tmux-0/default,1,0", "TERM_PROGRAM": "tmux"], .symbols, .indexed256, tmux: true),
            Case(["TERM": "screen-256color", "TMUX": "/tmp/tmux-0/default,1,0", "COLORTERM": "truecolor"], .symbols, .truecolor, tmux: true),
            Case(["TERM": "tmux-256color", "TMUX": "/t,1,0", "KITTY_WINDOW_ID": "3"], .kitty, .truecolor, tmux: true),
            Case(["TERM": "xterm-kitty", "NO_COLOR": "1"], .symbols, .none),
            Case(["TERM": "xterm-256color", "COLORTERM": "truecolor", "NO_COLOR": "yes"], .symbols, .none),
            Case(["TERM": "xterm-256color", "NO_COLOR": ""], .symbols, .indexed256),  // empty NO_COLOR is ignored
        ]
        for c in cases {
            let detected = TerminalCapabilities.detect(environment: c.environment)
            XCTAssertEqual(detected.preview, c.preview, "\(c.environment)", line: c.line)
            XCTAssertEqual(detected.colorDepth, c.depth, "\(c.environment)", line: c.line)
            XCTAssertEqual(detected.insideTmux, c.tmux, "\(c.environment)", line: c.line)
        }
    }

    func testNoColorIsRemembered() {
        XCTAssertTrue(TerminalCapabilities.detect(environment: ["TERM": "xterm", "NO_COLOR": "1"]).colorDisabled)
        XCTAssertFalse(TerminalCapabilities.detect(environment: ["TERM": "xterm"]).colorDisabled)
    }

    func testRefinedBySixelAttribute() {
        let base = TerminalCapabilities.detect(environment: ["TERM": "xterm-256color"])
        let reply = TerminalQueryReply(deviceAttributes: [63, 1, 2, 4, 6, 9, 15, 22], sawStatusReport: true)
        XCTAssertEqual(base.refined(with: reply).preview, .sixel)
        let noSixel = TerminalQueryReply(deviceAttributes: [62, 22], sawStatusReport: true)
        XCTAssertEqual(base.refined(with: noSixel).preview, .symbols)
    }

    func testRefinedByTerminalName() {
        let base = TerminalCapabilities.detect(environment: ["TERM": "xterm-256color"])  // e.g. over SSH
        let kitty = base.refined(with: TerminalQueryReply(terminalName: "kitty(0.26.5)"))
        XCTAssertEqual(kitty.preview, .kitty); XCTAssertEqual(kitty.colorDepth, .truecolor)
        XCTAssertEqual(base.refined(with: TerminalQueryReply(terminalName: "iTerm2 3.5.0")).preview, .iterm2)
        XCTAssertEqual(base.refined(with: TerminalQueryReply(terminalName: "WezTerm 20240203")).preview, .kitty)
        XCTAssertEqual(base.refined(with: TerminalQueryReply(terminalName: "XTerm(388)")).preview, .symbols)
    }

    func testRefinementRecordsCellSizeAndKeepsColourOff() {
        let off = TerminalCapabilities.detect(environment: ["TERM": "xterm-kitty", "NO_COLOR": "1"])
        let reply = TerminalQueryReply(deviceAttributes: [62, 4], terminalName: "kitty(0.26.5)",
                                       cellPixelSize: CellPixelSize(width: 9, height: 19))
        let refined = off.refined(with: reply)
        XCTAssertEqual(refined.preview, .symbols)
        XCTAssertEqual(refined.colorDepth, .none)
        XCTAssertEqual(refined.cellPixelSize, CellPixelSize(width: 9, height: 19))
    }
}
