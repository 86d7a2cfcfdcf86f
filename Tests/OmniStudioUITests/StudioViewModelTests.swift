import Foundation
import OmniMedia
import OmniModel
@testable import OmniStudioUI
import XCTest

final class StudioViewModelTests: XCTestCase {
    static let repo = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    static let snapshots = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Snapshots")

    /// A fixed folder, so the picker's title is the same in every run.
    func fixture() throws -> URL { try Self.fixture() }

    static func fixture() throws -> URL {
        let d = URL(fileURLWithPath: "/tmp/omnistudio-ui-fixture")
        try? FileManager.default.removeItem(at: d)
        try FileManager.default.createDirectory(at: d.appendingPathComponent("clips"), withIntermediateDirectories: true)
        for f in ["ref.png", "speech.wav", "dance.json", "notes.txt", ".hidden.png", "recipe.toml"] {
            _ = FileManager.default.createFile(atPath: d.appendingPathComponent(f).path, contents: Data())
        }
        return d
    }

    func state(width: Int = 120, height: Int = 40, outputs: URL? = nil) throws -> StudioState {
        try Self.state(width: width, height: height, outputs: outputs)
    }

    /// The studio's state on the fixture folder, with the repository's presets.
    static func state(width: Int = 120, height: Int = 40, outputs: URL? = nil) throws -> StudioState {
        let d = try fixture()
        var r = GenerationRequest(model: "random:tiny").resolved(for: .tiny)
        r.duration = 2
        var h = HistoryState(root: outputs ?? d.appendingPathComponent("outputs"))
        h.reload()
        var s = StudioState(width: width, height: height, request: r, config: .tiny, models: ["random:tiny", "random:mini"],
                            picker: PickerState(directory: d), history: h,
                            presets: PresetCatalog(directories: [Self.repo.appendingPathComponent("Presets")]),
                            themes: ["default", "light"], theme: "default")
        s.status = "ready"
        return s
    }

    func checkSnapshot(_ name: String, _ text: String, file: StaticString = #filePath, line: UInt = #line) throws {
        let url = Self.snapshots.appendingPathComponent(name + ".txt")
        let recording = ProcessInfo.processInfo.environment["RECORD_SNAPSHOTS"] != nil
        if recording || !FileManager.default.fileExists(atPath: url.path) {
            try FileManager.default.createDirectory(at: Self.snapshots, withIntermediateDirectories: true)
            try text.write(to: url, atomically: true, encoding: .utf8)
            // A missing snapshot is a failure (written now for review), so a lost file cannot pass silently.
            if !recording { XCTFail("snapshot \(name) was missing; recorded it — review and commit it", file: file, line: line) }
            return
        }
        let expected = try String(contentsOf: url, encoding: .utf8)
        XCTAssertEqual(text, expected, "snapshot \(name) differs (RECORD_SNAPSHOTS=1 re-records)", file: file, line: line)
    }

    func testLayoutSnapshots() throws {
        for (w, h) in [(80, 24), (120, 40), (200, 60), (50, 15)] {
            let s = try state(width: w, height: h)
            let grid = StudioRenderer.render(s)
            XCTAssertEqual(grid.plainText.split(separator: "\n", omittingEmptySubsequences: false).count, h)
            try checkSnapshot("studio-\(w)x\(h)", grid.plainText)
        }
        let small = StudioRenderer.render(try state(width: 50, height: 15)).plainText
        XCTAssertTrue(small.contains("need 60×18, have 50×15"))
    }

    func testLayoutPanesDoNotOverlapAndFit() {
        for (w, h) in [(60, 18), (80, 24), (119, 30), (120, 40), (200, 60)] {
            let l = Layout(width: w, height: h)
            XCTAssertFalse(l.tooSmall)
            let rects = Pane.allCases.map { l.panes[$0]! }
            for (i, a) in rects.enumerated() {
                XCTAssertTrue(a.x >= 0 && a.y >= 1 && a.x + a.width <= w && a.y + a.height <= h - 1, "\(a) at \(w)×\(h)")
                XCTAssertGreaterThanOrEqual(a.height, 3)
                for b in rects[(i + 1)...] {
                    let overlap = a.x < b.x + b.width && b.x < a.x + a.width && a.y < b.y + b.height && b.y < a.y + a.height
                    XCTAssertFalse(overlap, "\(a) overlaps \(b) at \(w)×\(h)")
                }
            }
        }
        XCTAssertTrue(Layout(width: 59, height: 40).tooSmall)
        XCTAssertTrue(Layout(width: 120, height: 17).tooSmall)
    }

    func testFocusCycling() throws {
        var s = try state()
        XCTAssertEqual(s.focus, .switchboard)
        var seen: [Pane] = []
        for _ in 0..<6 { _ = s.handle(.tab); seen.append(s.focus) }
        XCTAssertEqual(seen, [.prompt, .preview, .progress, .history, .picker, .switchboard])
        _ = s.handle(.backTab); XCTAssertEqual(s.focus, .picker)
        _ = s.handle(.backTab); XCTAssertEqual(s.focus, .history)
        for p in Pane.allCases { _ = s.handle(.char(Character(String(p.rawValue)))); XCTAssertEqual(s.focus, p) }
    }

    func testHelpOverlayListsFocusedPaneFirstAndEveryKey() throws {
        var s = try state()
        for pane in Pane.allCases {
            _ = s.handle(.char(Character(String(pane.rawValue))))
            _ = s.handle(.char("?"))
            XCTAssertEqual(s.overlay, .help)
            let text = StudioRenderer.render(s).plainText
            XCTAssertTrue(text.contains("Help — \(pane.title) first"))
            let paneKeys = KeyBindings.pane(pane).map { ($0.label, $0.description) }
            XCTAssertEqual(s.helpLines.first?.0, paneKeys.first?.0)
            for (k, d) in paneKeys + KeyBindings.global.map({ ($0.label, $0.description) }) + [KeyBindings.mouse] {
                XCTAssertTrue(text.contains(d.prefix(30)), "help for \(pane) lacks '\(k)': \(d)")
                XCTAssertTrue(text.contains(k), "help for \(pane) lacks the keys '\(k)'")
            }
            _ = s.handle(.escape)
            XCTAssertNil(s.overlay)
        }
        _ = s.handle(.f1); XCTAssertEqual(s.overlay, .help)
    }

    func testSwitchboardTogglesNudgesAndClamps() throws {
        var s = try state()
        _ = s.handle(.char("2"))
        _ = s.handle(.char(" "))
        XCTAssertTrue(s.request.reference.enabled)
        _ = s.handle(.down); _ = s.handle(.down)   // Audio CFG
        XCTAssertEqual(s.currentRow, .audioCFG)
        for _ in 0..<100 { _ = s.handle(.right) }
        XCTAssertEqual(s.request.audio.guidance, 30)
        for _ in 0..<100 { _ = s.handle(.char("-")) }
        XCTAssertEqual(s.request.audio.guidance, 0)
        _ = s.handle(.char("+"))
        XCTAssertEqual(s.request.audio.guidance, 0.5)
        // Typed value.
        _ = s.handle(.enter)
        XCTAssertEqual(s.editing, .value(.audioCFG))
        for _ in 0..<5 { _ = s.handle(.backspace) }
        for c in "2.5" { _ = s.handle(.char(c)) }
        _ = s.handle(.enter)
        XCTAssertNil(s.editing)
        XCTAssertEqual(s.request.audio.guidance, 2.5)
        _ = s.handle(.enter); _ = s.handle(.backspace); _ = s.handle(.backspace); _ = s.handle(.backspace)
        for c in "abc" { _ = s.handle(.char(c)) }
        _ = s.handle(.enter)
        XCTAssertEqual(s.request.audio.guidance, 2.5)
        XCTAssertTrue(s.statusIsError)
        // Steps clamp at 1; seed never below 0; sampler cycles.
        s.switchRow = SwitchRow.steps.rawValue
        for _ in 0..<10 { _ = s.handle(.left) }
        XCTAssertEqual(s.request.steps, 1)
        s.switchRow = SwitchRow.seed.rawValue
        _ = s.handle(.left)
        XCTAssertEqual(s.request.seed, 0)
        s.switchRow = SwitchRow.sampler.rawValue
        _ = s.handle(.right)
        XCTAssertEqual(s.request.sampler, .heun)
        s.switchRow = SwitchRow.size.rawValue
        _ = s.handle(.right)
        XCTAssertEqual([s.request.width, s.request.height], [24, 32])
        s.switchRow = SwitchRow.duration.rawValue
        for _ in 0..<10 { _ = s.handle(.left) }
        XCTAssertNil(s.request.duration)
    }

    /// The Speed row picks the model's fast sampler where it has one (steps back to auto so it takes effect); a
    /// model without one stays at quality and the status says how to get one.
    func testSpeedRowNeedsAFastSampler() throws {
        var s = try state()
        _ = s.handle(.char("2"))
        s.switchRow = SwitchRow.speed.rawValue
        s.request.steps = 7
        _ = s.handle(.right)
        XCTAssertEqual(s.request.speed, .quality)
        XCTAssertTrue(s.statusIsError && s.status.contains("no fast sampler"), s.status)
        s.config.sampling.fastSteps = 2
        _ = s.handle(.right)
        XCTAssertEqual(s.request.speed, .fast)
        XCTAssertNil(s.request.steps, "steps back to auto, so the speed takes effect")
        XCTAssertEqual(s.status, "speed: fast — 2 steps")
        XCTAssertTrue(StudioRenderer.render(s).plainText.contains("Speed          ◀ fast ▶"))
        _ = s.handle(.char(" "))
        XCTAssertEqual(s.request.speed, .quality)
        XCTAssertEqual(s.status, "speed: quality — \(s.config.sampling.steps) steps")
    }

    func testPromptEditingAndRunValidation() throws {
        var s = try state()
        _ = s.handle(.char("3"))
        _ = s.handle(.enter)
        XCTAssertEqual(s.editing, .prompt)
        for c in "a person waves, q and g" { _ = s.handle(.char(c)) }
        _ = s.handle(.enter)
        XCTAssertEqual(s.request.text.prompt, "a person waves, q and g")
        XCTAssertTrue(s.request.text.enabled)
        // Running with the audio on but no file: an error in the status line, no effect.
        s.request.audio.enabled = true
        XCTAssertEqual(s.handle(.char("g")), [])
        XCTAssertTrue(s.statusIsError)
        XCTAssertTrue(s.status.contains("audio.path"))
        s.request.audio.enabled = false
        s.request.reference = .init(enabled: true, path: "/nonexistent/ref.png")
        XCTAssertEqual(s.handle(.char("g")), [])
        XCTAssertTrue(s.status.contains("/nonexistent/ref.png: no such file"))
        s.request.reference.enabled = false
        XCTAssertEqual(s.handle(.char("g")), [.start(s.request)])
        // q while running asks; x cancels.
        s.run.running = true
        XCTAssertEqual(s.handle(.char("q")), [])
        XCTAssertEqual(s.overlay, .confirmQuit)
        XCTAssertTrue(StudioRenderer.render(s).plainText.contains("A generation is running."))
        XCTAssertEqual(s.handle(.char("n")), [])
        XCTAssertEqual(s.handle(.char("x")), [.cancel])
        XCTAssertEqual(s.handle(.ctrl("c")), [.cancel])
        _ = s.handle(.char("q"))
        XCTAssertEqual(s.handle(.char("y")), [.cancel, .quit])
        s.run.running = false
        XCTAssertEqual(s.handle(.char("q")), [.quit])
    }

    func testPicker() throws {
        var s = try state()
        _ = s.handle(.char("1"))
        XCTAssertEqual(s.picker.entries.map(\.name), ["..", "clips", "dance.json", "recipe.toml", "ref.png", "speech.wav"])
        _ = s.handle(.char("."))
        XCTAssertTrue(s.picker.entries.contains { $0.name == ".hidden.png" })
        _ = s.handle(.char("."))
        _ = s.handle(.char("/"))
        for c in "spe" { _ = s.handle(.char(c)) }
        XCTAssertEqual(s.picker.entries.map(\.name), ["..", "speech.wav"])
        _ = s.handle(.enter)
        _ = s.handle(.down)
        _ = s.handle(.enter)
        XCTAssertTrue(s.request.audio.enabled)
        XCTAssertEqual(s.request.audio.path, "/tmp/omnistudio-ui-fixture/speech.wav")
        _ = s.handle(.escape)
        XCTAssertEqual(s.picker.entries.count, 6)
        s.picker.selected = s.picker.entries.firstIndex { $0.name == "ref.png" }!
        XCTAssertEqual(s.picker.highlightedImage, "/tmp/omnistudio-ui-fixture/ref.png")
        _ = s.handle(.enter)
        XCTAssertEqual(s.request.reference, .init(enabled: true, path: "/tmp/omnistudio-ui-fixture/ref.png"))
        s.picker.selected = 1
        _ = s.handle(.enter)
        XCTAssertEqual(s.picker.directory.lastPathComponent, "clips")
        _ = s.handle(.backspace)
        XCTAssertEqual(s.picker.directory.lastPathComponent, "omnistudio-ui-fixture")
        XCTAssertEqual(s.picker.current?.name, "clips")
        _ = s.handle(.char("~"))
        XCTAssertEqual(s.picker.directory.path, URL(fileURLWithPath: NSHomeDirectory()).standardizedFileURL.path)

        // A path typed into the filter goes there: a folder opens, a file is used, a missing one is an error.
        _ = s.handle(.char("/"))
        for c in "/tmp/omnistudio-ui-fixture/clips" { _ = s.handle(.char(c)) }
        _ = s.handle(.enter)
        XCTAssertEqual(s.picker.directory.path, "/tmp/omnistudio-ui-fixture/clips")
        XCTAssertEqual(s.picker.filter, "")
        s.request.audio.enabled = false
        _ = s.handle(.char("/"))
        for c in "../speech.wav" { _ = s.handle(.char(c)) }
        _ = s.handle(.enter)
        XCTAssertEqual(s.picker.directory.path, "/tmp/omnistudio-ui-fixture")
        XCTAssertEqual(s.picker.current?.name, "speech.wav")
        XCTAssertTrue(s.request.audio.enabled)
        XCTAssertEqual(s.request.audio.path, "/tmp/omnistudio-ui-fixture/speech.wav")
        _ = s.handle(.char("/"))
        for c in "./nope.png" { _ = s.handle(.char(c)) }
        _ = s.handle(.enter)
        XCTAssertTrue(s.statusIsError)
        XCTAssertEqual(s.status, "/tmp/omnistudio-ui-fixture/nope.png: no such file or folder")
        _ = s.handle(.char("/"))
        for c in "./notes.txt" { _ = s.handle(.char(c)) }
        _ = s.handle(.enter)
        XCTAssertTrue(s.status.hasSuffix("notes.txt: not a file the studio uses (image, audio, pose or recipe)"), s.status)
        // Text that is not a path still filters.
        _ = s.handle(.char("/"))
        for c in "ref" { _ = s.handle(.char(c)) }
        _ = s.handle(.enter)
        XCTAssertEqual(s.picker.entries.map(\.name), ["..", "ref.png"])
    }

    func testRecipeRoundTripAndHistoryDiff() throws {
        let outputs = URL(fileURLWithPath: NSTemporaryDirectory()).appendingPathComponent("omnistudio-ui-history-\(getpid())")
        defer { try? FileManager.default.removeItem(at: outputs) }
        var r = GenerationRequest(model: "random:tiny", seed: 42, steps: 8, shift: 2.5, sampler: .heun, fps: 25, width: 32, height: 32,
                                  duration: 1.5, fit: .letterbox)
        r.audio = .init(enabled: true, path: "a b/\"q\".wav", guidance: 2.5, guidanceEnd: 1.0, annealing: .cosine)
        r.text = .init(enabled: true, prompt: "waves\nand smiles", guidance: 4)
        let text = r.tomlText()
        XCTAssertEqual(try GenerationRequest(recipe: TOMLDocument(parsing: text, path: "x"), path: "x"), r)
        for id in ["20250101-000000-s42", "20250102-000000-s7"] {
            try FileManager.default.createDirectory(at: outputs.appendingPathComponent(id), withIntermediateDirectories: true)
            var q = r; q.seed = id.hasSuffix("s7") ? 7 : 42
            try q.tomlText().write(to: outputs.appendingPathComponent(id).appendingPathComponent("recipe.toml"), atomically: true, encoding: .utf8)
        }
        try FileManager.default.createDirectory(at: outputs.appendingPathComponent(".20250103-000000-s1.partial"), withIntermediateDirectories: true)
        var s = try state(outputs: outputs)
        XCTAssertEqual(s.history.entries.map(\.id), ["20250102-000000-s7", "20250101-000000-s42"])
        _ = s.handle(.char("6"))
        _ = s.handle(.down)
        _ = s.handle(.enter)
        XCTAssertEqual(s.request, r)
        s.request.seed = 9
        s.request.audio.guidance = 3
        _ = s.handle(.char("d"))
        XCTAssertEqual(s.overlay, .diff)
        XCTAssertEqual(s.diffLines, [.init(key: "seed", old: "42", new: "9"), .init(key: "audio.guidance", old: "2.5", new: "3.0")])
        XCTAssertTrue(StudioRenderer.render(s).plainText.contains("seed              42 → 9"))
        XCTAssertTrue(s.history.entries[0].summary.hasPrefix("aud+txt"), s.history.entries[0].summary)
        XCTAssertTrue(s.history.entries[0].summary.hasSuffix("8st a2.5 t4.0 s7"), s.history.entries[0].summary)
    }

    func testPresets() throws {
        let catalog = PresetCatalog(directories: [Self.repo.appendingPathComponent("Presets")])
        XCTAssertEqual(catalog.errors, [])
        XCTAssertEqual(catalog.presets.map(\.name), ["1-talking-head", "2-co-speech-gestures", "3-dance-to-pose",
                                                     "4-music-choreography", "5-text-only", "6-pose-transfer"])
        var base = GenerationRequest(model: "random:tiny", seed: 5)
        base.audio.path = "speech.wav"
        let talking = try catalog.presets[0].applied(to: base)
        XCTAssertTrue(talking.audio.enabled && talking.reference.enabled && !talking.pose.enabled)
        XCTAssertEqual(talking.audio.path, "speech.wav")
        XCTAssertEqual(talking.seed, 5)
        XCTAssertEqual(talking.model, "random:tiny")

        let dir = URL(fileURLWithPath: NSTemporaryDirectory()).appendingPathComponent("omnistudio-presets-\(getpid())")
        defer { try? FileManager.default.removeItem(at: dir) }
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        try "steps = 10\n[audio]\nenabled = true\nvolume = 3\n".write(to: dir.appendingPathComponent("bad.toml"), atomically: true, encoding: .utf8)
        try "steps = 12\n".write(to: dir.appendingPathComponent("1-talking-head.toml"), atomically: true, encoding: .utf8)
        // A preset describes itself in its leading comment (blank lines before it are skipped, the comment ends at the
        // first blank line or key; CRLF reads like LF).
        try "\r\n# Slow and careful:\r\n##   more steps.\r\n\r\n# not this\r\nsteps = 40\r\n".write(to: dir.appendingPathComponent("slow.toml"), atomically: true, encoding: .utf8)
        let user = PresetCatalog(directories: [Self.repo.appendingPathComponent("Presets"), dir])
        XCTAssertEqual(user.presets.first { $0.name == "slow" }?.description, "Slow and careful: more steps.")
        XCTAssertEqual(user.presets.first { $0.name == "1-talking-head" }?.description, "", "no comment, no description")
        XCTAssertEqual(catalog.presets[0].description, "Talking head: the reference speaks along with an audio track; audio guidance anneals from 2.5 to 1.5.")
        XCTAssertEqual(user.errors.count, 1)
        XCTAssertTrue(user.errors[0].hasPrefix(dir.appendingPathComponent("bad.toml").path + ":4: unknown key 'volume' in [audio]"), user.errors[0])
        XCTAssertEqual(user.presets.first { $0.name == "1-talking-head" }?.document.entries.count, 1, "the user preset wins")
        // Applying a preset through the overlay.
        var s = try state()
        _ = s.handle(.char("p"))
        XCTAssertEqual(s.overlay, .presets)
        _ = s.handle(.down); _ = s.handle(.down); _ = s.handle(.down); _ = s.handle(.down)
        _ = s.handle(.enter)
        XCTAssertEqual(s.request.text.prompt, "a person waves and smiles")
        XCTAssertEqual(s.request.duration, 3)
    }

    func testPresetsShowWhatTheyDoAskBeforeReplacingATypedPromptAndUndo() throws {
        var s = try state()
        let before = s.request
        // Esc in the prompt editor keeps what was typed (the help says so).
        _ = s.handle(.char("3")); _ = s.handle(.enter)
        for c in "a cat dances" { _ = s.handle(.char(c)) }
        _ = s.handle(.escape)
        XCTAssertNil(s.editing)
        XCTAssertEqual(s.request.text.prompt, "a cat dances")
        XCTAssertTrue(s.request.text.enabled)
        XCTAssertTrue(KeyBindings.pane(.prompt)[0].description.contains("Esc keeps the text"))
        let typed = s.request

        // The overlay lists each preset with its file's description and what the highlighted one would change.
        _ = s.handle(.char("p"))
        for _ in 0..<4 { _ = s.handle(.down) }
        var text = StudioRenderer.render(s).plainText
        XCTAssertTrue(text.contains("5-text-only           Text only: the prompt alone drives the motion"))
        XCTAssertTrue(text.contains("text.prompt"), text)
        XCTAssertTrue(text.contains("a person waves and smiles"), text)

        // Enter asks before replacing the typed prompt; n applies the rest and keeps the prompt.
        _ = s.handle(.enter)
        XCTAssertEqual(s.overlay, .presetPrompt(4))
        text = StudioRenderer.render(s).plainText
        XCTAssertTrue(text.contains("Replace your prompt?") && text.contains("a cat dances"), text)
        _ = s.handle(.char("n"))
        XCTAssertNil(s.overlay)
        XCTAssertEqual(s.request.text.prompt, "a cat dances")
        XCTAssertEqual(s.request.duration, 3, "the preset's other keys are applied")
        XCTAssertTrue(s.status.contains("your prompt kept") && s.status.contains("u undoes"), s.status)

        // u brings the switchboard back; y takes the preset's prompt; Esc applies nothing.
        _ = s.handle(.char("u"))
        XCTAssertEqual(s.request, typed)
        _ = s.handle(.char("p")); _ = s.handle(.enter); _ = s.handle(.char("y"))
        XCTAssertEqual(s.request.text.prompt, "a person waves and smiles")
        _ = s.handle(.char("u"))
        XCTAssertEqual(s.request, typed)
        _ = s.handle(.char("p")); _ = s.handle(.enter); _ = s.handle(.escape)
        XCTAssertNil(s.overlay)
        XCTAssertEqual(s.request, typed)
        XCTAssertEqual(s.undoStack.count, 0)

        // A preset without a prompt applies at once; an empty prompt is replaced without asking.
        _ = s.handle(.char("p")); _ = s.handle(.up); _ = s.handle(.up); _ = s.handle(.up); _ = s.handle(.up)
        _ = s.handle(.enter)
        XCTAssertNil(s.overlay)
        XCTAssertEqual(s.request.text.prompt, "a cat dances")
        _ = s.handle(.char("u"))
        s.request.text.prompt = ""
        _ = s.handle(.char("p")); for _ in 0..<4 { _ = s.handle(.down) }; _ = s.handle(.enter)
        XCTAssertNil(s.overlay)
        XCTAssertEqual(s.request.text.prompt, "a person waves and smiles")

        // Undo walks back over every load, then says there is nothing left.
        _ = s.handle(.char("u"))
        _ = s.handle(.char("u"))
        XCTAssertEqual(s.status, "nothing to undo")
        XCTAssertEqual(s.request.seed, before.seed)

        // Esc while typing a value drops the value.
        s = try state()
        let fresh = s.request
        _ = s.handle(.char("2"))
        s.switchRow = SwitchRow.steps.rawValue
        _ = s.handle(.enter)
        XCTAssertEqual(s.editing, .value(.steps))
        for _ in 0..<3 { _ = s.handle(.backspace) }
        for c in "13" { _ = s.handle(.char(c)) }
        _ = s.handle(.escape)
        XCTAssertEqual(s.request, fresh)
    }

    func testThemes() throws {
        let catalog = ThemeCatalog(directories: [Self.repo.appendingPathComponent("Themes")])
        XCTAssertTrue(Set(["default", "light", "tty", "monochrome"]).isSubset(of: Set(catalog.names())))
        for name in catalog.names() { XCTAssertNoThrow(try catalog.load(name), name) }
        let tty = try catalog.load("tty")
        XCTAssertEqual(tty.style(.error).foreground, .ansi(9))
        let mono = try catalog.load("monochrome")
        XCTAssertTrue(mono.style(.selection).reverse)
        XCTAssertEqual(mono.style(.text).foreground, .terminalDefault)
        XCTAssertThrowsError(try Theme(parsing: "# c\ntheme[main_bg]=\"#000000\"\ntheme[nope]=\"#ffffff\"\n", name: "x", path: "x.theme")) { e in
            XCTAssertEqual((e as? ThemeError)?.description.hasPrefix("x.theme:3: unknown key 'nope'"), true)
        }
        XCTAssertThrowsError(try Theme(parsing: "theme[main_fg]=\"#12\"\n", name: "x", path: "x.theme")) { e in
            XCTAssertEqual((e as? ThemeError)?.line, 1)
        }
        var s = try state()
        XCTAssertEqual(s.handle(.char("t")), [.themeChanged("light")])
    }

    func testMouse() throws {
        var s = try state()
        let picker = s.layout.panes[.picker]!
        _ = s.handle(.mouse(x: picker.x + 3, y: picker.y + 3, .click))
        XCTAssertEqual(s.focus, .picker)
        XCTAssertEqual(s.picker.selected, 2)
        _ = s.handle(.mouse(x: picker.x + 3, y: picker.y + 3, .wheelDown))
        XCTAssertEqual(s.picker.selected, 3)
        let sw = s.layout.panes[.switchboard]!
        _ = s.handle(.mouse(x: sw.x + StudioRenderer.labelWidth + 2, y: sw.y + 2, .click))
        XCTAssertEqual(s.focus, .switchboard)
        XCTAssertEqual(s.currentRow, .audio)
        XCTAssertTrue(s.request.audio.enabled)
    }

    func testAsciiModeHasNoUnicode() throws {
        var s = try state()
        s.ascii = true
        let text = StudioRenderer.render(s).plainText
        XCTAssertTrue(text.unicodeScalars.allSatisfy { $0.value < 0x7f }, "non-ASCII in --ascii screen")
    }

    /// A theme written with CRLF line endings drew without colours; a name with a stray carriage return gave
    /// "no theme 'fuzz' (have: fuzz)".
    func testThemesWithOtherLineEndingsAndInvisibleCharacters() throws {
        let unix = "# c\ntheme[main_bg]=\"#102030\"\ntheme[hi_fg]=\"red\"\n"
        let expected = try Theme(parsing: unix, name: "x", path: "x.theme")
        XCTAssertEqual(expected.background, .rgb(RGB(0x10, 0x20, 0x30)))
        for ending in ["\r\n", "\r"] {
            XCTAssertEqual(try Theme(parsing: unix.replacingOccurrences(of: "\n", with: ending), name: "x", path: "x.theme"), expected)
        }
        let catalog = ThemeCatalog(directories: [Self.repo.appendingPathComponent("Themes")])
        XCTAssertThrowsError(try catalog.load("light\r")) { e in
            XCTAssertTrue((e as? ThemeError)?.reason.hasPrefix("no theme 'light\\u{d}'") == true, "\(e)")
        }
    }

    /// The status line cut a theme error to 9 characters behind the key hints: an error now takes the whole line.
    func testErrorsTakeTheWholeStatusLine() throws {
        var s = try state(width: 60, height: 20)
        let message = "theme broken.theme:3: unknown key 'nope' (known: main_bg, …)"
        s.say(message, error: true)
        let last = StudioRenderer.render(s).plainText.split(separator: "\n").last.map(String.init) ?? ""
        XCTAssertTrue(last.contains(String(message.prefix(58))), "status line: \(last)")
        s.say("saved", error: false)
        XCTAssertTrue((StudioRenderer.render(s).plainText.split(separator: "\n").last.map(String.init) ?? "").contains("q quit"))
    }

    /// The length follows the drivers, as in the CLI: "auto" shows the audio's (else the pose clip's) length, and
    /// the first nudge starts from it. A 6.1 s voice used to be cut to the 2 s the Duration row held.
    func testDurationFollowsTheDriversUntilTheUserSetsOne() throws {
        var s = try state()
        s.request.duration = nil
        s.request.audio = .init(enabled: true, path: "/v/voice.mp3")
        s.request.pose = .init(enabled: true, path: "/v/pose.json")
        s.inputSeconds = ["/v/voice.mp3": 6.1, "/v/pose.json": 2.44]
        XCTAssertEqual(Switchboard.value(.duration, s.request, lengths: s.inputSeconds), "auto 6.1 s, audio")
        s.switchRow = SwitchRow.duration.rawValue
        XCTAssertTrue(StudioRenderer.render(s).plainText.contains("auto 6.1 s, audio"), StudioRenderer.render(s).plainText)
        s.request.audio.enabled = false
        XCTAssertEqual(Switchboard.value(.duration, s.request, lengths: s.inputSeconds), "auto 2.4 s, pose")
        s.request.pose.enabled = false
        XCTAssertEqual(Switchboard.value(.duration, s.request, lengths: s.inputSeconds), "auto — needs audio, pose or a value")
        s.request.audio.enabled = true
        s.switchRow = SwitchRow.duration.rawValue
        s.focus = .switchboard
        _ = s.handle(.right)
        XCTAssertEqual(try XCTUnwrap(s.request.duration), 6.6, accuracy: 1e-9)
        // Typing an empty value (or "auto") returns to auto.
        _ = s.handle(.enter)
        for _ in 0..<8 { _ = s.handle(.backspace) }
        _ = s.handle(.enter)
        XCTAssertNil(s.request.duration)
        XCTAssertEqual(Switchboard.autoDuration(s.request, lengths: [:])?.seconds, nil, "unprobed files: no number")
    }

    /// The studio opened on the repository's demo: Duration is auto and shows the demo voice's 3.5 s.
    func testTheDemoStartsWithTheLengthOfItsVoice() throws {
        var o = StudioOptions(); o.model = "random:tiny"
        o.outputRoot = FileManager.default.temporaryDirectory.appendingPathComponent("studio-\(UUID().uuidString)").path
        let c = StudioController(options: o, width: 120, height: 40, cwd: Self.repo, environment: [:])
        XCTAssertNil(c.state.request.duration)
        XCTAssertTrue(c.state.request.audio.enabled)
        XCTAssertEqual(Switchboard.value(.duration, c.state.request, lengths: c.state.inputSeconds), "auto 3.5 s, audio")
    }

    /// Past runs can be watched: choosing a run in History plays its video in the Preview, Enter in the Preview
    /// plays and pauses (it used to start a generation), and after a restart `o` finds the run on disk.
    /// Runs through the controller and the real engine (random:tiny): while a run goes the status line says where
    /// it is and how to cancel; the progress pane's step times are labelled; the condition count and the progress
    /// are per run (a second identical run encodes nothing and counts its own steps only).
    func testTheStatusLineAndProgressFollowEachRun() throws {
        let root = FileManager.default.temporaryDirectory.appendingPathComponent("runs-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: root) }
        try FileManager.default.createDirectory(at: root, withIntermediateDirectories: true)
        let reference = root.appendingPathComponent("ref.png").path
        try ImageFile.writePNG(RGBImage(width: 32, height: 32) { x, y in RGB(UInt8(x * 8), UInt8(y * 8), 90) }, to: reference)
        var o = StudioOptions(); o.model = "random:tiny"; o.outputRoot = root.appendingPathComponent("outputs").path
        let c = StudioController(options: o, width: 120, height: 40, cwd: root, environment: [:])
        var r = GenerationRequest(model: "random:tiny", seed: 3, steps: 2, width: 32, height: 32, duration: 0.5).resolved(for: .tiny)
        r.reference = .init(enabled: true, path: reference)
        c.state.request = r

        func run() throws -> [String] {
            var statuses: [String] = []
            _ = c.handle(.char("g"))
            let end = Date().addingTimeInterval(60)
            var now = 0.0
            repeat {
                usleep(2000); now += 0.01
                c.tick(now: now)
                if statuses.last != c.state.status { statuses.append(c.state.status) }
            } while c.state.run.running && Date() < end
            XCTAssertFalse(c.state.run.running, "the run did not finish")
            return statuses
        }
        let first = try run()
        XCTAssertTrue(first.contains { $0.hasPrefix("running: segment 1/") && $0.contains(", step ") && $0.hasSuffix(" — x cancels") }, "\(first)")
        XCTAssertTrue(c.state.status.hasPrefix("done: "), c.state.status)
        var text = StudioRenderer.render(c.state).plainText
        XCTAssertTrue(text.contains("s/step "), text)
        XCTAssertTrue(text.contains("conditions encoded this run: 1 "), "the reference: \(text)")
        let p = c.state.run.progress
        XCTAssertEqual(p.completedSteps, p.totalSteps)

        _ = try run()
        text = StudioRenderer.render(c.state).plainText
        XCTAssertTrue(text.contains("conditions encoded this run: 0 "), "the same reference again comes from the memo: \(text)")
        XCTAssertEqual(c.state.run.progress.completedSteps, p.totalSteps, "the second run counts its own steps only")
        XCTAssertLessThanOrEqual(c.state.run.progress.stepDurations.count, p.totalSteps)
    }

    func testHistoryRunsPlayInThePreview() throws {
        let root = FileManager.default.temporaryDirectory.appendingPathComponent("history-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: root) }
        for (id, frames) in [("20261204-100000-s1", 6), ("20261204-110000-s2", 4)] {
            let folder = root.appendingPathComponent(id)
            try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
            var r = GenerationRequest(model: "random:tiny", seed: 1, duration: 1)
            r.text = .init(enabled: true, prompt: "waves")
            r = r.resolved(for: .tiny)
            try r.tomlDocument().text().write(to: folder.appendingPathComponent("recipe.toml"), atomically: true, encoding: .utf8)
            let writer = try VideoWriter(path: folder.appendingPathComponent("video.mp4").path, width: 16, height: 16, fps: 25)
            for t in 0..<frames { try writer.append(RGBImage(width: 16, height: 16, fill: RGB(UInt8(40 * t), 80, 120))) }
            try writer.finish()
        }
        var o = StudioOptions(); o.model = "random:tiny"; o.outputRoot = root.path
        let c = StudioController(options: o, width: 120, height: 40, cwd: root, environment: [:])
        _ = c.handle(.char("o"))
        XCTAssertTrue(c.state.status.hasSuffix("20261204-110000-s2/video.mp4"), "after a restart o finds the newest run: \(c.state.status)")
        c.state.focus = .history
        c.tick(now: 1)
        XCTAssertEqual(c.state.preview.frames.count, 4, "the newest run plays")
        XCTAssertTrue(c.state.preview.label.contains("20261204-110000-s2"), c.state.preview.label)
        _ = c.handle(.down)
        c.tick(now: 2)
        XCTAssertEqual(c.state.preview.frames.count, 6, "the selection's video replaces it")
        _ = c.handle(.char("o"))
        XCTAssertTrue(c.state.status.hasSuffix("20261204-100000-s1/video.mp4"), c.state.status)
        // Rows show the time, the conditions and the length first: all visible in the 120-column layout.
        XCTAssertEqual(c.state.history.entries.first?.time, "11:00:00")
        XCTAssertTrue(StudioRenderer.render(c.state).plainText.contains("11:00:00 txt 0.2s 4st t3.0 s1"), StudioRenderer.render(c.state).plainText)
        c.state.focus = .preview
        XCTAssertFalse(c.state.preview.paused)
        XCTAssertEqual(c.handle(.enter), [], "Enter in the Preview starts nothing")
        XCTAssertTrue(c.state.preview.paused)
        XCTAssertFalse(c.state.run.running)
    }
}
