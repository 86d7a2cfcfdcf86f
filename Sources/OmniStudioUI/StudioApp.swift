import CNcursesw
import Foundation
import OmniMedia
import OmniTerminal
import Synchronization

/// The thin ncurses shell: the only file that touches ncurses, always on the main thread. It turns terminal
/// input into `Key`s for the controller, polls the engine about 30 times a second, and draws the
/// controller's `StudioGrid` cell by cell (only the cells that changed).
public final class StudioApp {
    // ncurses macros that Swift cannot import (function-like): their values for ncurses 6 (mouse version 2).
    static let attrReverse: attr_t = 1 << 18
    static let attrBold: attr_t = 1 << 21
    static let button1Pressed: mmask_t = 0x2
    static let button1Clicked: mmask_t = 0x4
    static let button4Pressed: mmask_t = 0x10000
    static let button5Pressed: mmask_t = 0x200000

    static let signalled = Atomic<Int32>(0)
    nonisolated(unsafe) static var active = false

    let controller: StudioController
    var theme: Theme
    let noColor: Bool
    let noMouse: Bool
    var screen: OpaquePointer?
    var outFile: UnsafeMutablePointer<FILE>?
    var inFile: UnsafeMutablePointer<FILE>?
    var outFD: Int32 = 1
    var previous: StudioGrid?
    var colorMode = 0   // 0 none, 8, 16, 256, 1 << 24 direct
    var pairs: [Int64: Int32] = [:]
    var savedStderr: Int32 = -1
    var quitRequested = false
    // Graphics preview: the encoder, whether payloads go through tmux, and what is on screen now.
    var graphics: ChafaGraphicsEncoder?
    let insideTmux: Bool
    var shownGraphics: (serial: Int, rect: Rect)?
    var graphicsCache: (serial: Int, rect: Rect, bytes: [UInt8])?
    public private(set) var exitMessage: String?
    /// The environment the studio was started with (`$VISUAL`, `$EDITOR`).
    let environment: [String: String]

    /// The controller (view-model) the shell drives; tests and the UI benchmark reach into it.
    public var studio: StudioController { controller }

    public init(options: StudioOptions, cwd: URL = URL(fileURLWithPath: FileManager.default.currentDirectoryPath),
                environment env: [String: String] = ProcessInfo.processInfo.environment) {
        environment = env
        noColor = options.noColor || !(env["NO_COLOR"] ?? "").isEmpty
        noMouse = options.noMouse
        let caps = TerminalCapabilities.detect(environment: env)
        insideTmux = caps.insideTmux
        var opts = options
        if opts.preview == nil, caps.preview.graphicsProtocol != nil { opts.preview = caps.preview }
        controller = StudioController(options: opts, width: 80, height: 24, cwd: cwd, environment: env,
                                      colorDepth: noColor ? .none : caps.colorDepth)
        var t = Theme.fallback
        do throws(ThemeError) { t = try controller.themeCatalog.load(options.theme ?? "default") }
        catch { controller.state.say("theme \(error.summary)", error: true) }
        theme = noColor ? .monochrome : t
        if noColor { controller.state.theme = "monochrome" }
        if let p = opts.preview?.graphicsProtocol {
            graphics = ChafaGraphicsEncoder(graphicsProtocol: p, cellPixelSize: caps.cellPixelSize ?? .typical, environment: env)
        }
    }

    /// Runs until the user quits; the terminal is restored on every path (return, SIGINT, SIGTERM, SIGHUP).
    public func run() {
        setlocale(LC_ALL, "")
        // FFmpeg/x264 and anything else writing to stderr must not scribble over the screen.
        FFmpegLog.install()
        savedStderr = dup(2)
        let logPath = NSTemporaryDirectory() + "omnistudio-studio.log"
        let logFD = open(logPath, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
        if logFD >= 0 { dup2(logFD, 2); close(logFD) }
        if let size = TerminalWindowSize.current(descriptor: 1), let cell = size.cellPixelSize { graphics?.cellPixelSize = cell }

        guard start(input: 0, output: 1) else { restoreStderr(); return }
        for sig in [SIGTERM, SIGHUP, SIGINT, SIGQUIT] { signal(sig) { s in StudioApp.signalled.store(s, ordering: .relaxed) } }
        while step(timeoutMilliseconds: 33) {}
        stop()
        restoreStderr()
        if let out = controller.state.run.lastOutput { print("last output: \(out.appendingPathComponent("video.mp4").path)") }
        if let m = exitMessage { FileHandle.standardError.write(Data((m + "\n").utf8)) }
    }

    nonisolated(unsafe) static var atexitInstalled = false

    /// Opens ncurses on a terminal (`input`/`output` descriptors, e.g. a pty's slave; `terminalType` nil = $TERM),
    /// sets the modes and draws the first screen. False (with `exitMessage`) when the terminal cannot be used.
    public func start(input: Int32, output: Int32, terminalType: String? = nil) -> Bool {
        guard let out = fdopen(dup(output), "w"), let inp = fdopen(dup(input), "r") else { exitMessage = "cannot open the terminal"; return false }
        outFile = out; inFile = inp; outFD = fileno(out)
        screen = terminalType.map { t in t.withCString { newterm($0, out, inp) } } ?? newterm(nil, out, inp)
        guard screen != nil else {
            fclose(out); fclose(inp); outFile = nil; inFile = nil
            let t = terminalType ?? ProcessInfo.processInfo.environment["TERM"] ?? ""
            exitMessage = "omnistudio: cannot start the studio: TERM=\(t) is unknown to ncurses"
            return false
        }
        StudioApp.active = true
        if !StudioApp.atexitInstalled { StudioApp.atexitInstalled = true; atexit { if StudioApp.active { endwin() } } }
        raw(); noecho(); nonl()
        set_escdelay(25)
        let win = omni_stdscr()
        keypad(win, true)
        curs_set(0)
        if !noColor && has_colors() {
            start_color()
            use_default_colors()
            let n = omni_colors()
            colorMode = n >= 0x1000000 ? 1 << 24 : (n >= 256 ? 256 : (n >= 16 ? 16 : 8))
            controller.setColorDepth(colorMode >= 1 << 24 ? .truecolor : (colorMode >= 256 ? .indexed256 : .indexed16))
        } else {
            controller.setColorDepth(.none)
        }
        if !noMouse {
            _ = mousemask(StudioApp.button1Pressed | StudioApp.button1Clicked | StudioApp.button4Pressed | StudioApp.button5Pressed, nil)
            mouseinterval(0)
        }
        controller.resize(width: Int(omni_cols()), height: Int(omni_lines()))
        controller.tick()
        previous = nil
        quitRequested = false
        draw(force: true)
        return true
    }

    /// One turn of the loop: waits up to `timeoutMilliseconds` for one input event and applies it, polls the
    /// engine, and redraws what changed. False once the user quit or a signal arrived.
    @discardableResult
    public func step(timeoutMilliseconds: Int32) -> Bool {
        let sig = StudioApp.signalled.load(ordering: .relaxed)
        if sig != 0 {
            controller.engine.cancel()
            exitMessage = "omnistudio: stopped by signal \(sig)"
            return false
        }
        let win = omni_stdscr()
        wtimeout(win, timeoutMilliseconds)
        var wch: wint_t = 0
        let rc = wget_wch(win, &wch)
        var dirty = false
        var full = false
        if rc != ERR {
            if rc == KEY_CODE_YES && Int32(wch) == KEY_RESIZE {
                controller.resize(width: Int(omni_cols()), height: Int(omni_lines()))
                previous = nil
                dirty = true
            } else if let key = decode(rc, wch) {
                for e in controller.handle(key) {
                    switch e {
                    case .quit: quitRequested = true
                    case .redraw: clearok(win, true); previous = nil; full = true
                    case .editPromptExternally: editPrompt()
                    case .themeChanged(let name):
                        if !noColor {
                            do throws(ThemeError) { theme = try controller.themeCatalog.load(name) }
                            catch { controller.state.say("theme \(error.summary)", error: true) }
                            previous = nil
                        }
                    default: break
                    }
                }
                dirty = true
            }
        }
        if quitRequested { return false }
        if controller.tick() { dirty = true }
        if dirty { draw(force: full) }
        return true
    }

    /// Leaves ncurses (the terminal's modes come back), after cancelling and waiting for a running generation.
    public func stop() {
        controller.engine.cancel()
        _ = controller.engine.wait(timeout: 10)
        if shownGraphics != nil { clearGraphics() }
        if StudioApp.active {
            endwin()
            StudioApp.active = false
        }
        if let screen { delscreen(screen) }
        screen = nil
        if let outFile { fclose(outFile) }
        if let inFile { fclose(inFile) }
        outFile = nil; inFile = nil
    }

    /// The text ncurses holds for the screen now (its own window, read back cell by cell), one string per row.
    public func screenLines() -> [String] {
        guard screen != nil else { return [] }
        let win = omni_stdscr()
        var lines: [String] = []
        for y in 0..<omni_lines() {
            var line = ""
            for x in 0..<omni_cols() {
                var cc = cchar_t()
                guard mvwin_wch(win, y, x, &cc) != ERR else { continue }
                var wide = [wchar_t](repeating: 0, count: 8)
                var attrs: attr_t = 0
                var pair: Int16 = 0
                _ = getcchar(&cc, &wide, &attrs, &pair, nil)
                if let s = Unicode.Scalar(UInt32(bitPattern: wide[0])), wide[0] != 0 { line.unicodeScalars.append(s) }
            }
            lines.append(line)
        }
        return lines
    }

    func restoreStderr() {
        if savedStderr >= 0 { dup2(savedStderr, 2); close(savedStderr); savedStderr = -1 }
    }

    func decode(_ rc: Int32, _ wch: wint_t) -> Key? {
        let c = Int32(wch)
        if rc == KEY_CODE_YES {
            switch c {
            case KEY_UP: return .up
            case KEY_DOWN: return .down
            case KEY_LEFT: return .left
            case KEY_RIGHT: return .right
            case KEY_HOME: return .home
            case KEY_END: return .end
            case KEY_PPAGE: return .pageUp
            case KEY_NPAGE: return .pageDown
            case KEY_BACKSPACE: return .backspace
            case KEY_DC: return .delete
            case KEY_BTAB: return .backTab
            case KEY_ENTER: return .enter
            case KEY_F0 + 1: return .f1
            case KEY_MOUSE:
                var ev = MEVENT()
                guard getmouse(&ev) == OK else { return nil }
                if ev.bstate & StudioApp.button4Pressed != 0 { return .mouse(x: Int(ev.x), y: Int(ev.y), .wheelUp) }
                if ev.bstate & StudioApp.button5Pressed != 0 { return .mouse(x: Int(ev.x), y: Int(ev.y), .wheelDown) }
                if ev.bstate & (StudioApp.button1Pressed | StudioApp.button1Clicked) != 0 { return .mouse(x: Int(ev.x), y: Int(ev.y), .click) }
                return nil
            default: return nil
            }
        }
        switch c {
        case 3: return .ctrl("c")
        case 12: return .ctrl("l")
        case 9: return .tab
        case 10, 13: return .enter
        case 27: return .escape
        case 8, 127: return .backspace
        case 1...31: return .ctrl(Character(Unicode.Scalar(UInt8(c + 96))))
        default:
            guard let s = Unicode.Scalar(UInt32(c)) else { return nil }
            return .char(Character(s))
        }
    }

    func editPrompt() {
        let env = environment
        let editor = env["VISUAL"].flatMap { $0.isEmpty ? nil : $0 } ?? env["EDITOR"].flatMap { $0.isEmpty ? nil : $0 } ?? "vi"
        let file = NSTemporaryDirectory() + "omnistudio-prompt-\(getpid()).txt"
        do throws(MediaError) {
            try PendingFile.write(Data(controller.state.request.text.prompt.utf8), to: file)
        } catch {
            controller.state.say("cannot hand the prompt to \(editor): \(error.description)", error: true)
            return
        }
        def_prog_mode()
        endwin()
        // The editor writes to the terminal itself; stderr goes back to the log after (when `run` had sent it there).
        let logged = savedStderr >= 0
        restoreStderr()
        let status = StudioApp.runOnTerminal(["/bin/sh", "-c", "\(editor) \"$1\"", "sh", file],
                                             input: inFile.map(fileno) ?? 0, output: outFD, environment: env)
        if logged {
            savedStderr = dup(2)
            let logFD = open(NSTemporaryDirectory() + "omnistudio-studio.log", O_WRONLY | O_APPEND | O_CREAT, 0o644)
            if logFD >= 0 { dup2(logFD, 2); close(logFD) }
        }
        reset_prog_mode()
        previous = nil
        clearok(omni_stdscr(), true)
        if status == 0, let text = try? String(contentsOfFile: file, encoding: .utf8) {
            let prompt = text.trimmingCharacters(in: .whitespacesAndNewlines)
            controller.state.request.text.prompt = prompt
            controller.state.request.text.enabled = !prompt.isEmpty
            controller.state.say("prompt from \(editor)")
        } else {
            let why = status.map { "exit status \($0)" } ?? "could not be started"
            controller.state.say("\(editor): \(why); prompt unchanged", error: true)
        }
        try? FileManager.default.removeItem(atPath: file)
    }

    /// Runs `arguments` on the studio's terminal and waits for it: the child reads and writes the terminal
    /// (`input`/`output` as its descriptors 0, 1 and 2) and stays in the studio's process group, the terminal's
    /// foreground group — Foundation's `Process` puts a child in a group of its own, where an editor reading the
    /// keyboard is stopped by SIGTTIN and the studio waits forever. While the child runs, the studio ignores
    /// SIGINT and SIGQUIT (the editor gets them), as `system(3)` does. Returns the exit status, nil when the
    /// child could not be started or ended by a signal.
    static func runOnTerminal(_ arguments: [String], input: Int32, output: Int32, environment: [String: String]) -> Int32? {
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_adddup2(&actions, input, 0)
        posix_spawn_file_actions_adddup2(&actions, output, 1)
        posix_spawn_file_actions_adddup2(&actions, output, 2)
        var ignore = sigaction(), savedInt = sigaction(), savedQuit = sigaction()
        ignore.__sigaction_handler.sa_handler = SIG_IGN
        sigaction(SIGINT, &ignore, &savedInt)
        sigaction(SIGQUIT, &ignore, &savedQuit)
        defer { sigaction(SIGINT, &savedInt, nil); sigaction(SIGQUIT, &savedQuit, nil) }
        // The child starts with default dispositions, not the studio's ignored ones.
        var attributes = posix_spawnattr_t()
        posix_spawnattr_init(&attributes)
        defer { posix_spawnattr_destroy(&attributes) }
        var defaults = sigset_t()
        sigemptyset(&defaults); sigaddset(&defaults, SIGINT); sigaddset(&defaults, SIGQUIT)
        posix_spawnattr_setsigdefault(&attributes, &defaults)
        posix_spawnattr_setflags(&attributes, Int16(POSIX_SPAWN_SETSIGDEF))
        let argv = arguments.map { strdup($0) } + [nil]
        let envp = environment.map { strdup("\($0.key)=\($0.value)") } + [nil]
        defer { argv.forEach { free($0) }; envp.forEach { free($0) } }
        var pid: pid_t = 0
        guard posix_spawn(&pid, arguments[0], &actions, &attributes, argv, envp) == 0 else { return nil }
        var status: Int32 = 0
        while waitpid(pid, &status, 0) < 0 && errno == EINTR {}
        let exited = status & 0x7f == 0
        return exited ? (status >> 8) & 0xff : nil
    }

    // MARK: drawing

    func colorNumber(_ c: ThemeColor) -> Int32 {
        switch c {
        case .terminalDefault: return -1
        case .ansi(let i): return colorMode >= 16 ? Int32(i) : Int32(i % 8)
        case .rgb(let rgb): return colorNumber(rgb)
        }
    }

    func colorNumber(_ c: RGB) -> Int32 {
        switch colorMode {
        case 1 << 24: return Int32(c.r) << 16 | Int32(c.g) << 8 | Int32(c.b)
        case 256:
            func q(_ v: UInt8) -> Int { v < 48 ? 0 : (v < 115 ? 1 : (Int(v) - 35) / 40) }
            let (r, g, b) = (q(c.r), q(c.g), q(c.b))
            let cube = 16 + 36 * r + 6 * g + b
            let levels = [0, 95, 135, 175, 215, 255]
            let gray = (Int(c.r) + Int(c.g) + Int(c.b)) / 3
            let gi = max(0, min(23, (gray - 3) / 10))
            let gv = 8 + gi * 10
            let dc = abs(levels[r] - Int(c.r)) + abs(levels[g] - Int(c.g)) + abs(levels[b] - Int(c.b))
            let dg = abs(gv - Int(c.r)) + abs(gv - Int(c.g)) + abs(gv - Int(c.b))
            return Int32(dg < dc ? 232 + gi : cube)
        default:
            let bright = Int(c.r) + Int(c.g) + Int(c.b) > 384
            let idx = (c.r > 100 ? 1 : 0) | (c.g > 100 ? 2 : 0) | (c.b > 100 ? 4 : 0)
            return Int32(colorMode >= 16 && bright ? idx + 8 : idx)
        }
    }

    func pair(_ fg: Int32, _ bg: Int32) -> Int32 {
        let key = Int64(fg) << 32 | Int64(UInt32(bitPattern: bg))
        if let p = pairs[key] { return p }
        let p = alloc_pair(fg, bg)
        if p < 0 { return 0 }
        if pairs.count > 4000 { pairs.removeAll() }   // alloc_pair recycles the least recently used pairs
        pairs[key] = p
        return p
    }

    func attributes(for cell: StudioCell) -> (attr_t, Int32) {
        let style = theme.style(cell.role)
        var attr: attr_t = 0
        if style.bold { attr |= StudioApp.attrBold }
        if style.reverse { attr |= StudioApp.attrReverse }
        guard colorMode > 0 else {
            if noColor && cell.role == .selection { attr |= StudioApp.attrReverse }
            return (attr, 0)
        }
        if let f = cell.foreground, let b = cell.background { return (0, pair(colorNumber(f), colorNumber(b))) }
        var bg = colorNumber(style.background)
        if bg == -1 { bg = colorNumber(theme.background) }
        return (attr, pair(colorNumber(style.foreground), bg))
    }

    func draw(force: Bool) {
        let grid = controller.frame()
        let win = omni_stdscr()
        let full = force || previous == nil || previous!.width != grid.width || previous!.height != grid.height
        if full { werase(win) }
        for y in 0..<grid.height {
            for x in 0..<grid.width {
                let cell = grid[x, y]
                if !full, let prev = previous, prev[x, y] == cell { continue }
                if y == grid.height - 1 && x == grid.width - 1 { continue }   // writing the last cell scrolls some terminals
                var (attr, p) = attributes(for: cell)
                var wide: [wchar_t] = [wchar_t(bitPattern: cell.character.value), 0]
                var cc = cchar_t()
                setcchar(&cc, &wide, attr, 0, &p)
                mvwadd_wch(win, Int32(y), Int32(x), &cc)
            }
        }
        if let c = grid.cursor { curs_set(1); wmove(win, Int32(c.y), Int32(c.x)) } else { curs_set(0) }
        wrefresh(win)
        previous = grid
        drawGraphics(repainted: full)
    }

    // MARK: graphics preview (sixel, kitty, iTerm2)

    /// Writes the preview picture as a graphics payload over its rectangle, which the grid leaves blank so ncurses
    /// never draws there: after ncurses' refresh, inside save/restore cursor, through tmux passthrough inside tmux.
    /// Re-emitted whenever the picture or the rectangle changes and after every full repaint (which blanks it).
    func drawGraphics(repainted: Bool) {
        guard let graphics else { return }
        guard let pic = controller.graphicsPicture() else {
            if shownGraphics != nil { clearGraphics() }
            return
        }
        if !repainted, let shown = shownGraphics, shown.serial == pic.serial, shown.rect == pic.rect { return }
        if graphics.graphicsProtocol == .kitty && shownGraphics != nil { clearGraphics() }
        let bytes: [UInt8]
        if let c = graphicsCache, c.serial == pic.serial, c.rect == pic.rect { bytes = c.bytes }
        else {
            let size = graphics.canvasSize(for: pic.image, cols: pic.rect.width, rows: pic.rect.height)
            let x = pic.rect.x + max(0, (pic.rect.width - size.cols) / 2), y = pic.rect.y + max(0, (pic.rect.height - size.rows) / 2)
            bytes = Array("\u{1B}[\(y + 1);\(x + 1)H".utf8) + graphics.payload(for: pic.image, size: size)
            graphicsCache = (pic.serial, pic.rect, bytes)
        }
        emit(Array("\u{1B}7".utf8) + (insideTmux ? TmuxPassthrough.wrap(bytes) : bytes) + Array("\u{1B}8".utf8))
        shownGraphics = (pic.serial, pic.rect)
    }

    /// Removes the shown picture: kitty images are deleted explicitly; sixel and iTerm2 pictures are cells that
    /// ncurses repaints (the rectangle is marked for a full redraw).
    func clearGraphics() {
        if graphics?.graphicsProtocol == .kitty {
            let delete = Array("\u{1B}_Ga=d,d=A\u{1B}\\".utf8)
            emit(insideTmux ? TmuxPassthrough.wrap(delete) : delete)
        } else if let shown = shownGraphics, screen != nil {
            let win = omni_stdscr()
            wtouchln(win, Int32(shown.rect.y), Int32(shown.rect.height), 1)
            // Blanks on screen that ncurses believes are blank already: make it rewrite them.
            wredrawln(win, Int32(shown.rect.y), Int32(shown.rect.height))
            wrefresh(win)
        }
        shownGraphics = nil
    }

    func emit(_ bytes: [UInt8]) {
        if let outFile { fflush(outFile) }
        var offset = 0
        while offset < bytes.count {
            let n = bytes[offset...].withUnsafeBytes { write(outFD, $0.baseAddress, $0.count) }
            if n > 0 { offset += n } else if n < 0 && errno != EINTR && errno != EAGAIN { return }
        }
    }
}
