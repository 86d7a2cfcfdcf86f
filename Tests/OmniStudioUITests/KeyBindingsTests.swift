import Foundation
@testable import OmniStudioUI
import XCTest

/// Keys as data: each key is bound once per pane, a key outside the lists does nothing, and the help, the status
/// hints and the README's table are the lists.
final class KeyBindingsTests: XCTestCase {
    func state() throws -> StudioState { try StudioViewModelTests.state() }

    /// Every key the terminal can send: printable ASCII, the named keys, Ctrl-letters.
    static let everyKey: [Key] = (32...126).map { .char(Character(UnicodeScalar($0)!)) }
        + [.enter, .tab, .backTab, .escape, .backspace, .delete, .up, .down, .left, .right, .home, .end, .pageUp, .pageDown, .f1]
        + "abcdefghijklmnopqrstuvwxyz".map { .ctrl($0) }

    func testEachKeyIsBoundOncePerPaneAndEveryBindingIsReachable() {
        for pane in Pane.allCases {
            let keys = (KeyBindings.global + KeyBindings.pane(pane)).flatMap(\.keys)
            let repeated = Dictionary(grouping: keys.map(\.displayName), by: { $0 }).filter { $0.value.count > 1 }.keys
            XCTAssertTrue(repeated.isEmpty, "\(pane): bound twice: \(repeated.sorted())")
            for binding in KeyBindings.pane(pane) {
                for key in binding.keys {
                    XCTAssertEqual(KeyBindings.binding(for: key, in: pane)?.description, binding.description, "\(pane): \(key.displayName)")
                }
            }
        }
    }

    /// What a state shows and holds, for "nothing happened".
    func fingerprint(_ s: StudioState) -> String {
        "\(s.focus) \(s.request) \(s.status) \(String(describing: s.overlay)) \(String(describing: s.editing)) \(s.picker.directory.path) "
            + "\(s.picker.selected) \(s.picker.filter) \(s.picker.showHidden) \(s.switchRow) \(s.preview.index) \(s.preview.paused) "
            + "\(s.history.selected) \(s.theme)"
    }

    /// No hidden handlers: a key that no list binds leaves the state as it was, in every pane.
    func testKeysOutsideTheListsDoNothing() throws {
        for pane in Pane.allCases {
            var s = try state()
            s.focus = pane
            let bound = Set((KeyBindings.global + KeyBindings.pane(pane)).flatMap(\.keys).map(\.displayName))
            var checked = 0
            for key in Self.everyKey where !bound.contains(key.displayName) {
                var t = s
                XCTAssertEqual(t.handle(key), [], "\(pane): \(key.displayName)")
                XCTAssertEqual(fingerprint(t), fingerprint(s), "\(pane): \(key.displayName) changed the state")
                checked += 1
            }
            XCTAssertGreaterThan(checked, 60)
        }
    }

    /// A bound key does what its binding does (dispatch goes through the lists): its effects and state equal the
    /// binding's action applied directly.
    func testBoundKeysRunTheirBinding() throws {
        for pane in Pane.allCases {
            var s = try state()
            s.focus = pane
            for binding in KeyBindings.global + KeyBindings.pane(pane) {
                for key in binding.keys where key != .char("n") {   // n draws a random seed
                    var viaKey = s, direct = s
                    let a = viaKey.handle(key), b = binding.action(&direct, key)
                    XCTAssertEqual(a, b, "\(pane): \(key.displayName)")
                    XCTAssertEqual(fingerprint(viaKey), fingerprint(direct), "\(pane): \(key.displayName)")
                }
            }
        }
    }

    func testStatusHintsComeFromTheBindings() throws {
        var s = try state()
        s.status = ""
        XCTAssertTrue(StudioRenderer.render(s).plainText.contains(KeyBindings.hints(running: false)))
        XCTAssertEqual(KeyBindings.hints(running: true), "x cancel · ? help · q quit")
        XCTAssertEqual(KeyBindings.hints(running: false), "g run · Tab focus · ? help · p presets · q quit")
        for hint in KeyBindings.hints(running: false).components(separatedBy: " · ") {
            let key = String(hint.prefix { $0 != " " })
            XCTAssertTrue(KeyBindings.global.contains { $0.keys.first?.displayName == key }, hint)
        }
    }

    /// The README's key table is printed from the lists (paste the expected text below into the README when a
    /// binding changes).
    func testTheREADMEKeyTableIsTheBindings() throws {
        let readme = try String(contentsOf: StudioViewModelTests.repo.appendingPathComponent("README.md"), encoding: .utf8)
        let begin = "<!-- keys: generated from KeyBindings; KeyBindingsTests checks it -->\n", end = "\n<!-- /keys -->"
        guard let a = readme.range(of: begin), let b = readme.range(of: end, range: a.upperBound..<readme.endIndex) else {
            return XCTFail("README.md lacks the key table markers")
        }
        let table = String(readme[a.upperBound..<b.lowerBound])
        XCTAssertEqual(table, KeyBindings.markdownTable(), "README.md's key table differs; expected:\n\(KeyBindings.markdownTable())")
    }
}
