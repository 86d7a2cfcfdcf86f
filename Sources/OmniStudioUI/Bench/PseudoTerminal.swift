import CNcursesw
import Foundation

/// A pseudo-terminal pair for driving the studio in-process (the UI benchmark and the ncurses test): ncurses runs
/// on the slave, keys go in through the master, and a background thread drains the master so ncurses' writes
/// never block (the bytes are kept for inspection).
public final class PseudoTerminal: @unchecked Sendable {
    public let master: Int32
    public let slave: Int32
    public let slavePath: String
    private let lock = NSLock()
    private var output: [UInt8] = []
    private var stopping = false
    private let drained = DispatchSemaphore(value: 0)

    /// Opens a pair sized `width`×`height` cells; nil when the system has no pseudo-terminals to give.
    public init?(width: Int, height: Int) {
        let m = omni_posix_openpt(O_RDWR | O_NOCTTY)
        guard m >= 0 else { return nil }
        guard omni_grantpt(m) == 0, omni_unlockpt(m) == 0, let name = omni_ptsname(m) else { Foundation.close(m); return nil }
        let path = String(cString: name)
        let s = open(path, O_RDWR | O_NOCTTY)
        guard s >= 0 else { Foundation.close(m); return nil }
        var size = winsize(ws_row: UInt16(height), ws_col: UInt16(width), ws_xpixel: UInt16(width * 10), ws_ypixel: UInt16(height * 20))
        _ = ioctl(m, UInt(TIOCSWINSZ), &size)
        master = m; slave = s; slavePath = path
        let thread = Thread { [unowned self] in self.drain() }
        thread.name = "pty-drain"
        thread.start()
    }

    private func drain() {
        var buffer = [UInt8](repeating: 0, count: 65536)
        while true {
            lock.lock(); let stop = stopping; lock.unlock()
            if stop { break }
            var p = pollfd(fd: master, events: Int16(POLLIN), revents: 0)
            guard poll(&p, 1, 20) > 0 else { continue }
            let n = buffer.withUnsafeMutableBytes { read(master, $0.baseAddress, $0.count) }
            if n > 0 {
                lock.lock(); output.append(contentsOf: buffer[0..<n]); if output.count > 1 << 22 { output.removeFirst(1 << 21) }; lock.unlock()
            } else if n < 0 && errno != EINTR && errno != EAGAIN { break }
        }
        drained.signal()
    }

    /// Writes `bytes` to the master: what a user's keys would send.
    public func send(_ bytes: [UInt8]) {
        var offset = 0
        while offset < bytes.count {
            let n = bytes[offset...].withUnsafeBytes { write(master, $0.baseAddress, $0.count) }
            if n > 0 { offset += n } else if n < 0 && errno != EINTR && errno != EAGAIN { return }
        }
    }
    public func send(_ text: String) { send(Array(text.utf8)) }

    /// The bytes written to the terminal so far (the recent 2–4 MiB).
    public func written() -> [UInt8] { lock.lock(); defer { lock.unlock() }; return output }

    /// The slave's terminal modes now.
    public func modes() -> termios {
        var t = termios()
        _ = tcgetattr(slave, &t)
        return t
    }

    /// Stops the drain thread and closes both sides.
    public func close() {
        lock.lock(); stopping = true; lock.unlock()
        drained.wait()
        Foundation.close(slave)
        Foundation.close(master)
    }

    /// The bytes keys send on an xterm-like terminal.
    public enum KeyBytes {
        public static let tab = "\t", backTab = "\u{1B}[Z", up = "\u{1B}[A", down = "\u{1B}[B", right = "\u{1B}[C", left = "\u{1B}[D"
    }
}
