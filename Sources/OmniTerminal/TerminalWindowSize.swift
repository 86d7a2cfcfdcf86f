#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The size of the terminal window behind a file descriptor (`ioctl TIOCGWINSZ`): in cells, and in pixels when
/// the terminal reports them.
public struct TerminalWindowSize: Sendable, Hashable {
    /// Width in cells.
    public var cols: Int
    /// Height in cells.
    public var rows: Int
    /// Width in pixels, or 0 when the terminal does not say.
    public var pixelWidth: Int
    /// Height in pixels, or 0 when the terminal does not say.
    public var pixelHeight: Int

    public init(cols: Int, rows: Int, pixelWidth: Int = 0, pixelHeight: Int = 0) {
        self.cols = cols
        self.rows = rows
        self.pixelWidth = pixelWidth
        self.pixelHeight = pixelHeight
    }

    /// The window size of the terminal on `descriptor` (default stdout), nil when it is not a terminal.
    public static func current(descriptor: Int32 = STDOUT_FILENO) -> TerminalWindowSize? {
        guard isatty(descriptor) == 1 else { return nil }
        var size = winsize()
        guard ioctl(descriptor, UInt(TIOCGWINSZ), &size) == 0, size.ws_col > 0, size.ws_row > 0 else { return nil }
        return TerminalWindowSize(cols: Int(size.ws_col), rows: Int(size.ws_row),
                                  pixelWidth: Int(size.ws_xpixel), pixelHeight: Int(size.ws_ypixel))
    }

    /// One cell's size in pixels derived from the window's pixel size, nil when that is unknown.
    public var cellPixelSize: CellPixelSize? {
        guard pixelWidth >= cols, pixelHeight >= rows, cols > 0, rows > 0 else { return nil }
        return CellPixelSize(width: pixelWidth / cols, height: pixelHeight / rows)
    }
}
