import Foundation

/// A file being written under a temporary, hidden name next to its final path, so that nothing that looks
/// finished exists until `commit()` renames it into place (atomic on one file system). `discard()` removes
/// the temporary file. Used by every writer in OmniStudio.
public struct PendingFile: Sendable {
    public let finalPath: String
    public let temporaryPath: String

    public init(finalPath: String) {
        self.finalPath = finalPath
        let url = URL(fileURLWithPath: finalPath)
        let name = ".\(url.lastPathComponent).tmp-\(getpid())-\(UInt32.random(in: 0...UInt32.max))"
        self.temporaryPath = url.deletingLastPathComponent().appendingPathComponent(name).path
    }

    /// Renames the temporary file to the final path, replacing whatever was there.
    public func commit() throws(MediaError) {
        if rename(temporaryPath, finalPath) != 0 {
            let reason = String(cString: strerror(errno))
            discard()
            throw .notReadable(path: finalPath, reason: "cannot move the finished file into place: \(reason)")
        }
    }

    public func discard() { unlink(temporaryPath) }

    /// Writes `data` completely, then renames it into place.
    public static func write(_ data: Data, to path: String) throws(MediaError) {
        let pending = PendingFile(finalPath: path)
        do {
            try data.write(to: URL(fileURLWithPath: pending.temporaryPath))
        } catch {
            pending.discard()
            throw .notReadable(path: path, reason: "cannot write: \(error.localizedDescription)")
        }
        try pending.commit()
    }
}
