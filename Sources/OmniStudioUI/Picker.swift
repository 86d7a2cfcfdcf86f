import Foundation

/// The file picker: a directory listing of folders and the files the studio can use, with a filter and
/// hidden files on request.
public struct PickerState: Sendable, Equatable, ScrollableList {
    public enum Kind: String, Sendable { case parent, directory, image, audio, pose, recipe }
    public struct Entry: Sendable, Equatable {
        public var name: String
        public var kind: Kind
    }

    public static let imageExtensions: Set<String> = ["png", "jpg", "jpeg", "webp", "bmp", "gif", "tif", "tiff"]
    public static let audioExtensions: Set<String> = ["wav", "mp3", "flac", "ogg", "m4a", "aac", "opus"]
    public static let poseExtensions: Set<String> = ["json", "pose"]

    public var directory: URL
    public var filter = ""
    public var showHidden = false
    public var entries: [Entry] = []
    public var selected = 0
    public var scroll = 0
    public var error: String?

    public init(directory: URL) {
        self.directory = directory.standardizedFileURL
        reload()
    }

    public static func kind(of name: String) -> Kind? {
        let ext = (name as NSString).pathExtension.lowercased()
        if imageExtensions.contains(ext) { return .image }
        if audioExtensions.contains(ext) { return .audio }
        if ext == "toml" { return .recipe }
        if poseExtensions.contains(ext) { return .pose }
        return nil
    }

    public mutating func reload() {
        let fm = FileManager.default
        error = nil
        var dirs: [Entry] = [], files: [Entry] = []
        do {
            for name in try fm.contentsOfDirectory(atPath: directory.path) {
                if name.hasPrefix(".") && !showHidden { continue }
                if !filter.isEmpty && !name.lowercased().contains(filter.lowercased()) { continue }
                var isDir: ObjCBool = false
                _ = fm.fileExists(atPath: directory.appendingPathComponent(name).path, isDirectory: &isDir)
                if isDir.boolValue { dirs.append(Entry(name: name, kind: .directory)) }
                else if let k = PickerState.kind(of: name) { files.append(Entry(name: name, kind: k)) }
            }
        } catch {
            self.error = "\(directory.path): cannot list (\((error as NSError).localizedDescription))"
        }
        dirs.sort { $0.name.lowercased() < $1.name.lowercased() }
        files.sort { $0.name.lowercased() < $1.name.lowercased() }
        entries = (directory.path == "/" ? [] : [Entry(name: "..", kind: .parent)]) + dirs + files
        selected = min(selected, max(0, entries.count - 1))
    }

    public var current: Entry? { entries.indices.contains(selected) ? entries[selected] : nil }
    public func path(of entry: Entry) -> String {
        entry.kind == .parent ? directory.deletingLastPathComponent().path : directory.appendingPathComponent(entry.name).path
    }
    /// The highlighted image's path, for the preview.
    public var highlightedImage: String? { current.flatMap { $0.kind == .image ? path(of: $0) : nil } }

    public mutating func open(_ url: URL) {
        let old = directory.lastPathComponent
        let goingUp = url.standardizedFileURL.path == directory.deletingLastPathComponent().standardizedFileURL.path
        directory = url.standardizedFileURL
        filter = ""
        selected = 0; scroll = 0
        reload()
        if goingUp, let i = entries.firstIndex(where: { $0.name == old }) { selected = i }
    }

    public var itemCount: Int { entries.count }

    /// Whether text typed into the filter is a path to go to rather than a filter: it starts at the root, the home
    /// folder or the current or parent folder.
    public static func looksLikePath(_ text: String) -> Bool {
        ["/", "~", "./", "../"].contains { text.hasPrefix($0) } || text == "." || text == ".."
    }

}
