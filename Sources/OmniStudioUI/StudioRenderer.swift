import Foundation
import OmniModel
import OmniTerminal

/// Draws a `StudioState` into a `StudioGrid` — pure, so tests compare the result as text.
public enum StudioRenderer {
    public static let labelWidth = 15

    /// `picture` is the preview already rendered by chafa to fit the preview pane's inner rectangle (or nil).
    public static func render(_ s: StudioState, picture: CellGrid? = nil) -> StudioGrid {
        var g = StudioGrid(width: s.width, height: s.height)
        let layout = s.layout
        if layout.tooSmall {
            let lines = ["Terminal too small", "need \(Layout.minWidth)×\(Layout.minHeight), have \(s.width)×\(s.height)", "q quits"]
            for (i, l) in lines.enumerated() {
                let y = max(0, s.height / 2 - 1 + i)
                g.put(l, x: max(0, (s.width - l.count) / 2), y: y, role: i == 0 ? .warn : .text, ascii: s.ascii)
            }
            return g
        }
        header(&g, s)
        for pane in Pane.allCases {
            guard let r = layout.panes[pane] else { continue }
            g.box(r, title: title(pane, s), focused: s.focus == pane, ascii: s.ascii)
            switch pane {
            case .picker: picker(&g, s, r.inner)
            case .switchboard: switchboard(&g, s, r.inner)
            case .prompt: prompt(&g, s, r.inner)
            case .preview: preview(&g, s, r.inner, picture)
            case .progress: progress(&g, s, r.inner)
            case .history: history(&g, s, r.inner)
            }
        }
        statusLine(&g, s)
        if let o = s.overlay { overlay(&g, s, o) }
        return g
    }

    static func title(_ pane: Pane, _ s: StudioState) -> String {
        switch pane {
        case .picker: return "\(pane.title) " + abbreviate(s.picker.directory.path, 24)
        case .preview: return "\(pane.title): \(s.preview.label)"
        case .history: return "\(pane.title) (\(s.history.entries.count))"
        default: return pane.title
        }
    }

    static func abbreviate(_ path: String, _ n: Int) -> String {
        let home = NSHomeDirectory()
        var p = path.hasPrefix(home) ? "~" + path.dropFirst(home.count) : path
        if p.count > n { p = "…" + p.suffix(n - 1) }
        return p
    }

    static func header(_ g: inout StudioGrid, _ s: StudioState) {
        g.fill(Rect(x: 0, y: 0, width: s.width, height: 1), role: .header)
        let state = s.run.running ? "● running" : (s.run.lastError != nil ? "✗ failed" : "○ idle")
        g.put(" OmniStudio  model: \(s.request.model)\(s.modelNote)  theme: \(s.theme)", x: 0, y: 0, role: .header, maxWidth: s.width - state.count - 2, ascii: s.ascii)
        g.put(state, x: s.width - state.count - 1, y: 0, role: s.run.running ? .accent : .header, ascii: s.ascii)
    }

    static func statusLine(_ g: inout StudioGrid, _ s: StudioState) {
        let y = s.height - 1
        g.fill(Rect(x: 0, y: y, width: s.width, height: 1), role: .status)
        let hints: String
        if let e = s.editing {
            switch e {
            case .filter: hints = "type to filter · Enter keep · Esc clear"
            case .prompt: hints = "type · Enter or Esc keeps the text"
            case .value: hints = "type · Enter done · Esc cancel"
            }
        } else {
            hints = KeyBindings.hints(running: s.run.running)
        }
        // An error takes the whole line (the hints come back with the next message): it must be readable.
        if s.statusIsError && !s.status.isEmpty {
            g.put(" " + s.status, x: 0, y: y, role: .error, maxWidth: s.width, ascii: s.ascii)
            return
        }
        if !s.status.isEmpty {
            let room = max(0, s.width - hints.count - 3)
            g.put(" " + s.status, x: 0, y: y, role: .status, maxWidth: room, ascii: s.ascii)
        }
        g.put(hints, x: max(0, s.width - hints.count - 1), y: y, role: .status, ascii: s.ascii)
    }

    static func row(_ g: inout StudioGrid, _ text: String, _ r: Rect, _ line: Int, role: Role, ascii: Bool) {
        guard line < r.height else { return }
        if role == .selection { g.fill(Rect(x: r.x, y: r.y + line, width: r.width, height: 1), role: .selection) }
        g.put(text, x: r.x, y: r.y + line, role: role, maxWidth: r.width, ascii: ascii)
    }

    static func picker(_ g: inout StudioGrid, _ s: StudioState, _ r: Rect) {
        var p = s.picker
        var top = 0
        if s.editing == .filter || !p.filter.isEmpty {
            g.put("/" + (s.editing == .filter ? s.editBuffer : p.filter), x: r.x, y: r.y, role: .accent, maxWidth: r.width, ascii: s.ascii)
            if s.editing == .filter { g.cursor = (min(r.x + r.width - 1, r.x + 1 + s.editBuffer.count), r.y) }
            top = 1
        }
        if let e = p.error { g.put(e, x: r.x, y: r.y + top, role: .error, maxWidth: r.width, ascii: s.ascii); return }
        let rows = r.height - top
        p.keepVisible(rows: rows)
        for i in 0..<rows {
            let idx = p.scroll + i
            guard idx < p.entries.count else { break }
            let e = p.entries[idx]
            let tag: String
            switch e.kind {
            case .parent, .directory: tag = "/"
            case .image: tag = "  img"
            case .audio: tag = "  aud"
            case .pose: tag = "  pose"
            case .recipe: tag = "  toml"
            }
            let name = e.kind == .directory || e.kind == .parent ? e.name + "/" : e.name
            let text = e.kind == .directory || e.kind == .parent ? name : pad(name, r.width - tag.count) + tag
            let focused = s.focus == .picker
            row(&g, text, Rect(x: r.x, y: r.y + top, width: r.width, height: rows), i,
                role: idx == p.selected ? (focused ? .selection : .accent) : (e.kind == .directory || e.kind == .parent ? .title : .text), ascii: s.ascii)
        }
        if p.entries.count <= 1 && rows > 1 { g.put("(no usable files here)", x: r.x, y: r.y + top + 1, role: .dim, maxWidth: r.width, ascii: s.ascii) }
    }

    static func pad(_ s: String, _ n: Int) -> String {
        guard n > 0 else { return "" }
        if s.count > n { return String(s.prefix(max(0, n - 1))) + "…" }
        return s + String(repeating: " ", count: n - s.count)
    }

    static func switchboard(_ g: inout StudioGrid, _ s: StudioState, _ r: Rect) {
        let all = SwitchRow.allCases
        var scroll = s.switchScroll
        if s.switchRow < scroll { scroll = s.switchRow }
        if s.switchRow >= scroll + r.height { scroll = s.switchRow - r.height + 1 }
        scroll = max(0, min(scroll, max(0, all.count - r.height)))
        for i in 0..<r.height {
            let idx = scroll + i
            guard idx < all.count else { break }
            let rowKind = all[idx]
            let selected = idx == s.switchRow
            var value = Switchboard.value(rowKind, s.request, lengths: s.inputSeconds)
            if selected, case .value(let editRow) = s.editing, editRow == rowKind {
                value = s.editBuffer
                g.cursor = (min(r.x + r.width - 1, r.x + labelWidth + value.count), r.y + i)
            } else if selected && !rowKind.isToggle && s.focus == .switchboard {
                value = "◀ " + value + " ▶"
            }
            let focused = s.focus == .switchboard
            let role: Role = selected ? (focused ? .selection : .accent) : .text
            if role == .selection { g.fill(Rect(x: r.x, y: r.y + i, width: r.width, height: 1), role: .selection) }
            g.put(pad(rowKind.label, labelWidth - 1), x: r.x, y: r.y + i, role: role == .text ? .dim : role, maxWidth: r.width, ascii: s.ascii)
            let on = Switchboard.isOn(rowKind, s.request)
            let vrole: Role = role != .text ? role : (on == true ? .toggleOn : (on == false ? .toggleOff : .text))
            g.put(value, x: r.x + labelWidth, y: r.y + i, role: vrole, maxWidth: max(0, r.width - labelWidth), ascii: s.ascii)
        }
    }

    static func prompt(_ g: inout StudioGrid, _ s: StudioState, _ r: Rect) {
        let editing = s.editing == .prompt
        let text = editing ? s.editBuffer : s.request.text.prompt
        if text.isEmpty && !editing {
            g.put("(no prompt — Enter to type one, e for $EDITOR)", x: r.x, y: r.y, role: .dim, maxWidth: r.width, ascii: s.ascii)
            return
        }
        // Wrap to the pane; show the last lines while typing.
        var lines: [String] = []
        var current = ""
        for ch in text {
            if ch == "\n" || current.count >= r.width { lines.append(current); current = "" }
            if ch != "\n" { current.append(ch) }
        }
        lines.append(current)
        let shown = Array(lines.suffix(r.height))
        for (i, l) in shown.enumerated() {
            g.put(l, x: r.x, y: r.y + i, role: s.request.text.enabled || editing ? .text : .dim, maxWidth: r.width, ascii: s.ascii)
        }
        if editing { g.cursor = (min(r.x + r.width - 1, r.x + (shown.last?.count ?? 0)), r.y + shown.count - 1) }
    }

    static func preview(_ g: inout StudioGrid, _ s: StudioState, _ r: Rect, _ picture: CellGrid?) {
        if let picture {
            let ox = r.x + max(0, (r.width - picture.cols) / 2), oy = r.y + max(0, (r.height - 1 - picture.rows) / 2)
            for y in 0..<min(picture.rows, r.height - 1) {
                for x in 0..<min(picture.cols, r.width) {
                    let c = picture[x, y]
                    g[ox + x, oy + y] = StudioCell(s.ascii && c.character.value > 0x7e ? "#" : c.character, role: .text,
                                                   foreground: c.foreground, background: c.background)
                }
            }
        } else if s.previewMode == "none" {
            g.put("(preview off: --preview none)", x: r.x, y: r.y, role: .dim, maxWidth: r.width, ascii: s.ascii)
        } else if s.preview.frames.isEmpty {
            g.put("(highlight an image in Files, or run)", x: r.x, y: r.y, role: .dim, maxWidth: r.width, ascii: s.ascii)
        }
        if s.preview.playing && !s.preview.frames.isEmpty {
            let p = s.preview
            let info = "\(p.paused ? "⏸ paused" : "▶ playing") frame \(p.index + 1)/\(p.frames.count) @ \(Int(p.fps)) fps · Space ←/→ o"
            g.put(info, x: r.x, y: r.y + r.height - 1, role: .dim, maxWidth: r.width, ascii: s.ascii)
        }
    }

    static func sparkline(_ values: [Double], width: Int) -> String {
        let bars: [Character] = ["▁", "▂", "▃", "▄", "▅", "▆", "▇", "█"]
        let v = Array(values.suffix(width))
        guard let lo = v.min(), let hi = v.max() else { return "" }
        return String(v.map { x in bars[hi > lo ? min(7, Int((x - lo) / (hi - lo) * 7.999)) : 3] })
    }

    /// The labelled sparkline of recent step times: "s/step ▃▄▂▅ 0.12–0.15".
    static func stepTimes(_ durations: [Double], width: Int) -> String {
        let shown = Array(durations.suffix(max(1, width - 18)))
        guard let lo = shown.min(), let hi = shown.max() else { return "s/step –" }
        return "s/step " + sparkline(shown, width: shown.count) + String(format: " %.2f–%.2f", lo, hi)
    }

    static func progress(_ g: inout StudioGrid, _ s: StudioState, _ r: Rect) {
        let p = s.run.progress
        var lines: [(String, Role)] = []
        if !s.run.running && p.startTime == nil {
            lines.append(("idle — g to generate", .dim))
            if let e = s.run.lastError { lines.append((e, .error)) }
        } else {
            let barW = max(4, r.width - 6)
            let filled = min(barW, Int((p.fraction * Double(barW)).rounded(.down)))
            lines.append((String(repeating: "█", count: filled) + String(repeating: "░", count: barW - filled) + String(format: " %3d%%", Int(p.fraction * 100)), .barFilled))
            lines.append(("step \(p.step)/\(p.steps)  segment \(p.segment)/\(p.segments)  \(p.phase)", .text))
            var t = p.stepsPerSecond.map { String(format: "%.2f it/s", $0) } ?? "– it/s"
            t += "  elapsed " + GenerationProgress.clock(p.elapsed(at: s.run.now))
            if let eta = p.remaining, !p.finished { t += "  eta " + GenerationProgress.clock(eta) }
            lines.append((t, .text))
            lines.append((stepTimes(p.stepDurations, width: r.width), .accent))
            if let e = s.run.lastError { lines.append((e, .error)) }
            else { lines.append(("conditions encoded this run: \(s.run.conditionEncodings) (the rest reused)", .dim)) }
            for note in s.run.notes { lines.append(("note: " + note, .warn)) }
        }
        for (i, (l, role)) in lines.prefix(r.height).enumerated() {
            if role == .barFilled {
                let bar = l.prefix(max(0, r.width - 5))
                var x = r.x
                for ch in bar { g.put(String(ch), x: x, y: r.y + i, role: ch == "█" ? .barFilled : .barEmpty, ascii: s.ascii); x += 1 }
                g.put(String(l.dropFirst(bar.count)), x: x, y: r.y + i, role: .text, maxWidth: r.x + r.width - x, ascii: s.ascii)
            } else {
                g.put(l, x: r.x, y: r.y + i, role: role, maxWidth: r.width, ascii: s.ascii)
            }
        }
    }

    static func history(_ g: inout StudioGrid, _ s: StudioState, _ r: Rect) {
        var h = s.history
        if h.entries.isEmpty { g.put("(no runs in \(h.root.lastPathComponent)/ yet)", x: r.x, y: r.y, role: .dim, maxWidth: r.width, ascii: s.ascii); return }
        h.keepVisible(rows: r.height)
        for i in 0..<r.height {
            let idx = h.scroll + i
            guard idx < h.entries.count else { break }
            let e = h.entries[idx]
            let text = e.time + " " + e.summary
            let focused = s.focus == .history
            row(&g, text, r, i, role: idx == h.selected ? (focused ? .selection : .accent) : (e.error != nil ? .error : .text), ascii: s.ascii)
        }
    }

    static func overlay(_ g: inout StudioGrid, _ s: StudioState, _ o: StudioState.Overlay) {
        var title = "", lines: [(String, Role)] = []
        switch o {
        case .help:
            title = "Help — \(s.focus.title) first (Esc closes)"
            let help = s.helpLines, keyWidth = (help.map(\.0.count).max() ?? 0) + 2
            for (k, d) in help { lines.append((k.isEmpty && d.isEmpty ? "" : pad(k, keyWidth) + d, k.isEmpty ? .dim : .text)) }
        case .confirmQuit:
            title = "Quit?"
            lines = [("A generation is running.", .warn), ("y  cancel it and quit", .text), ("n  keep going", .text)]
        case .diff:
            if let e = s.history.current {
                title = "Diff: \(e.id) → switchboard"
                let d = s.diffLines
                if d.isEmpty { lines.append(("no differences", .dim)) }
                for l in d { lines.append((pad(l.key, 18) + l.old + " → " + l.new, .text)) }
            } else {
                title = "Diff"; lines.append(("no run selected in History", .dim))
            }
        case .presets:
            title = "Presets (Enter applies, Esc closes, u undoes after)"
            let all = s.presets.presets, nameWidth = (all.map(\.name.count).max() ?? 0) + 2
            for (i, p) in all.enumerated() { lines.append((pad(p.name, nameWidth) + p.description, i == s.presetSelected ? .selection : .text)) }
            if all.isEmpty { lines.append(("no presets found", .dim)) }
            for e in s.presets.errors { lines.append((e, .error)) }
            // What the highlighted preset would change, so nothing is lost by surprise.
            if all.indices.contains(s.presetSelected), let next = try? all[s.presetSelected].applied(to: s.request) {
                let changes = RecipeDiff.lines(from: s.request, to: next)
                lines.append(("", .dim))
                lines.append((changes.isEmpty ? "changes nothing in the switchboard" : "changes:", .dim))
                for l in changes { lines.append(("  " + pad(l.key, 18) + l.old + " → " + l.new, .dim)) }
            }
        case .presetPrompt(let i):
            title = "Replace your prompt?"
            lines = [("The preset \(s.presets.presets[i].name) sets the prompt", .text),
                     ("  \(s.presets.presets[i].prompt ?? "")", .accent),
                     ("Yours:", .text), ("  \(s.request.text.prompt)", .accent), ("", .text),
                     ("y  use the preset's prompt", .text), ("n  apply the preset, keep your prompt", .text), ("Esc  do not apply it", .text)]
        }
        let w = min(s.width - 4, max(title.count + 6, (lines.map { $0.0.count }.max() ?? 0) + 4))
        let h = min(s.height - 2, lines.count + 2)
        let r = Rect(x: (s.width - w) / 2, y: max(1, (s.height - h) / 2), width: w, height: h)
        g.fill(r, role: .overlay)
        g.box(r, title: title, focused: true, ascii: s.ascii)
        for (i, (l, role)) in lines.prefix(h - 2).enumerated() {
            if role == .selection { g.fill(Rect(x: r.x + 1, y: r.y + 1 + i, width: w - 2, height: 1), role: .selection) }
            g.put(l, x: r.x + 2, y: r.y + 1 + i, role: role == .text ? .overlay : role, maxWidth: w - 4, ascii: s.ascii)
        }
    }
}
