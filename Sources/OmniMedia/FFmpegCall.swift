import CFFmpeg
import Foundation

/// FFmpeg's own text for an error code (`av_strerror`).
func ffmpegMessage(_ code: Int32) -> String {
    var buffer = [CChar](repeating: 0, count: 256)
    if av_strerror(code, &buffer, buffer.count) < 0 { return "error \(code)" }
    return String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
}

/// Throws `MediaError.ffmpeg` naming `path` and `operation` when `code` is negative; returns it otherwise.
@discardableResult
func check(_ code: Int32, _ operation: String, path: String) throws(MediaError) -> Int32 {
    if code < 0 { throw MediaError.ffmpeg(path: path, operation: operation, code: code, message: ffmpegMessage(code)) }
    return code
}

let averrorEOF = omni_averror_eof()
let averrorEAGAIN = omni_averror_eagain()

/// Checks that `path` names an existing, non-empty, readable regular file, with an error naming the reason.
func checkReadableFile(_ path: String) throws(MediaError) {
    var isDirectory: ObjCBool = false
    guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) else { throw .notFound(path: path) }
    if isDirectory.boolValue { throw .isDirectory(path: path) }
    guard access(path, R_OK) == 0 else { throw .notReadable(path: path, reason: String(cString: strerror(errno))) }
    let size = (try? FileManager.default.attributesOfItem(atPath: path)[.size] as? NSNumber)?.intValue ?? 0
    if size == 0 { throw .empty(path: path) }
}
