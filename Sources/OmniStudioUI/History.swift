import Foundation
import OmniMedia
import OmniModel

/// One finished run found in `outputs/<run-id>/`.
public struct HistoryEntry: Sendable, Equatable {
    public var id: String
    public var folder: URL
    public var request: GenerationRequest?
    public var seconds: Double?
    public var error: String?

    /// The run's video: `video.mp4`, or `video.partial.mp4` of a run cancelled with --keep-partial.
    public static func video(in folder: URL) -> URL? {
        ["video.mp4", "video.partial.mp4"].map { folder.appendingPathComponent($0) }
            .first { FileManager.default.fileExists(atPath: $0.path) }
    }

    /// "ref+aud 3.0s 20st a2.5 s42" — the key settings in a few characters, what tells runs apart first (the
    /// conditions and the length), so a narrow History column cuts the least useful end.
    public var summary: String {
        guard let r = request else { return error ?? "unreadable" }
        var conds: [String] = []
        if r.reference.enabled { conds.append("ref") }
        if r.audio.enabled { conds.append("aud") }
        if r.pose.enabled { conds.append("pose") }
        if r.text.enabled { conds.append("txt") }
        var s = conds.isEmpty ? "none" : conds.joined(separator: "+")
        if let d = seconds ?? r.duration { s += " " + String(format: "%.1fs", d) }
        s += " \(r.steps.map(String.init) ?? "?")st"
        if r.audio.enabled, let g = r.audio.guidance { s += " a" + Fmt.num(g) }
        if r.text.enabled, let g = r.text.guidance { s += " t" + Fmt.num(g) }
        return s + " s\(r.seed)"
    }

    /// The run's time of day from its id (`YYYYMMDD-HHMMSS-s<seed>` → "HH:MM:SS", with a "-2" … suffix kept),
    /// or the id itself when it is not a run id.
    public var time: String {
        let parts = id.split(separator: "-")
        guard parts.count >= 3, parts[1].count == 6, parts[1].allSatisfy(\.isNumber) else { return id }
        let t = Array(parts[1])
        let clock = "\(t[0])\(t[1]):\(t[2])\(t[3]):\(t[4])\(t[5])"
        return parts.count > 3 ? clock + "-" + parts[3...].joined(separator: "-") : clock
    }
}

/// The run history: every `outputs/*/recipe.toml`, newest first.
public struct HistoryState: Sendable, Equatable, ScrollableList {
    public var root: URL
    public var entries: [HistoryEntry] = []
    public var selected = 0
    public var scroll = 0

    public init(root: URL) { self.root = root }

    public mutating func reload() {
        let fm = FileManager.default
        let names = ((try? fm.contentsOfDirectory(atPath: root.path)) ?? []).filter { !$0.hasPrefix(".") }.sorted(by: >)
        let previous = entries.indices.contains(selected) ? entries[selected].id : nil
        entries = names.compactMap { name in
            let folder = root.appendingPathComponent(name)
            let recipe = folder.appendingPathComponent("recipe.toml").path
            guard fm.fileExists(atPath: recipe) else { return nil }
            var e = HistoryEntry(id: name, folder: folder)
            do throws(ModelError) { e.request = try GenerationRequest(recipeAt: recipe) } catch { e.error = error.description }
            if let video = HistoryEntry.video(in: folder), let reader = try? VideoReader(path: video.path) { e.seconds = reader.duration }
            return e
        }
        selected = previous.flatMap { id in entries.firstIndex { $0.id == id } } ?? min(selected, max(0, entries.count - 1))
    }

    public var current: HistoryEntry? { entries.indices.contains(selected) ? entries[selected] : nil }

    public var itemCount: Int { entries.count }

}

/// What differs between two recipes, key by key, in recipe.toml spelling.
public enum RecipeDiff {
    public struct Line: Sendable, Equatable {
        public var key: String
        public var old: String
        public var new: String
    }

    public static func lines(from a: GenerationRequest, to b: GenerationRequest) -> [Line] {
        let da = a.tomlDocument(), db = b.tomlDocument()
        var keys: [(String, String)] = []
        for e in da.entries + db.entries where !keys.contains(where: { $0 == (e.table, e.key) }) { keys.append((e.table, e.key)) }
        return keys.compactMap { table, key in
            let va = da.entry(table, key)?.value.description ?? "(default)"
            let vb = db.entry(table, key)?.value.description ?? "(default)"
            return va == vb ? nil : Line(key: table.isEmpty ? key : "\(table).\(key)", old: va, new: vb)
        }
    }
}

enum Fmt {
    static func num(_ v: Double) -> String {
        v == v.rounded() ? String(format: "%.1f", v) : String(format: "%.2f", v).replacingOccurrences(of: #"0$"#, with: "", options: .regularExpression)
    }
}
