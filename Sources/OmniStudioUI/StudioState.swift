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
    /// `presetPrompt(i)`: preset `i` would replace the prompt the user typed — asks first.
    public enum Overlay: Sendable, Equatable { case help, diff, confirmQuit, presets, presetPrompt(Int) }

    /// What the engine is doing, as last polled.
    public struct RunView: Sendable {
        public var running = false
        public var progress = GenerationProgress()
        public var now = 0.0
        public var conditionEncodings = 0
        /// The run's notes about its inputs (an inferred pose canvas, the pose retargeted …), shown under the progress.
        public var notes: [String] = []
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
    /// Switchboards before each preset, recipe or History load, newest last (`u` undoes one; at most `undoDepth`).
    public var undoStack: [GenerationRequest] = []
    public static let undoDepth = 20
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
        // Every other key goes through the bindings (KeyBindings): the help and the README list the same ones.
        guard let binding = KeyBindings.binding(for: key, in: focus) else { return [] }
        return binding.action(&self, key)
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
        case .escape where e != .prompt:
            // A typed value may be invalid, so Esc drops it; a typed prompt is never lost (Esc keeps it, below).
            if e == .filter { picker.filter = ""; picker.reload() }
            editing = nil
        case .enter where e == .filter && PickerState.looksLikePath(editBuffer):
            // A typed path: open the folder or use the file, wherever it is.
            editing = nil
            goTo(path: editBuffer)
        case .enter, .tab, .escape:
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

    /// Enter on the picker: opens a folder, or puts the highlighted file where it belongs.
    mutating func useHighlightedFile() {
        guard let e = picker.current else { return }
        let path = picker.path(of: e)
        switch e.kind {
        case .parent, .directory: picker.open(URL(fileURLWithPath: path))
        case .image: request.reference = .init(enabled: true, path: path); say("reference: \(path)")
        case .audio: request.audio.path = path; request.audio.enabled = true; say("audio: \(path)")
        case .pose: request.pose.enabled = true; request.pose.path = path; say("pose: \(path)")
        case .recipe:
            do throws(ModelError) {
                replaceRequest(with: try GenerationRequest(recipeAt: path), saying: "recipe loaded: \(path)")
            } catch { say(error.description, error: true) }
        }
    }

    /// Opens a typed folder, or opens a file's folder and uses the file (`~` is the home folder; relative paths start
    /// at the picker's folder).
    mutating func goTo(path typed: String) {
        let expanded = (typed as NSString).expandingTildeInPath
        let url = expanded.hasPrefix("/") ? URL(fileURLWithPath: expanded) : picker.directory.appendingPathComponent(expanded)
        picker.filter = ""
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: url.path, isDirectory: &isDirectory) else {
            picker.reload()
            say("\(Clipped(url.standardizedFileURL.path)): no such file or folder", error: true)
            return
        }
        if isDirectory.boolValue { picker.open(url); return }
        picker.open(url.deletingLastPathComponent())
        guard let i = picker.entries.firstIndex(where: { $0.name == url.lastPathComponent }) else {
            say("\(Clipped(url.standardizedFileURL.path)): not a file the studio uses (image, audio, pose or recipe)", error: true)
            return
        }
        picker.selected = i
        useHighlightedFile()
    }

    /// What the status line says while a run goes (each new step replaces it): where the run is and how to stop it.
    mutating func followRun() {
        let p = run.progress
        var where_ = p.phase
        if p.segments > 0 { where_ = "segment \(p.segment)/\(p.segments), step \(p.step)/\(p.steps)" }
        if let eta = p.remaining, !p.finished { where_ += ", about \(GenerationProgress.clock(eta)) left" }
        say("running: \(where_) — x cancels")
    }

    var currentRow: SwitchRow { SwitchRow(rawValue: switchRow) ?? .reference }

    /// Moves the current switchboard row's value by `d` steps (clamped).
    mutating func nudge(_ d: Int) {
        Switchboard.nudge(currentRow, d, &request, config: config, models: models, lengths: inputSeconds)
        if currentRow == .speed {
            if config.sampling.fastSteps != nil {
                let resolved = request.resolved(for: config)
                say("speed: \(resolved.speed!.rawValue) — \(resolved.steps!) steps")
            } else {
                say("this model has no fast sampler: distil one with omnistudio train distill --method shortcut", error: true)
            }
        }
    }

    mutating func stepFrame(_ d: Int) {
        guard !preview.frames.isEmpty else { return }
        preview.paused = true
        preview.index = (preview.index + d + preview.frames.count) % preview.frames.count
        preview.serial += 1
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
                overlay = nil
                guard presets.presets.indices.contains(presetSelected) else { break }
                let p = presets.presets[presetSelected]
                let mine = request.text.prompt
                if let theirs = p.prompt, theirs != mine, !mine.trimmingCharacters(in: .whitespaces).isEmpty {
                    overlay = .presetPrompt(presetSelected)   // never drop a typed prompt without asking
                } else {
                    applyPreset(p, keepingPrompt: false)
                }
            case .escape, .char("q"), .char("p"): overlay = nil
            default: break
            }
            return []
        case .presetPrompt(let i):
            switch key {
            case .char("y"), .char("Y"): overlay = nil; applyPreset(presets.presets[i], keepingPrompt: false)
            case .char("n"), .char("N"): overlay = nil; applyPreset(presets.presets[i], keepingPrompt: true)
            case .escape, .char("q"): overlay = nil; say("preset not applied")
            default: break
            }
            return []
        case .help, .diff:
            if key == .escape || key == .char("q") || key == .char("?") || key == .f1 || key == .enter || key == .char("d") { overlay = nil }
            return []
        }
    }

    /// Applies a preset (keeping the switchboard's prompt when asked to); `u` undoes it.
    mutating func applyPreset(_ preset: Preset, keepingPrompt: Bool) {
        do throws(ModelError) {
            var next = try preset.applied(to: request)
            if keepingPrompt { next.text.prompt = request.text.prompt }
            replaceRequest(with: next, saying: "preset: \(preset.name)" + (keepingPrompt ? ", your prompt kept" : ""))
        } catch { say(error.description, error: true) }
    }

    /// Replaces the whole switchboard (a preset, recipe or History load), remembering the old one for `u`.
    mutating func replaceRequest(with next: GenerationRequest, saying message: String) {
        undoStack.append(request)
        if undoStack.count > Self.undoDepth { undoStack.removeFirst() }
        request = next
        say(message + " — u undoes")
    }

    /// Brings back the switchboard from before the last load.
    mutating func undoLoad() {
        guard let previous = undoStack.popLast() else { say("nothing to undo"); return }
        request = previous
        say("undone: the switchboard is back as it was" + (undoStack.isEmpty ? "" : " (\(undoStack.count) more)"))
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

    /// Help lines: the focused pane's keys first, then the global ones and the mouse (all from `KeyBindings`).
    public var helpLines: [(String, String)] {
        KeyBindings.pane(focus).map { ($0.label, $0.description) } + [("", "")]
            + KeyBindings.global.map { ($0.label, $0.description) } + [KeyBindings.mouse]
    }

    /// Diff between the selected history run and the switchboard.
    public var diffLines: [RecipeDiff.Line] {
        guard let r = history.current?.request else { return [] }
        return RecipeDiff.lines(from: r, to: request)
    }
}
