#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Foundation

/// Asks the attached terminal what it is: DA1 (sixel support), XTVERSION (name and version), `CSI 16 t` (cell
/// size in pixels), then DSR as a sentinel, and parses the answers.
///
/// Only runs when both the input and the output descriptor are terminals; otherwise it returns nil at once, so
/// it never blocks in CI or in a pipe. The input tty is put in raw mode (no echo, no line buffering) for at most
/// `timeoutMilliseconds` and restored on every path. Call it before ncurses takes the terminal, from the main
/// thread. A terminal that answers after the timeout leaves its late replies in the input queue.
public enum TerminalQuery {
    /// The bytes written to the terminal: `ESC [ c`, `ESC [ > 0 q`, `ESC [ 16 t`, `ESC [ 5 n`.
    public static let request: [UInt8] = Array("\u{1B}[c\u{1B}[>0q\u{1B}[16t\u{1B}[5n".utf8)

    /// Sends `request` to `output` and collects what arrives on `input` until the DSR answer or the timeout
    /// (milliseconds, total). Returns nil when either descriptor is not a terminal or its mode cannot be set.
    public static func ask(input: Int32 = STDIN_FILENO, output: Int32 = STDOUT_FILENO,
                           timeoutMilliseconds: Int = 150) -> TerminalQueryReply? {
        guard isatty(input) == 1, isatty(output) == 1 else { return nil }
        var saved = termios()
        guard tcgetattr(input, &saved) == 0 else { return nil }
        var raw = saved
        raw.c_lflag &= ~tcflag_t(ICANON | ECHO)
        withUnsafeMutableBytes(of: &raw.c_cc) { cc in
            cc[Int(VMIN)] = 0
            cc[Int(VTIME)] = 0
        }
        guard tcsetattr(input, TCSANOW, &raw) == 0 else { return nil }
        defer { _ = tcsetattr(input, TCSANOW, &saved) }

        guard writeAll(request, to: output) else { return nil }

        var received = [UInt8]()
        var buffer = [UInt8](repeating: 0, count: 512)
        let deadline = DispatchTime.now().uptimeNanoseconds + UInt64(max(0, timeoutMilliseconds)) * 1_000_000
        while true {
            let now = DispatchTime.now().uptimeNanoseconds
            guard now < deadline else { break }
            var descriptor = pollfd(fd: input, events: Int16(POLLIN), revents: 0)
            let waitMilliseconds = Int32(max(1, (deadline - now) / 1_000_000))
            let ready = poll(&descriptor, 1, waitMilliseconds)
            if ready < 0 { if errno == EINTR { continue } else { break } }
            if ready == 0 { break }
            let count = buffer.withUnsafeMutableBytes { read(input, $0.baseAddress, $0.count) }
            if count < 0 { if errno == EINTR || errno == EAGAIN { continue } else { break } }
            if count == 0 { break }
            received.append(contentsOf: buffer[0..<count])
            if TerminalQueryReply.parse(received).sawStatusReport { break }
        }
        return TerminalQueryReply.parse(received)
    }

    private static func writeAll(_ bytes: [UInt8], to descriptor: Int32) -> Bool {
        var offset = 0
        while offset < bytes.count {
            let written = bytes[offset...].withUnsafeBytes { write(descriptor, $0.baseAddress, $0.count) }
            if written < 0 { if errno == EINTR { continue } else { return false } }
            offset += written
        }
        return true
    }
}
