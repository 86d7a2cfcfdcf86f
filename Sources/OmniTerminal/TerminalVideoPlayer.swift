import Foundation
import OmniMedia

/// Plays a video in the terminal at its own frame rate: each frame is drawn over the previous one (the cursor goes
/// back up the picture's rows), a frame whose time has passed while the previous one was drawn is skipped rather than
/// shown late, and playback ends at the last frame, with `loop` starts again, or stops as soon as `shouldStop` says
/// so (checked before every frame). Effects come in as closures — output, clock, sleep — so tests play a video on a
/// fake clock. Units: `cols`/`maxRows` are terminal cells; times are seconds on `clock`'s monotonic scale.
public struct TerminalVideoPlayer {
    /// How each frame becomes bytes: coloured symbols, or a graphics protocol payload.
    public enum Drawing {
        case symbols(ChafaSymbolRenderer)
        case graphics(ChafaGraphicsEncoder, tmux: Bool)
    }

    /// What a playback did: frames drawn, frames skipped to keep time, and complete passes over the video.
    public struct Summary: Equatable, Sendable {
        public var shown = 0
        public var skipped = 0
        public var passes = 0
    }

    public var drawing: Drawing
    public var cols: Int
    /// Rows the picture may take (nil: from the aspect ratio).
    public var maxRows: Int?
    public var loop: Bool

    public init(drawing: Drawing, cols: Int, maxRows: Int?, loop: Bool) {
        self.drawing = drawing; self.cols = cols; self.maxRows = maxRows; self.loop = loop
    }

    /// The bytes of one frame on `size` cells, ending on the line below the picture.
    public func frameBytes(_ image: RGBImage, size: CanvasSize) -> [UInt8] {
        switch drawing {
        case .symbols(let renderer):
            return Array(renderer.render(image, size: size).ansi().utf8)
        case .graphics(let encoder, let tmux):
            var payload = encoder.payload(for: image, size: size)
            if tmux { payload = TmuxPassthrough.wrap(payload) }
            payload.append(UInt8(ascii: "\n"))
            return payload
        }
    }

    func canvasSize(for image: RGBImage) -> CanvasSize {
        switch drawing {
        case .symbols(let renderer): return renderer.canvasSize(for: image, cols: cols, rows: maxRows)
        case .graphics(let encoder, _): return encoder.canvasSize(for: image, cols: cols, rows: maxRows)
        }
    }

    /// Cursor up `rows` lines to the picture's first column (CUU, then CR).
    static func back(rows: Int) -> [UInt8] { Array("\u{1B}[\(rows)A\r".utf8) }
    static let hideCursor = Array("\u{1B}[?25l".utf8), showCursor = Array("\u{1B}[?25h".utf8)

    /// Plays the video at `path`, opened afresh for each pass (frames are decoded as they are shown, so a long
    /// video needs no more memory than a short one). A video whose frame rate is unknown plays at 25 fps.
    public func play(path: String, write: ([UInt8]) -> Void, shouldStop: () -> Bool, clock: () -> Double,
                     sleep: (Double) -> Void) throws(MediaError) -> Summary {
        var summary = Summary()
        var drawnRows: Int?
        write(Self.hideCursor)
        defer { write(Self.showCursor) }
        repeat {
            let reader = try VideoReader(path: path)
            let period = 1 / (reader.fps > 0 ? reader.fps : 25)
            let start = clock()
            var index = 0
            while let frame = try reader.nextFrame() {
                if shouldStop() { return summary }
                let due = start + Double(index) * period
                index += 1
                // Behind by more than a frame: skip this one (the first frame of a pass is always drawn).
                if index > 1 && clock() > due + period { summary.skipped += 1; continue }
                let wait = due - clock()
                if wait > 0 { sleep(wait) }
                let size = canvasSize(for: frame)
                var bytes = drawnRows.map { Self.back(rows: $0) } ?? []
                bytes += frameBytes(frame, size: size)
                write(bytes)
                drawnRows = size.rows
                summary.shown += 1
            }
            if index == 0 { throw .corrupt(path: path, reason: "the video has no frames") }
            summary.passes += 1
        } while loop && !shouldStop()
        return summary
    }

    /// Whether a key read from the terminal stops playback: q, Q, Esc or Ctrl-C.
    public static func stops(_ byte: UInt8) -> Bool { [UInt8(ascii: "q"), UInt8(ascii: "Q"), 0x1B, 0x03].contains(byte) }
}
