import CFFmpeg
import Synchronization

/// Where FFmpeg's (and, through it, x264's) log lines go. They never reach the terminal: a curses screen
/// would be scribbled over. By default lines at `AV_LOG_WARNING` or more severe are kept in a small ring
/// (`recentLines`, for error messages and `run.log`); a caller may install its own sink as well.
public enum FFmpegLog {
    /// `level` is FFmpeg's (`AV_LOG_ERROR` = 16, `AV_LOG_WARNING` = 24 …); `line` has no trailing newline.
    public typealias Sink = @Sendable (_ level: Int32, _ line: String) -> Void

    private struct State {
        var sink: Sink?
        var recent: [String] = []
    }
    private static let state = Mutex(State())
    private static let ringSize = 64

    /// Installs the callback (idempotent). Every OmniMedia entry point calls this before touching FFmpeg.
    public static func install() { _ = installed }

    private static let installed: Void = {
        av_log_set_level(AV_LOG_WARNING)
        av_log_set_callback { avcl, level, format, arguments in
            guard level <= av_log_get_level(), let format, let arguments else { return }
            var buffer = [CChar](repeating: 0, count: 1024)
            var printPrefix: Int32 = 1
            _ = av_log_format_line2(avcl, level, format, arguments, &buffer, Int32(buffer.count), &printPrefix)
            let line = String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
            FFmpegLog.deliver(level: level, line: line.trimmingTrailingNewlines())
        }
    }()

    /// Replaces the caller's sink; `nil` keeps only the ring.
    public static func setSink(_ sink: Sink?) {
        install()
        state.withLock { $0.sink = sink }
    }

    /// The last lines FFmpeg logged at warning level or worse, oldest first.
    public static var recentLines: [String] { state.withLock { $0.recent } }

    static func deliver(level: Int32, line: String) {
        guard !line.isEmpty else { return }
        let sink = state.withLock { s -> Sink? in
            s.recent.append(line)
            if s.recent.count > ringSize { s.recent.removeFirst(s.recent.count - ringSize) }
            return s.sink
        }
        sink?(level, line)
    }
}

extension String {
    fileprivate func trimmingTrailingNewlines() -> String {
        var s = Substring(self)
        while let last = s.last, last == "\n" || last == "\r" { s.removeLast() }
        return String(s)
    }
}
