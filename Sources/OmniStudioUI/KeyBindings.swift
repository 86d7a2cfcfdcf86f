import Foundation
import OmniModel

/// One key binding: the keys that trigger it, what it does in words, and the action on the studio's state (which
/// receives the key pressed, for bindings whose keys differ only in direction). The lists in `KeyBindings` are the
/// only place a key is bound: `StudioState.handle` dispatches through them, and the help overlay, the status hints
/// and the README's key table are printed from them (docs/ARCHITECTURE.md §9).
public struct KeyBinding: Sendable {
    public let keys: [Key]
    public let description: String
    /// A word or two for the status line's hints (nil: not hinted).
    public let hint: String?
    let action: @Sendable (inout StudioState, Key) -> [Effect]

    init(_ keys: [Key], _ description: String, hint: String? = nil, _ action: @escaping @Sendable (inout StudioState, Key) -> [Effect]) {
        self.keys = keys; self.description = description; self.hint = hint; self.action = action
    }

    /// The keys as the help shows them.
    public var label: String { keys.map(\.displayName).joined(separator: " ") }
}

extension Key {
    /// How the help and the README name the key.
    public var displayName: String {
        switch self {
        case .char(" "): return "Space"
        case .char(let c): return String(c)
        case .enter: return "Enter"
        case .tab: return "Tab"
        case .backTab: return "S-Tab"
        case .escape: return "Esc"
        case .backspace: return "Bksp"
        case .delete: return "Del"
        case .up: return "↑"
        case .down: return "↓"
        case .left: return "←"
        case .right: return "→"
        case .home: return "Home"
        case .end: return "End"
        case .pageUp: return "PgUp"
        case .pageDown: return "PgDn"
        case .f1: return "F1"
        case .ctrl(let c): return "Ctrl-" + String(c).uppercased()
        case .mouse: return "mouse"
        }
    }

    /// -1 for the "backwards" key of a direction pair (↑ k ← h - PgUp Home), else +1.
    var direction: Int { [.up, .char("k"), .left, .char("h"), .char("-"), .pageUp, .home].contains(self) ? -1 : 1 }
}

/// The studio's key bindings: the global ones (tried first) and each pane's.
public enum KeyBindings {
    static func done(_ f: @escaping @Sendable (inout StudioState, Key) -> Void) -> @Sendable (inout StudioState, Key) -> [Effect] {
        { s, k in f(&s, k); return [] }
    }

    public static let global: [KeyBinding] = [
        KeyBinding([.char("g"), .char("r")], "generate / re-run with the current settings", hint: "run") { s, _ in s.startRun() },
        KeyBinding([.tab, .backTab], "move focus to the next / previous pane", hint: "focus", done { s, k in
            s.focus = Pane(rawValue: k == .tab ? s.focus.rawValue % 6 + 1 : (s.focus.rawValue + 4) % 6 + 1)!
        }),
        KeyBinding((1...6).map { .char(Character(String($0))) }, "focus Files, Switchboard, Prompt, Preview, Progress, History", done { s, k in
            if case .char(let c) = k, let n = Int(String(c)) { s.focus = Pane(rawValue: n)! }
        }),
        KeyBinding([.char("x")], "cancel the running generation", hint: "cancel") { s, _ in
            if s.run.running { s.say("cancelling…"); return [.cancel] }
            s.say("nothing is running"); return []
        },
        KeyBinding([.char("?"), .f1], "this help", hint: "help", done { s, _ in s.overlay = .help }),
        KeyBinding([.char("p")], "presets (Presets/*.toml, ~/.config/omnistudio/presets)", hint: "presets", done { s, _ in s.overlay = .presets }),
        KeyBinding([.char("q")], "quit (asks while a generation runs)", hint: "quit") { s, _ in
            if s.run.running { s.overlay = .confirmQuit; return [] }
            return [.quit]
        },
        KeyBinding([.ctrl("c")], "cancel the running generation; quit when idle") { s, _ in
            if s.run.running { s.say("cancelling…"); return [.cancel] }
            return [.quit]
        },
        KeyBinding([.char("e")], "edit the prompt in $EDITOR") { _, _ in [.editPromptExternally] },
        KeyBinding([.char("u")], "undo the last preset, recipe or History load", done { s, _ in s.undoLoad() }),
        KeyBinding([.char("t")], "next theme (Themes/*.theme, ~/.config/omnistudio/themes)") { s, _ in
            guard !s.themes.isEmpty else { return [] }
            s.theme = Switchboard.cycle(s.themes, s.theme, 1)
            s.say("theme: \(s.theme)")
            return [.themeChanged(s.theme)]
        },
        KeyBinding([.char("o")], "show the output path (History's selected run when History has the focus)", done { s, _ in
            // The run in view: History's selection when History has the focus, else this session's last output,
            // else (after a restart) the newest run on disk.
            let folder = s.focus == .history ? s.history.current?.folder : (s.run.lastOutput ?? s.history.current?.folder)
            if let folder { s.say("output: \(HistoryEntry.video(in: folder)?.path ?? folder.path)") } else { s.say("no finished run yet") }
        }),
        KeyBinding([.ctrl("l")], "redraw the screen") { _, _ in [.redraw] },
    ]

    /// What the mouse does (not a key, so not dispatched here; listed with the keys).
    public static let mouse = ("mouse", "click focuses a pane, picks a row or toggles a condition; the wheel scrolls")

    public static func pane(_ pane: Pane) -> [KeyBinding] {
        switch pane {
        case .picker: return picker
        case .switchboard: return switchboard
        case .prompt: return prompt
        case .preview: return preview
        case .progress: return progress
        case .history: return history
        }
    }

    static let picker: [KeyBinding] = [
        KeyBinding([.up, .down, .char("k"), .char("j")], "move", done { s, k in s.picker.move(k.direction) }),
        KeyBinding([.pageUp, .pageDown], "move a page", done { s, k in s.picker.move(10 * k.direction) }),
        KeyBinding([.home, .end], "first / last entry", done { s, k in s.picker.move(k.direction * s.picker.entries.count) }),
        KeyBinding([.enter, .right, .char("l"), .char(" ")], "open the folder / use the file (image → reference, audio, pose, recipe)",
                   done { s, _ in s.useHighlightedFile() }),
        KeyBinding([.left, .backspace, .char("h")], "parent folder", done { s, _ in s.picker.open(s.picker.directory.deletingLastPathComponent()) }),
        KeyBinding([.char("/")], "filter the list, or type a path (/…, ~/…, ./…) and Enter goes there (Esc clears)", done { s, _ in s.beginEditing(.filter) }),
        KeyBinding([.escape], "clear the filter", done { s, _ in s.picker.filter = ""; s.picker.reload() }),
        KeyBinding([.char(".")], "show / hide hidden files", done { s, _ in
            s.picker.showHidden.toggle(); s.picker.reload(); s.say(s.picker.showHidden ? "showing hidden files" : "hiding hidden files")
        }),
        KeyBinding([.char("~")], "home folder", done { s, _ in s.picker.open(URL(fileURLWithPath: NSHomeDirectory())) }),
    ]

    static let switchboard: [KeyBinding] = [
        KeyBinding([.up, .down, .char("k"), .char("j")], "choose a setting", done { s, k in
            s.switchRow = max(0, min(SwitchRow.allCases.count - 1, s.switchRow + k.direction))
        }),
        KeyBinding([.home, .end], "first / last setting", done { s, k in s.switchRow = k == .home ? 0 : SwitchRow.allCases.count - 1 }),
        KeyBinding([.char(" ")], "toggle a condition / next value", done { s, _ in
            if s.currentRow.isToggle { Switchboard.toggle(s.currentRow, &s.request) } else { s.nudge(1) }
        }),
        KeyBinding([.left, .right, .char("-"), .char("+"), .char("h"), .char("l")], "nudge the value (clamped)", done { s, k in
            if !s.currentRow.isToggle { s.nudge(k.direction) }
        }),
        KeyBinding([.enter, .char("=")], "type a value or path (the prompt for Text)", done { s, _ in
            if s.currentRow == .text { s.beginEditing(.prompt) }
            else if s.currentRow.isTypable { s.beginEditing(.value(s.currentRow)) }
            else { s.nudge(1) }
        }),
        KeyBinding([.char("n")], "new random seed", done { s, _ in s.request.seed = UInt64.random(in: 0...999_999); s.say("new seed \(s.request.seed)") }),
        KeyBinding([.char("d")], "diff against the run selected in History", done { s, _ in s.overlay = .diff }),
    ]

    static let prompt: [KeyBinding] = [
        KeyBinding([.enter, .char("i")], "edit the prompt inline (Enter or Esc keeps the text)", done { s, _ in s.beginEditing(.prompt) }),
    ]

    static let preview: [KeyBinding] = [
        KeyBinding([.char(" "), .enter], "pause / play the video (audio is not played in the terminal)", done { s, _ in
            // Enter plays and pauses like Space (it used to start a run, which surprised people watching a video).
            guard s.preview.frames.count > 1 else { s.say("no video in the preview — g generates one, History plays past runs"); return }
            s.preview.paused.toggle(); s.say(s.preview.paused ? "paused" : "playing")
        }),
        KeyBinding([.left, .right], "step one frame (pauses)", done { s, k in s.stepFrame(k.direction) }),
    ]

    static let progress: [KeyBinding] = [
        KeyBinding([.enter], "generate") { s, _ in s.startRun() },
    ]

    static let history: [KeyBinding] = [
        KeyBinding([.up, .down, .char("k"), .char("j")], "choose a run (its video plays in the Preview)", done { s, k in s.history.move(k.direction) }),
        KeyBinding([.pageUp, .pageDown], "move a page", done { s, k in s.history.move(10 * k.direction) }),
        KeyBinding([.enter, .char("l")], "load its recipe into the switchboard", done { s, _ in
            guard let e = s.history.current else { return }
            if let r = e.request { s.replaceRequest(with: r, saying: "loaded \(e.id) into the switchboard") } else { s.say(e.error ?? "unreadable recipe", error: true) }
        }),
        KeyBinding([.char("d")], "diff it against the switchboard", done { s, _ in s.overlay = .diff }),
    ]

    /// The binding `key` triggers with `pane` focused: a global one first, then the pane's.
    public static func binding(for key: Key, in pane: Pane) -> KeyBinding? {
        global.first { $0.keys.contains(key) } ?? self.pane(pane).first { $0.keys.contains(key) }
    }

    /// The README's key table.
    public static func markdownTable() -> String {
        var lines = ["| Where | Keys | What they do |", "|---|---|---|"]
        func row(_ place: String, _ b: KeyBinding) { lines.append("| \(place) | \(escaped(b.label)) | \(escaped(b.description)) |") }
        for b in global { row("everywhere", b) }
        lines.append("| everywhere | \(mouse.0) | \(mouse.1) |")
        for p in Pane.allCases {
            for b in pane(p) { row(String(p.title.drop(while: { !$0.isLetter })), b) }
        }
        return lines.joined(separator: "\n")
    }

    static func escaped(_ text: String) -> String { text.replacingOccurrences(of: "|", with: "\\|") }

    /// The status line's key hints, in the global list's order: while a run goes, how to cancel, get help and quit;
    /// otherwise every hinted global binding but cancel.
    public static func hints(running: Bool) -> String {
        global.compactMap { b -> String? in
            guard let hint = b.hint, running ? ["cancel", "help", "quit"].contains(hint) : hint != "cancel" else { return nil }
            return "\(b.keys[0].displayName) \(hint)"
        }.joined(separator: " · ")
    }
}
