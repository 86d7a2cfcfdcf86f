import Foundation
import OmniMedia
import OmniModel

/// Shows generation events on the terminal: a redrawn progress line on stderr when it is a terminal, one line
/// per segment otherwise; or one JSON object per event on stdout (`--json-events`).
final class ProgressReporter {
    let quiet: Bool
    let json: Bool
    private var progress = GenerationProgress()
    private let interactive = isatty(STDERR_FILENO) == 1
    private let clockStart = DispatchTime.now().uptimeNanoseconds

    init(quiet: Bool, json: Bool) { self.quiet = quiet; self.json = json }

    private var now: Double { Double(DispatchTime.now().uptimeNanoseconds - clockStart) / 1e9 }

    func emit(_ event: GenerationEvent) {
        progress.apply(event, at: now)
        if json { FileHandle.standardOutput.write(Data((Self.json(event, at: now) + "\n").utf8)); return }
        if quiet { return }
        switch event {
        case .finished(let url):
            finishLine()
            FileHandle.standardError.write(Data("wrote \(url.path)/video.mp4\n".utf8))
        case .cancelled(let partial):
            finishLine()
            FileHandle.standardError.write(Data((partial.map { "cancelled; kept \($0.path)\n" } ?? "cancelled; nothing written\n").utf8))
        case .failed:
            finishLine()
        case .note(let text):
            if interactive { FileHandle.standardError.write(Data("\r\u{1B}[2K".utf8)) }
            FileHandle.standardError.write(Data("note: \(text)\n".utf8))
        case .segmentDone(let s, let m, let frames) where !interactive:
            FileHandle.standardError.write(Data("segment \(s)/\(m): \(frames.count) frames\n".utf8))
        default:
            if interactive {
                FileHandle.standardError.write(Data(("\r\u{1B}[2K" + progress.line(width: terminalWidth, at: now)).utf8))
            }
        }
    }

    private func finishLine() {
        if interactive { FileHandle.standardError.write(Data(("\r\u{1B}[2K" + progress.line(width: terminalWidth, at: now) + "\n").utf8)) }
    }

    private var terminalWidth: Int {
        var size = winsize()
        return ioctl(STDERR_FILENO, UInt(TIOCGWINSZ), &size) == 0 && size.ws_col > 0 ? Int(size.ws_col) : 80
    }

    /// One event as a single-line JSON object (previews and frames are summarised, not embedded).
    static func json(_ event: GenerationEvent, at time: Double) -> String {
        var object: [String: Any] = ["time": (time * 1000).rounded() / 1000]
        switch event {
        case .loading(let what): object["event"] = "loading"; object["what"] = what
        case .encodingConditions(let what): object["event"] = "encoding"; object["what"] = what
        case .note(let text): object["event"] = "note"; object["text"] = text
        case .frame(let i, let n, _): object["event"] = "frame"; object["frame"] = i; object["frames"] = n
        case .step(let k, let n, let s, let m, _): object["event"] = "step"; object["step"] = k; object["steps"] = n; object["segment"] = s; object["segments"] = m
        case .segmentDone(let s, let m, let frames): object["event"] = "segment"; object["segment"] = s; object["segments"] = m; object["frames"] = frames.count
        case .finished(let url): object["event"] = "finished"; object["folder"] = url.path; object["video"] = url.appendingPathComponent("video.mp4").path
        case .failed(let e): object["event"] = "failed"; object["error"] = e.description
        case .cancelled(let partial): object["event"] = "cancelled"; object["partial"] = partial?.path ?? NSNull()
        }
        let data = (try? JSONSerialization.data(withJSONObject: object, options: [.sortedKeys])) ?? Data("{}".utf8)
        return String(decoding: data, as: UTF8.self)
    }
}
