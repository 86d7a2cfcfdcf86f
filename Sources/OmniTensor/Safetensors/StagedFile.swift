#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A file written under a temporary hidden name next to its destination and renamed into place only when
/// complete, so a half-written file never carries the final name. (OmniTensor's own small equivalent of
/// OmniMedia's `PendingFile`; the core module depends on nothing above it.)
struct StagedFile {
    let finalPath: String
    let temporaryPath: String
    private let fd: Int32

    /// Creates the temporary file (`.<name>.tmp-<pid>-<random>` in the destination's directory).
    init(finalPath: String) throws(SafetensorsError) {
        self.finalPath = finalPath
        let slash = finalPath.lastIndex(of: "/")
        let directory = slash.map { String(finalPath[...$0]) } ?? ""
        let name = slash.map { String(finalPath[finalPath.index(after: $0)...]) } ?? finalPath
        guard !name.isEmpty else { throw .notWritable(path: finalPath, reason: "the path names no file") }
        temporaryPath = "\(directory).\(name).tmp-\(getpid())-\(UInt32.random(in: 0...UInt32.max))"
        fd = open(temporaryPath, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o644)
        if fd < 0 {
            throw .notWritable(path: finalPath, reason: String(cString: strerror(errno)))
        }
    }

    /// Appends all of `bytes`, retrying short writes. On failure the caller should `discard()`.
    func append(_ bytes: [UInt8]) throws(SafetensorsError) {
        let failure: Int32? = bytes.withUnsafeBytes { buffer in
            var offset = 0
            while offset < buffer.count {
                let n = write(fd, buffer.baseAddress! + offset, buffer.count - offset)
                if n < 0 {
                    if errno == EINTR { continue }
                    return errno
                }
                offset += n
            }
            return nil
        }
        if let failure {
            throw .notWritable(path: finalPath, reason: String(cString: strerror(failure)))
        }
    }

    /// Closes the temporary file and renames it to the destination, replacing what was there.
    func commit() throws(SafetensorsError) {
        if close(fd) != 0 {
            let reason = String(cString: strerror(errno))
            unlink(temporaryPath)
            throw .notWritable(path: finalPath, reason: reason)
        }
        if rename(temporaryPath, finalPath) != 0 {
            let reason = String(cString: strerror(errno))
            unlink(temporaryPath)
            throw .notWritable(path: finalPath, reason: "cannot move the finished file into place: \(reason)")
        }
    }

    /// Closes and removes the temporary file.
    func discard() {
        close(fd)
        unlink(temporaryPath)
    }
}
