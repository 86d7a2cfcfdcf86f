import Foundation

/// The output folder of one run, `outputs/<run-id>/`, built under a hidden temporary name next to it
/// (`outputs/.<run-id>.partial`) and renamed into place only when the run finishes — a failed or cancelled
/// run never leaves a folder that looks finished. Run ids are `YYYYMMDD-HHMMSS-s<seed>`, with `-2`, `-3` …
/// appended when taken. The working folder holds `.owner` (the process id and its start time); a run killed
/// outright (SIGKILL, a power cut) cannot clean up, so each new run sweeps the hidden folders beside it whose
/// owner is gone.
public struct RunFolder: Sendable {
    public let final: URL
    public let working: URL

    /// Creates the working folder for `final` (which must not exist yet).
    public init(final: URL) throws(ModelError) {
        self.final = final
        working = final.deletingLastPathComponent().appendingPathComponent(".\(final.lastPathComponent).partial")
        let fm = FileManager.default
        Self.sweepStale(in: final.deletingLastPathComponent())
        if fm.fileExists(atPath: final.path) {
            throw .invalidRequest(setting: "out", reason: "\(final.path) already exists; choose another folder")
        }
        do {
            try fm.createDirectory(at: final.deletingLastPathComponent(), withIntermediateDirectories: true)
            if fm.fileExists(atPath: working.path) { try fm.removeItem(at: working) }
            try fm.createDirectory(at: working, withIntermediateDirectories: false)
            try Data(Self.ownerStamp(getpid()).utf8).write(to: working.appendingPathComponent(Self.ownerFile))
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
        try? FileManager.default.removeItem(at: working.appendingPathComponent(Self.ownerFile))
        do { try FileManager.default.moveItem(at: working, to: final) } catch {
            throw .invalidRequest(setting: "out", reason: "cannot move \(working.path) to \(final.path): \(error.localizedDescription)")
        }
    }

    /// Removes the working folder.
    public func discard() { try? FileManager.default.removeItem(at: working) }

    static let ownerFile = ".owner"

    /// `"<pid> <start time>"`: the start time (clock ticks since boot, from /proc) tells a live owner from a
    /// later process that reuses its id.
    static func ownerStamp(_ pid: pid_t) -> String { "\(pid) \(processStartTime(pid) ?? 0)" }

    static func processStartTime(_ pid: pid_t) -> UInt64? {
        guard let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8),
              let close = stat.lastIndex(of: ")") else { return nil }
        // Fields after the command name (which may hold spaces): state is field 3, starttime field 22.
        let fields = stat[stat.index(after: close)...].split(separator: " ")
        return fields.count > 19 ? UInt64(fields[19]) : nil
    }

    /// Removes hidden `.<name>.partial` folders in `directory` whose owner process is no longer running. Folders
    /// without an owner stamp (older versions) are left alone.
    public static func sweepStale(in directory: URL) {
        let fm = FileManager.default
        for name in (try? fm.contentsOfDirectory(atPath: directory.path)) ?? [] where name.hasPrefix(".") && name.hasSuffix(".partial") {
            let folder = directory.appendingPathComponent(name)
            guard let stamp = try? String(contentsOf: folder.appendingPathComponent(ownerFile), encoding: .utf8) else { continue }
            let parts = stamp.split(separator: " ")
            guard parts.count == 2, let pid = pid_t(parts[0]) else { continue }
            if ownerStamp(pid) != stamp.trimmingCharacters(in: .whitespacesAndNewlines) { try? fm.removeItem(at: folder) }
        }
    }
}
