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
