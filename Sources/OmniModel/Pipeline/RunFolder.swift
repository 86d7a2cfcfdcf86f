import Foundation

/// The output folder of one run, `outputs/<run-id>/`, built under a hidden temporary name next to it
/// (`outputs/.<run-id>.partial`) and renamed into place only when the run finishes — a failed or cancelled
/// run never leaves a folder that looks finished. Run ids are `YYYYMMDD-HHMMSS-s<seed>`, with `-2`, `-3` …
/// appended when taken.
public struct RunFolder: Sendable {
    public let final: URL
    public let working: URL

    /// Creates the working folder for `final` (which must not exist yet).
    public init(final: URL) throws(ModelError) {
        self.final = final
        working = final.deletingLastPathComponent().appendingPathComponent(".\(final.lastPathComponent).partial")
        let fm = FileManager.default
        if fm.fileExists(atPath: final.path) {
            throw .invalidRequest(setting: "out", reason: "\(final.path) already exists; choose another folder")
        }
        do {
            try fm.createDirectory(at: final.deletingLastPathComponent(), withIntermediateDirectories: true)
            if fm.fileExists(atPath: working.path) { try fm.removeItem(at: working) }
            try fm.createDirectory(at: working, withIntermediateDirectories: false)
        } catch {
            throw .invalidRequest(setting: "out", reason: "cannot create \(working.path): \(error.localizedDescription)")
        }
    }

    /// A new folder under `root` named after the current time and the seed.
    public static func make(root: URL, seed: UInt64, date: Date = Date()) throws(ModelError) -> RunFolder {
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.timeZone = TimeZone(identifier: "UTC")
        formatter.dateFormat = "yyyyMMdd-HHmmss"
        let base = "\(formatter.string(from: date))-s\(seed)"
        var name = base
        var n = 2
        while FileManager.default.fileExists(atPath: root.appendingPathComponent(name).path) {
            name = "\(base)-\(n)"
            n += 1
        }
        return try RunFolder(final: root.appendingPathComponent(name))
    }

    public func file(_ name: String) -> URL { working.appendingPathComponent(name) }

    /// Renames the working folder into place.
    public func commit() throws(ModelError) {
        do { try FileManager.default.moveItem(at: working, to: final) } catch {
            throw .invalidRequest(setting: "out", reason: "cannot move \(working.path) to \(final.path): \(error.localizedDescription)")
        }
    }

    /// Removes the working folder.
    public func discard() { try? FileManager.default.removeItem(at: working) }
}
