import Foundation
import OmniMedia
import OmniModel
import OmniTerminal

/// Options from the command line.
public struct StudioOptions: Sendable {
    public var model: String?
    public var theme: String?
    public var preview: PreviewMode?
    public var noColor = false
    public var noMouse = false
    public var ascii = false
    public var path: String?
    public var outputRoot = "outputs"
    public init() {}
}

/// Demo inputs for a first run: `Models/demo/{reference.png, speech.wav, pose.json}` when the puppet world has
/// made them (`make demo`: `omnistudio studio --write-demo Models/demo`); reference and audio start on, pose off.
/// The picker starts in `Models/demo` when it exists.
public enum DemoInputs {
    public static let folder = "Models/demo"
    public static func find(in root: URL) -> (reference: String?, audio: String?, pose: String?) {
        let d = root.appendingPathComponent(folder)
        func f(_ n: String) -> String? { let p = d.appendingPathComponent(n).path; return FileManager.default.fileExists(atPath: p) ? p : nil }
        return (f("reference.png"), f("speech.wav"), f("pose.json"))
    }
}

/// The studio without the terminal: the state, the engine, the picture cache; `tick` polls the engine and
/// advances the player; `frame()` renders the screen. The ncurses shell only feeds keys and draws frames.
public final class StudioController {
    public var state: StudioState
    public let engine: StudioEngine
    public let options: StudioOptions
    public var themeCatalog: ThemeCatalog
    private var renderer: ChafaSymbolRenderer
    private var pictureCache: (serial: Int, cols: Int, rows: Int, grid: CellGrid)?
    private var pickerImagePath: String?
    private var seenRun = 0
    private var seenPreview = 0
    private var seenFinished: URL?
    private var lastFrameTime = 0.0

    public init(options: StudioOptions, width: Int, height: Int, cwd: URL = URL(fileURLWithPath: FileManager.default.currentDirectoryPath),
                environment: [String: String] = ProcessInfo.processInfo.environment, colorDepth: ColorDepth = .truecolor) {
        self.options = options
        let fm = FileManager.default
        var note = ""
        let model: String
        if let m = options.model { model = m }
        else if fm.fileExists(atPath: cwd.appendingPathComponent(GenerationRequest.defaultModel).path) { model = GenerationRequest.defaultModel }
        else { model = "random:tiny"; note = " (no Models/omni-mini: random weights)" }
        var models = ["random:tiny", "random:mini"]
        if fm.fileExists(atPath: cwd.appendingPathComponent(GenerationRequest.defaultModel).path) { models.insert(GenerationRequest.defaultModel, at: 0) }
        if !models.contains(model) { models.insert(model, at: 0) }
        let config = StudioController.config(for: model) ?? .tiny
        var request = GenerationRequest(model: model).resolved(for: config)
        let demo = DemoInputs.find(in: cwd)
        if let r = demo.reference { request.reference = .init(enabled: true, path: r) }
        if let a = demo.audio { request.audio.path = a; request.audio.enabled = true }
        if let p = demo.pose { request.pose.path = p }
        // The length follows the drivers, as in the CLI; only a run driven by text alone needs a Duration.
        request.duration = request.audio.enabled || request.pose.enabled ? nil : 2
        var startDir = fm.fileExists(atPath: cwd.appendingPathComponent(DemoInputs.folder).path) ? cwd.appendingPathComponent(DemoInputs.folder) : cwd
        var status = ""
        var statusError = false
        if let path = options.path {
            let url = URL(fileURLWithPath: path, relativeTo: cwd).standardizedFileURL
            var isDir: ObjCBool = false
            if fm.fileExists(atPath: url.path, isDirectory: &isDir) {
                if isDir.boolValue { startDir = url }
                else if url.pathExtension.lowercased() == "toml" {
                    do throws(ModelError) { request = try GenerationRequest(recipeAt: url.path); status = "recipe \(url.path)" }
                    catch { status = error.description; statusError = true }
                    startDir = url.deletingLastPathComponent()
                } else {
                    request.reference = .init(enabled: true, path: url.path); startDir = url.deletingLastPathComponent()
                    status = "reference \(url.path)"
                }
            } else { status = "\(path): no such file"; statusError = true }
        }
        themeCatalog = ThemeCatalog.standard(repository: cwd, environment: environment)
        var themes = themeCatalog.names()
        if themes.isEmpty { themes = ["default", "monochrome"] }
        var history = HistoryState(root: URL(fileURLWithPath: options.outputRoot, relativeTo: cwd).standardizedFileURL)
        history.reload()
        state = StudioState(width: width, height: height, request: request, config: config, models: models,
                            picker: PickerState(directory: startDir), history: history,
                            presets: PresetCatalog.standard(repository: cwd, environment: environment),
                            themes: themes, theme: options.theme ?? "default")
        state.modelNote = note
        state.ascii = options.ascii
        state.previewMode = options.preview?.rawValue ?? "symbols"
        if status.isEmpty { status = note.isEmpty ? "model \(model) · press ? for help" : "model \(model)\(note) · ? help" }
        state.status = status; state.statusIsError = statusError
        if !state.presets.errors.isEmpty { state.status = "preset error: " + state.presets.errors[0]; state.statusIsError = true }
        engine = StudioEngine(outputRoot: history.root)
        renderer = ChafaSymbolRenderer(colorDepth: colorDepth, symbols: options.ascii ? .ascii : .blocks)
        probeInputLengths()
    }

    /// The History run whose video the preview shows (nil when History does not have the focus).
    private var shownHistoryRun: String?

    /// Paths already probed for their length (a file that cannot be read is not tried again at every key).
    private var probed: Set<String> = []

    /// Reads the length of the enabled audio and pose files not measured yet, so the switchboard can show what
    /// "auto" Duration will be.
    func probeInputLengths() {
        let r = state.request
        for (on, path, isAudio) in [(r.audio.enabled, r.audio.path, true), (r.pose.enabled, r.pose.path, false)]
        where on && !path.isEmpty && !probed.contains(path) {
            probed.insert(path)
            let seconds: Double?
            if isAudio { seconds = try? AudioFile.duration(path) }
            else { seconds = try? PoseTrack.load(path).duration }
            if let seconds, seconds.isFinite, seconds > 0 { state.inputSeconds[path] = seconds }
        }
    }

    static func config(for model: String) -> ModelConfig? {
        if model.hasPrefix("random:") { return ModelConfig.preset(String(model.dropFirst(7))) }
        return try? ModelConfig.load(folder: model)
    }

    public func setColorDepth(_ d: ColorDepth) { renderer.colorDepth = d; pictureCache = nil }

    /// Applies a key; returns effects the shell handles (quit, editor, redraw, theme); starts and cancels runs itself.
    public func handle(_ key: Key) -> [Effect] {
        let effects = state.handle(key)
        probeInputLengths()
        var rest: [Effect] = []
        for e in effects {
            switch e {
            case .start(let r):
                if let c = StudioController.config(for: r.model) { state.config = c }
                if !engine.start(r) { state.say("a run is already going", error: true) } else { state.run.running = true }
            case .cancel: engine.cancel()
            default: rest.append(e)
            }
        }
        return rest
    }

    /// Polls the engine and advances the player; true when something visible changed.
    @discardableResult
    public func tick(now: Double = ProcessInfo.processInfo.systemUptime) -> Bool {
        let snap = engine.snapshot()
        var changed = false
        let before = (state.run.running, state.run.progress)
        state.run.running = snap.running
        state.run.progress = snap.progress
        state.run.conditionEncodings = snap.conditionEncodings
        if state.run.notes != snap.notes { state.run.notes = snap.notes; changed = true }
        if snap.running { state.run.now = now }
        if before.0 != snap.running || before.1 != snap.progress {
            changed = true
            if snap.running { state.followRun() }
        }
        if snap.runSerial != seenRun { seenRun = snap.runSerial; state.preview.playing = false; state.preview.frames = []; state.preview.label = "live" }
        if snap.previewSerial != seenPreview, let p = snap.preview {
            seenPreview = snap.previewSerial
            state.preview.frames = [p]; state.preview.index = 0; state.preview.playing = false
            state.preview.label = "live · step \(snap.progress.step)/\(snap.progress.steps)"
            state.preview.serial += 1
            changed = true
        }
        if !snap.running && before.0 {
            if let e = snap.error { state.run.lastError = e; state.say(e, error: true) }
            else if snap.cancelled { state.say("cancelled — no output kept") }
            changed = true
        }
        if let url = snap.finished, url != seenFinished, !snap.running {
            seenFinished = url
            state.run.lastOutput = url
            state.history.reload()
            loadPlayer(url)
            state.say("done: \(url.appendingPathComponent("video.mp4").path)")
            changed = true
        }
        // History's selected run plays in the preview while History has the focus.
        if !snap.running, state.focus == .history, let entry = state.history.current, entry.id != shownHistoryRun {
            shownHistoryRun = entry.id
            if let video = HistoryEntry.video(in: entry.folder) {
                loadPlayer(entry.folder, video: video)
                state.say("\(entry.id): \(video.path)")
            }
            changed = true
        }
        if state.focus != .history { shownHistoryRun = nil }
        // The picker's highlighted image, when nothing runs or plays.
        if !snap.running && !state.preview.playing {
            let path = state.focus == .picker ? state.picker.highlightedImage : (state.picker.highlightedImage ?? (state.request.reference.enabled ? state.request.reference.path : nil))
            if path != pickerImagePath {
                pickerImagePath = path
                if let path, state.previewMode != "none", let img = try? ImageFile.decode(path) {
                    state.preview.frames = [img]; state.preview.index = 0
                    state.preview.label = (path as NSString).lastPathComponent
                } else if path != nil {
                    state.preview.frames = []; state.preview.label = "cannot decode"
                }
                state.preview.serial += 1
                changed = true
            }
        } else { pickerImagePath = nil }
        // Player.
        if state.preview.playing && !state.preview.paused && state.preview.frames.count > 1 {
            if now - lastFrameTime >= 1 / max(1, state.preview.fps) {
                lastFrameTime = now
                state.preview.index = (state.preview.index + 1) % state.preview.frames.count
                state.preview.serial += 1
                changed = true
            }
        }
        return changed
    }

    func loadPlayer(_ folder: URL, video: URL? = nil) {
        let path = (video ?? folder.appendingPathComponent("video.mp4")).path
        do {
            let reader = try VideoReader(path: path)
            let frames = try reader.readAllFrames()
            state.preview.frames = frames
            state.preview.fps = reader.fps
            state.preview.index = 0; state.preview.paused = false; state.preview.playing = !frames.isEmpty
            state.preview.label = "player · \(folder.lastPathComponent)"
            state.preview.serial += 1
        } catch {
            state.say("\(path): \(error)", error: true)
        }
    }

    /// Whether the preview is drawn by a graphics protocol (sixel, kitty, iTerm2) rather than as symbols.
    public var graphicsProtocol: GraphicsProtocol? { PreviewMode(rawValue: state.previewMode)?.graphicsProtocol }

    /// With a graphics preview: the picture to show and the cells it may cover (the preview pane's inner rectangle
    /// less its info line), or nil when nothing should be shown (no picture, an overlay on top, a too-small screen).
    /// The rendered grid leaves these cells blank; the shell writes the payload over them after ncurses' refresh.
    public func graphicsPicture() -> (image: RGBImage, serial: Int, rect: Rect)? {
        guard graphicsProtocol != nil, state.overlay == nil, !state.layout.tooSmall,
              let inner = state.layout.panes[.preview]?.inner, inner.width > 2, inner.height > 2,
              let img = state.preview.frame else { return nil }
        return (img, state.preview.serial, Rect(x: inner.x, y: inner.y, width: inner.width, height: inner.height - 1))
    }

    /// The screen for the current state, with the preview picture rendered by chafa (cached per picture and size).
    public func frame() -> StudioGrid {
        var picture: CellGrid?
        if state.previewMode != "none", graphicsProtocol == nil, let rect = state.layout.panes[.preview]?.inner, rect.width > 2, rect.height > 2,
           let img = state.preview.frame {
            if let c = pictureCache, c.serial == state.preview.serial, c.cols == rect.width, c.rows == rect.height { picture = c.grid }
            else {
                let g = renderer.render(img, cols: rect.width, rows: rect.height - 1)
                pictureCache = (state.preview.serial, rect.width, rect.height, g)
                picture = g
            }
        }
        return StudioRenderer.render(state, picture: picture)
    }

    public func resize(width: Int, height: Int) { state.width = width; state.height = height }
}
