import Foundation

/// Every failure of OmniMedia. Each case names the file and the reason, so the CLI can print it in one line
/// and the studio can show it in a status bar.
public enum MediaError: Error, Equatable, CustomStringConvertible, LocalizedError {
    case notFound(path: String)
    case notReadable(path: String, reason: String)
    case isDirectory(path: String)
    case empty(path: String)
    case noVideoStream(path: String)
    case noAudioStream(path: String)
    /// The audio stream exists but holds no samples (zero-length audio).
    case emptyAudio(path: String)
    case unsupported(path: String, what: String)
    case corrupt(path: String, reason: String)
    /// An FFmpeg call failed: `operation` is what we asked for, `message` is FFmpeg's own text for `code`.
    case ffmpeg(path: String, operation: String, code: Int32, message: String)
    /// A caller error: the frame or sample data handed to a writer does not fit the stream.
    case invalidInput(path: String, reason: String)
    /// A pose file (OpenPose JSON or a pose clip) that parses but does not hold a usable COCO-18 track: a wrong
    /// joint count, a non-finite or negative number, no frames, a missing canvas size.
    case invalidPose(path: String, reason: String)

    public var path: String {
        switch self {
        case .notFound(let p), .notReadable(let p, _), .isDirectory(let p), .empty(let p),
             .noVideoStream(let p), .noAudioStream(let p), .emptyAudio(let p), .unsupported(let p, _), .corrupt(let p, _),
             .ffmpeg(let p, _, _, _), .invalidInput(let p, _), .invalidPose(let p, _):
            return p
        }
    }

    /// The same error naming `newPath` (e.g. where a file being written will land, not its temporary name).
    public func withPath(_ newPath: String) -> MediaError {
        switch self {
        case .notFound: return .notFound(path: newPath)
        case .notReadable(_, let r): return .notReadable(path: newPath, reason: r)
        case .isDirectory: return .isDirectory(path: newPath)
        case .empty: return .empty(path: newPath)
        case .noVideoStream: return .noVideoStream(path: newPath)
        case .noAudioStream: return .noAudioStream(path: newPath)
        case .emptyAudio: return .emptyAudio(path: newPath)
        case .unsupported(_, let w): return .unsupported(path: newPath, what: w)
        case .corrupt(_, let r): return .corrupt(path: newPath, reason: r)
        case .ffmpeg(_, let op, let code, let m): return .ffmpeg(path: newPath, operation: op, code: code, message: m)
        case .invalidInput(_, let r): return .invalidInput(path: newPath, reason: r)
        case .invalidPose(_, let r): return .invalidPose(path: newPath, reason: r)
        }
    }

    public var description: String {
        switch self {
        case .notFound(let p): return "\(p): no such file"
        case .notReadable(let p, let r): return "\(p): not readable (\(r))"
        case .isDirectory(let p): return "\(p): is a directory, not a file"
        case .empty(let p): return "\(p): file is empty"
        case .noVideoStream(let p): return "\(p): has no video or image stream"
        case .noAudioStream(let p): return "\(p): has no audio stream"
        case .emptyAudio(let p): return "\(p): the audio stream holds no samples"
        case .unsupported(let p, let w): return "\(p): unsupported \(w)"
        case .corrupt(let p, let r): return "\(p): corrupt or unrecognised media (\(r))"
        case .ffmpeg(let p, let op, _, let m): return "\(p): \(op) failed: \(m)"
        case .invalidInput(let p, let r): return "\(p): \(r)"
        case .invalidPose(let p, let r): return "\(p): not a usable pose file: \(r)"
        }
    }

    public var errorDescription: String? { description }
}
