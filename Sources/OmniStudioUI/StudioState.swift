import Foundation
import OmniMedia
import OmniModel

/// Everything the studio shows, as a value. `handle(_:)` is the pure key handler; `StudioRenderer` draws it.
public struct StudioState: Sendable {
    public enum Editing: Sendable, Equatable {
        case prompt
        case value(SwitchRow)
        case filter
    }
    public enum Overlay: Sendable, Equatable { case help, diff, confirmQuit, presets }

    /// What the engine is doing, as last polled.
    public struct RunView: Sendable {
        public var running = false
        public var progress = GenerationProgress()
        public var now = 0.0
        public var conditionEncodings = 0
        public var lastOutput: URL?
        public var lastError: String?
    }

    /// The clip or picture in the preview pane.
    public struct PreviewView: Sendable {
        public var label = "no picture"
        public var frames: [RGBImage] = []
        public var fps = 25.0
        public var index = 0
        public var paused = false
        public var playing = false
        /// Bumped whenever the shown picture changes (the chafa cache key).
        public var serial = 0
        public var frame: RGBImage? { frames.indices.contains(index) ? frames[index] : nil }
    }

    public var width: Int
    public var height: Int
    public var focus: Pane = .switchboard
    public var request: GenerationRequest
    /// Seconds of the audio and pose files seen so far, by path (probing files is the shell's job): what
    /// "auto" Duration means for the current request.
    public var inputSeconds: [String: Double] = [:]
    public var config: ModelConfig
    public var models: [String]
    public var switchRow = 0
    public var switchScroll = 0
    public var editing: Editing?
    public var editBuffer = ""
    public var picker: PickerState
    public var history: HistoryState
    public var presets: PresetCatalog
    public var presetSelected = 0
    public var themes: [String]
    public var theme: String
    public var overlay: Overlay?
    public var run = RunView()
    public var preview = PreviewView()
    public var status = ""
    public var statusIsError = false
    public var ascii = false
    public var previewMode = "symbols"
    public var modelNote = ""

    public init(width: Int, height: Int, request: GenerationRequest, config: ModelConfig, models: [String],
                picker: PickerState, history: HistoryState, presets: PresetCatalog, themes: [String], theme: String) {
        self.width = width; self.height = height; self.request = request; self.config = config; self.models = models
        self.picker = picker; self.history = history; self.presets = presets; self.themes = themes; self.theme = theme
    }

    public var layout: Layout { Layout(width: width, height: height) }

    mutating func say(_ text: String, error: Bool = false) { status = text; statusIsError = error }

    // MARK: keys

    /// Applies one key; returns what the shell must do.
    public mutating func handle(_ key: Key) -> [Effect] {
        if case .mouse(let x, let y, let kind) = key { return mouse(x, y, kind) }
        if let overlay { return handleOverlay(overlay, key) }
        if let editing { handleEditing(editing, key); return [] }
        switch key {
        case .tab: focus = Pane(rawValue: focus.rawValue % 6 + 1)!; return []
        case .backTab: focus = Pane(rawValue: (focus.rawValue + 4) % 6 + 1)!; return []
        case .char(let c) where ("1"..."6").contains(c): focus = Pane(rawValue: Int(String(c))!)!; return []
        case .char("?"), .f1: overlay = .help; return []
        case .char("q"):
            if run.running { overlay = .confirmQuit; return [] }
            return [.quit]
        case .ctrl("c"):
            if run.running { say("cancelling…"); return [.cancel] }
            return [.quit]
        case .char("x"):
            if run.running { say("cancelling…"); return [.cancel] }
            say("nothing is running"); return []
        case .char("g"), .char("r"): return startRun()
        case .char("e"): return [.editPromptExternally]
        case .ctrl("l"): return [.redraw]
        case .char("p"): overlay = .presets; return []
        case .char("t"):
            guard !themes.isEmpty else { return [] }
            theme = Switchboard.cycle(themes, theme, 1)
            say("theme: \(theme)")
            return [.themeChanged(theme)]
        case .char("o"):
            // The run in view: History's selection when History has the focus, else this session's last output,
            // else (after a restart) the newest run on disk.
            let folder = focus == .history ? history.current?.folder : (run.lastOutput ?? history.current?.folder)
            if let folder { say("output: \(HistoryEntry.video(in: folder)?.path ?? folder.path)") } else { say("no finished run yet") }
            return []
        default: break
        }
        switch focus {
        case .picker: return pickerKey(key)
        case .switchboard: return switchboardKey(key)
        case .prompt:
            if key == .enter || key == .char("i") { beginEditing(.prompt) }
            return []
        case .preview: return previewKey(key)
        case .progress: return key == .enter ? startRun() : []
        case .history: return historyKey(key)
        }
    }

    mutating func beginEditing(_ e: Editing) {
        editing = e
        switch e {
        case .prompt: editBuffer = request.text.prompt; focus = .prompt
        case .value(let row): editBuffer = Switchboard.editText(row, request)
        case .filter: editBuffer = picker.filter
        }
    }

    mutating func handleEditing(_ e: Editing, _ key: Key) {
        switch key {
        case .char(let c): editBuffer.append(c); if e == .filter { picker.filter = editBuffer; picker.selected = 0; picker.reload() }
        case .backspace, .delete:
            if !editBuffer.isEmpty { editBuffer.removeLast() }
            if e == .filter { picker.filter = editBuffer; picker.reload() }
        case .escape:
            if e == .filter { picker.filter = ""; picker.reload() }
            editing = nil
        case .enter, .tab:
            editing = nil
            switch e {
            case .prompt:
                request.text.prompt = editBuffer
                request.text.enabled = !editBuffer.trimmingCharacters(in: .whitespaces).isEmpty
                say(request.text.enabled ? "prompt set; text condition on" : "prompt empty; text condition off")
            case .value(let row):
                if let err = Switchboard.set(row, editBuffer, &request) { say(err, error: true) }
                else { say("\(row.label) = \(Switchboard.value(row, request, lengths: inputSeconds))") }
            case .filter: break
            }
        default: break
        }
    }

    mutating func pickerKey(_ key: Key) -> [Effect] {
        switch key {
        case .up, .char("k"): picker.move(-1)
        case .down, .char("j"): picker.move(1)
        case .pageUp: picker.move(-10)
        case .pageDown: picker.move(10)
        case .home: picker.move(-picker.entries.count)
        case .end: picker.move(picker.entries.count)
        case .char("/"): beginEditing(.filter)
        case .char("."): picker.showHidden.toggle(); picker.reload(); say(picker.showHidden ? "showing hidden files" : "hiding hidden files")
        case .char("~"): picker.open(URL(fileURLWithPath: NSHomeDirectory()))
        case .backspace, .left, .char("h"): picker.open(picker.directory.deletingLastPathComponent())
        case .enter, .right, .char("l"), .char(" "):
            guard let e = picker.current else { break }
            let path = picker.path(of: e)
            switch e.kind {
            case .parent, .directory: picker.open(URL(fileURLWithPath: path))
            case .image: request.reference = .init(enabled: true, path: path); say("reference: \(path)")
            case .audio: request.audio.path = path; request.audio.enabled = true; say("audio: \(path)")
            case .pose: request.pose = .init(enabled: true, path: path); say("pose: \(path)")
            case .recipe:
                do throws(ModelError) {
                    request = try GenerationRequest(recipeAt: path)
                    say("recipe loaded: \(path)")
                } catch { say(error.description, error: true) }
            }
        case .escape: picker.filter = ""; picker.reload()
        default: break
        }
        return []
    }

    var currentRow: SwitchRow { SwitchRow(rawValue: switchRow) ?? .reference }

    mutating func switchboardKey(_ key: Key) -> [Effect] {
        let row = currentRow
        switch key {
        case .up, .char("k"): switchRow = max(0, switchRow - 1)
        case .down, .char("j"): switchRow = min(SwitchRow.allCases.count - 1, switchRow + 1)
        case .home: switchRow = 0
        case .end: switchRow = SwitchRow.allCases.count - 1
        case .char(" "):
            if row.isToggle { Switchboard.toggle(row, &request) } else { Switchboard.nudge(row, 1, &request, config: config, models: models, lengths: inputSeconds) }
        case .left, .char("-"), .char("h"):
            if !row.isToggle { Switchboard.nudge(row, -1, &request, config: config, models: models, lengths: inputSeconds) }
        case .right, .char("+"), .char("l"):
            if !row.isToggle { Switchboard.nudge(row, 1, &request, config: config, models: models, lengths: inputSeconds) }
        case .char("n"): request.seed = UInt64.random(in: 0...999_999); say("new seed \(request.seed)")
        case .enter, .char("="):
            if row == .text { beginEditing(.prompt) }
            else if row.isTypable { beginEditing(.value(row)) }
            else { Switchboard.nudge(row, 1, &request, config: config, models: models, lengths: inputSeconds) }
        case .char("d"): overlay = .diff
        default: break
        }
        return []
    }

    mutating func previewKey(_ key: Key) -> [Effect] {
        switch key {
        case .char(" "), .enter:
            // Enter plays and pauses like Space (it used to start a run, which surprised people watching a video).
            guard preview.frames.count > 1 else { say("no video in the preview — g generates one, History plays past runs"); break }
            preview.paused.toggle(); say(preview.paused ? "paused" : "playing")
        case .left: stepFrame(-1)
        case .right: stepFrame(1)
        default: break
        }
        return []
    }

    mutating func stepFrame(_ d: Int) {
        guard !preview.frames.isEmpty else { return }
        preview.paused = true
        preview.index = (preview.index + d + preview.frames.count) % preview.frames.count
        preview.serial += 1
    }

    mutating func historyKey(_ key: Key) -> [Effect] {
        switch key {
        case .up, .char("k"): history.move(-1)
        case .down, .char("j"): history.move(1)
        case .pageUp: history.move(-10)
        case .pageDown: history.move(10)
        case .enter, .char("l"):
            guard let e = history.current else { break }
            if let r = e.request { request = r; say("loaded \(e.id) into the switchboard") } else { say(e.error ?? "unreadable recipe", error: true) }
        case .char("d"): overlay = .diff
        default: break
        }
        return []
    }

    mutating func handleOverlay(_ o: Overlay, _ key: Key) -> [Effect] {
        switch o {
        case .confirmQuit:
            if key == .char("y") || key == .char("Y") || key == .char("q") { overlay = nil; return [.cancel, .quit] }
            if key == .char("n") || key == .escape || key == .char("N") { overlay = nil }
            return []
        case .presets:
            switch key {
            case .up, .char("k"): presetSelected = max(0, presetSelected - 1)
            case .down, .char("j"): presetSelected = min(max(0, presets.presets.count - 1), presetSelected + 1)
            case .enter:
                if presets.presets.indices.contains(presetSelected) {
                    let p = presets.presets[presetSelected]
                    do throws(ModelError) { request = try p.applied(to: request); say("preset: \(p.name)") } catch { say(error.description, error: true) }
                }
                overlay = nil
            case .escape, .char("q"), .char("p"): overlay = nil
            default: break
            }
            return []
        case .help, .diff:
            if key == .escape || key == .char("q") || key == .char("?") || key == .f1 || key == .enter || key == .char("d") { overlay = nil }
            return []
        }
    }

    mutating func mouse(_ x: Int, _ y: Int, _ kind: Key.Mouse) -> [Effect] {
        if overlay != nil { if kind == .click { overlay = nil }; return [] }
        guard let pane = layout.pane(at: x, y), let rect = layout.panes[pane] else { return [] }
        switch kind {
        case .wheelUp, .wheelDown:
            let d = kind == .wheelUp ? -1 : 1
            switch pane {
            case .picker: picker.move(d)
            case .history: history.move(d)
            case .switchboard: switchRow = max(0, min(SwitchRow.allCases.count - 1, switchRow + d))
            default: break
            }
        case .click:
            editing = nil
            focus = pane
            let line = y - rect.y - 1
            guard line >= 0 && line < rect.height - 2 else { return [] }
            switch pane {
            case .picker: picker.selected = min(max(0, picker.entries.count - 1), picker.scroll + line)
            case .history: history.selected = min(max(0, history.entries.count - 1), history.scroll + line)
            case .switchboard:
                let r = switchScroll + line
                if r < SwitchRow.allCases.count {
                    switchRow = r
                    if currentRow.isToggle && x - rect.x - 1 >= StudioRenderer.labelWidth { Switchboard.toggle(currentRow, &request) }
                }
            case .preview: preview.paused.toggle()
            default: break
            }
        }
        return []
    }

    /// Validates and asks the shell to start; errors go to the status line.
    public mutating func startRun() -> [Effect] {
        if run.running { say("a run is already going — x cancels it", error: true); return [] }
        do throws(ModelError) {
            try request.validate()
            for (on, path, what) in [(request.reference.enabled, request.reference.path, "reference"),
                                     (request.audio.enabled, request.audio.path, "audio"),
                                     (request.pose.enabled, request.pose.path, "pose")] where on {
                if !FileManager.default.fileExists(atPath: path) { throw .invalidRequest(setting: "\(what).path", reason: "\(path): no such file") }
            }
        } catch {
            say(error.description, error: true)
            return []
        }
        run.lastError = nil
        say("starting (seed \(request.seed))…")
        return [.start(request)]
    }

    // MARK: help

    public static let globalKeys: [(String, String)] = [
        ("Tab/S-Tab 1-6", "move focus between panes"), ("g  r", "generate / re-run with the current settings"),
        ("x  Ctrl-C", "cancel the running generation"), ("q", "quit (asks while running)"), ("?  F1", "this help"),
        ("e", "edit the prompt in $EDITOR"), ("p", "presets"), ("t", "next theme"), ("o", "show the output path"),
        ("Ctrl-L", "redraw"), ("mouse", "click focuses/toggles, wheel scrolls"),
    ]

    public static func paneKeys(_ pane: Pane) -> [(String, String)] {
        switch pane {
        case .picker: return [("↑/↓ j/k", "move"), ("Enter →", "open folder / use file (image→reference, audio, pose, recipe)"),
                              ("← Bksp", "parent folder"), ("/", "filter (Esc clears)"), (".", "show hidden files"), ("~", "home folder")]
        case .switchboard: return [("↑/↓", "choose a setting"), ("Space", "toggle a condition"), ("←/→ +/-", "nudge (clamped)"),
                                   ("Enter =", "type a value or path"), ("n", "new random seed"), ("d", "diff against the selected run")]
        case .prompt: return [("Enter i", "edit inline (Enter/Esc done)"), ("e", "edit in $EDITOR")]
        case .preview: return [("Space Enter", "pause/play the clip"), ("←/→", "step frames"), ("o", "show the output path"),
                               ("", "audio is not played in the terminal")]
        case .progress: return [("Enter", "generate"), ("x", "cancel")]
        case .history: return [("↑/↓", "choose a run (its video plays in the preview)"), ("Enter", "load its recipe into the switchboard"),
                               ("d", "diff against the switchboard"), ("o", "show its video's path"),
                               ("r", "re-run with the current settings")]
        }
    }

    /// Help lines: the focused pane's keys first, then the global ones.
    public var helpLines: [(String, String)] { StudioState.paneKeys(focus) + [("", "")] + StudioState.globalKeys }

    /// Diff between the selected history run and the switchboard.
    public var diffLines: [RecipeDiff.Line] {
        guard let r = history.current?.request else { return [] }
        return RecipeDiff.lines(from: r, to: request)
    }
}
