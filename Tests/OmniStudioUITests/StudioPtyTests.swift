import Foundation
import OmniMedia
import OmniStudioUI
import OmniTerminal
import XCTest

/// The studio's real ncurses shell on a pseudo-terminal, in-process: keys go in through the master, the screen is
/// read back from ncurses' own window. One class, so XCTest runs these one after another (ncurses is global).
final class StudioPtyTests: XCTestCase {
    var work: URL!

    override func setUpWithError() throws {
        work = FileManager.default.temporaryDirectory.appendingPathComponent("omnistudio-pty-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: work, withIntermediateDirectories: true)
    }

    override func tearDown() { try? FileManager.default.removeItem(at: work) }

    func environment() -> [String: String] {
        var env = ProcessInfo.processInfo.environment
        env["TERM"] = "xterm-256color"; env["TMUX"] = nil; env["NO_COLOR"] = nil
        env["XDG_CONFIG_HOME"] = work.appendingPathComponent("config").path
        return env
    }

    /// Steps the app until `predicate` holds for ncurses' screen (at most 3 s).
    func waitFor(_ app: StudioApp, _ what: String, _ predicate: ([String]) -> Bool,
                 file: StaticString = #filePath, line: UInt = #line) {
        let deadline = Date().addingTimeInterval(3)
        while Date() < deadline {
            if predicate(app.screenLines()) { return }
            app.step(timeoutMilliseconds: 20)
        }
        XCTFail("timed out waiting for \(what); the screen was:\n" + app.screenLines().joined(separator: "\n"), file: file, line: line)
    }

    func open(_ options: StudioOptions, width: Int = 100, height: Int = 30, extraEnvironment: [String: String] = [:]) throws -> (PseudoTerminal, StudioApp) {
        guard let pty = PseudoTerminal(width: width, height: height) else { throw XCTSkip("no pseudo-terminal available") }
        let app = StudioApp(options: options, cwd: work, environment: environment().merging(extraEnvironment) { $1 })
        guard app.start(input: pty.slave, output: pty.slave, terminalType: "xterm-256color") else {
            pty.close()
            throw XCTSkip("ncurses cannot start on the pty: \(app.exitMessage ?? "")")
        }
        return (pty, app)
    }

    func options() -> StudioOptions {
        var o = StudioOptions()
        o.model = "random:tiny"; o.noMouse = true; o.preview = .symbols
        o.outputRoot = work.appendingPathComponent("outputs").path
        return o
    }

    func testScreenFocusHelpAndTerminalRestoredOnPty() throws {
        guard let probe = PseudoTerminal(width: 10, height: 5) else { throw XCTSkip("no pseudo-terminal available") }
        let before = probe.modes()   // a fresh pty's modes: what the studio must leave behind
        probe.close()
        let (pty, app) = try open(options())
        defer { pty.close() }
        var lines = app.screenLines()
        XCTAssertEqual(lines.count, 30)
        XCTAssertEqual(lines.first?.count, 100)
        XCTAssertTrue(lines[0].contains("OmniStudio"), lines[0])
        XCTAssertTrue(lines.joined().contains("┏━ 2 Switchboard"), "the switchboard starts focused")
        let raw = pty.modes()
        XCTAssertEqual(raw.c_lflag & tcflag_t(ECHO | ICANON), 0, "raw mode while the studio runs")

        pty.send(PseudoTerminal.KeyBytes.tab)
        waitFor(app, "focus on Prompt after Tab") { $0.joined().contains("┏━ 3 Prompt") && $0.joined().contains("┌─ 2 Switchboard") }
        pty.send("?")
        waitFor(app, "the help overlay") { $0.joined().contains("Help — 3 Prompt first") }
        pty.send("\u{1B}")
        waitFor(app, "the help overlay closed") { !$0.joined().contains("Help — ") }
        pty.send("q")
        var running = true
        let deadline = Date().addingTimeInterval(3)
        while running && Date() < deadline { running = app.step(timeoutMilliseconds: 20) }
        XCTAssertFalse(running, "q quits")
        app.stop()
        lines = app.screenLines()
        XCTAssertTrue(lines.isEmpty)
        let after = pty.modes()
        XCTAssertEqual(after.c_lflag, before.c_lflag, "local modes restored")
        XCTAssertEqual(after.c_iflag, before.c_iflag, "input modes restored")
        XCTAssertEqual(after.c_oflag, before.c_oflag, "output modes restored")
        XCTAssertNotEqual(after.c_lflag & tcflag_t(ECHO), 0)
        XCTAssertNotEqual(after.c_lflag & tcflag_t(ICANON), 0)
    }

    /// `e` hands the terminal to $VISUAL and comes back with its text as the prompt. The editor (a script here)
    /// writes its process group and whether its input is the studio's terminal: the group must be the studio's own
    /// — the terminal's foreground group — since in a group of its own an editor reading the keyboard is stopped
    /// (SIGTTIN) and the studio froze waiting for it.
    func testExternalEditorGetsTheTerminalAndItsTextBecomesThePrompt() throws {
        let script = work.appendingPathComponent("editor.sh")
        try """
        #!/bin/sh
        if [ -t 0 ]; then tty=terminal; else tty=no-terminal; fi
        printf 'a person waves (group %s, %s)' "$(ps -o pgid= -p $$ | tr -d ' ')" "$tty" > "$1"
        """.write(to: script, atomically: true, encoding: .utf8)
        chmod(script.path, 0o755)
        let (pty, app) = try open(options(), extraEnvironment: ["VISUAL": script.path])
        defer { pty.close() }
        pty.send("e")
        waitFor(app, "the prompt from the editor") { _ in app.studio.state.request.text.prompt.hasPrefix("a person waves") }
        XCTAssertEqual(app.studio.state.request.text.prompt, "a person waves (group \(getpgrp()), terminal)")
        XCTAssertTrue(app.studio.state.request.text.enabled)
        waitFor(app, "the screen back") { $0.joined().contains("prompt from \(script.path)") || $0.joined().contains("Switchboard") }
        // An editor that fails leaves the prompt as it was and says why.
        try "#!/bin/sh\nexit 3\n".write(to: script, atomically: true, encoding: .utf8)
        chmod(script.path, 0o755)
        pty.send("e")
        waitFor(app, "the failure") { _ in app.studio.state.status.contains("exit status 3") }
        XCTAssertTrue(app.studio.state.request.text.prompt.hasPrefix("a person waves"))
        app.stop()
    }

    /// Graphics previews: the payload is written after ncurses' refresh inside save/restore cursor, ncurses
    /// leaves the picture's cells blank, an overlay hides it (kitty: an explicit delete) and closing it re-emits.
    func testGraphicsPreviewOnPty() throws {
        let png = work.appendingPathComponent("ref.png").path
        try ImageFile.writePNG(RGBImage(width: 32, height: 32) { x, y in RGB(UInt8(x * 8), UInt8(y * 8), 128) }, to: png)
        for mode in [PreviewMode.sixel, .kitty] {
            var o = options()
            o.preview = mode; o.path = png
            let (pty, app) = try open(o)
            defer { pty.close() }
            waitFor(app, "the reference in the preview") { _ in app.studio.graphicsPicture() != nil }
            app.step(timeoutMilliseconds: 20)
            guard let pic = app.studio.graphicsPicture() else { app.stop(); return XCTFail("no graphics picture") }
            let lines = app.screenLines().map { Array($0) }
            for y in pic.rect.y..<(pic.rect.y + pic.rect.height) {
                XCTAssertTrue(lines[y][pic.rect.x..<(pic.rect.x + pic.rect.width)].allSatisfy { $0 == " " }, "row \(y) of the picture is blank in ncurses")
            }
            let start = mode == .sixel ? "\u{1B}P" : "\u{1B}_G"
            func count(_ needle: String) -> Int {
                let text = String(decoding: pty.written(), as: UTF8.self)
                return text.components(separatedBy: needle).count - 1
            }
            let deadline = Date().addingTimeInterval(2)
            while count("\u{1B}7\u{1B}[") == 0 && Date() < deadline { usleep(10_000) }
            XCTAssertEqual(count("\u{1B}7\u{1B}["), 1, "\(mode): one payload after the first refresh")
            XCTAssertGreaterThan(count(start), 0, "\(mode): the protocol's sequence")
            pty.send("?")
            waitFor(app, "the help overlay") { $0.joined().contains("Help — ") }
            if mode == .kitty {
                let d = Date().addingTimeInterval(2)
                while count("\u{1B}_Ga=d,d=A") == 0 && Date() < d { usleep(10_000) }
                XCTAssertEqual(count("\u{1B}_Ga=d,d=A"), 1, "kitty: the image is deleted under the overlay")
            }
            pty.send("\u{1B}")
            waitFor(app, "the overlay closed") { !$0.joined().contains("Help — ") }
            let d = Date().addingTimeInterval(2)
            while count("\u{1B}7\u{1B}[") < 2 && Date() < d { usleep(10_000) }
            XCTAssertEqual(count("\u{1B}7\u{1B}["), 2, "\(mode): re-emitted when the overlay closes")
            app.stop()
        }
    }
}

/// User themes from `$XDG_CONFIG_HOME/omnistudio/themes`: listed with the repository's, loaded by name, winning over
/// a repository theme of the same name, their errors naming the user's file and line.
final class StudioUserThemeTests: XCTestCase {
    func testUserThemesFromXDGConfigHome() throws {
        let fm = FileManager.default
        let root = fm.temporaryDirectory.appendingPathComponent("omnistudio-themes-\(UUID().uuidString)")
        defer { try? fm.removeItem(at: root) }
        let repo = root.appendingPathComponent("repo"), config = root.appendingPathComponent("config")
        let userDir = config.appendingPathComponent("omnistudio/themes")
        try fm.createDirectory(at: repo.appendingPathComponent("Themes"), withIntermediateDirectories: true)
        try fm.createDirectory(at: userDir, withIntermediateDirectories: true)
        try "theme[main_bg]=\"#101010\"\n".write(to: repo.appendingPathComponent("Themes/default.theme"), atomically: true, encoding: .utf8)
        try "theme[main_bg]=\"#102030\"\n".write(to: userDir.appendingPathComponent("mine.theme"), atomically: true, encoding: .utf8)
        try "theme[main_bg]=\"#010203\"\n".write(to: userDir.appendingPathComponent("default.theme"), atomically: true, encoding: .utf8)
        try "# broken\ntheme[main_bg]=\"#zz\"\n".write(to: userDir.appendingPathComponent("broken.theme"), atomically: true, encoding: .utf8)

        let env = ["XDG_CONFIG_HOME": config.path, "HOME": root.path]
        let catalog = ThemeCatalog.standard(repository: repo, environment: env)
        XCTAssertEqual(catalog.names(), ["broken", "default", "mine"])
        XCTAssertEqual(try catalog.load("mine").background, .rgb(RGB(0x10, 0x20, 0x30)))
        XCTAssertEqual(try catalog.load("default").background, .rgb(RGB(0x01, 0x02, 0x03)), "the user's theme wins")
        XCTAssertThrowsError(try catalog.load("broken")) { e in
            XCTAssertEqual((e as? ThemeError)?.path, userDir.appendingPathComponent("broken.theme").path)
            XCTAssertEqual((e as? ThemeError)?.line, 2)
        }
        // Without XDG_CONFIG_HOME: ~/.config/omnistudio/themes.
        XCTAssertEqual(ThemeCatalog.standard(repository: repo, environment: ["HOME": root.path]).directories.last?.path,
                       root.appendingPathComponent(".config/omnistudio/themes").path)
        // The studio offers it and `--theme mine` uses it.
        var o = StudioOptions(); o.model = "random:tiny"; o.theme = "mine"; o.outputRoot = root.appendingPathComponent("outputs").path
        let c = StudioController(options: o, width: 120, height: 40, cwd: repo, environment: env)
        XCTAssertTrue(c.state.themes.contains("mine"))
        XCTAssertEqual(c.state.theme, "mine")
    }
}
