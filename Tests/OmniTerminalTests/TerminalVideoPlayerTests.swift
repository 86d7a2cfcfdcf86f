import Foundation
import OmniMedia
@testable import OmniTerminal
import XCTest

/// `TerminalVideoPlayer` on a fake clock: frames at the video's rate, each drawn over the last, skipped when drawing
/// falls behind, looped until told to stop.
final class TerminalVideoPlayerTests: XCTestCase {
    var video: String!

    /// Ten 16×16 frames at 25 fps, each a different grey.
    override func setUpWithError() throws {
        video = FileManager.default.temporaryDirectory.appendingPathComponent("player-\(UUID().uuidString).mp4").path
        let writer = try VideoWriter(path: video, width: 16, height: 16, fps: 25)
        for t in 0..<10 { try writer.append(RGBImage(width: 16, height: 16, fill: RGB(UInt8(20 * t), 90, 160))) }
        try writer.finish()
    }

    override func tearDownWithError() throws { try? FileManager.default.removeItem(atPath: video) }

    final class Clock { var now = 100.0; var slept = 0.0 }

    let player = TerminalVideoPlayer(drawing: .symbols(ChafaSymbolRenderer(colorDepth: .truecolor)), cols: 8, maxRows: nil, loop: false)

    func count(_ needle: [UInt8], in bytes: [UInt8]) -> Int {
        guard bytes.count >= needle.count else { return 0 }
        return (0...(bytes.count - needle.count)).filter { Array(bytes[$0..<($0 + needle.count)]) == needle }.count
    }

    func testFramesAreDrawnAtTheVideosRateEachOverTheLast() throws {
        let clock = Clock()
        var out: [UInt8] = []
        let summary = try player.play(path: video, write: { out += $0 }, shouldStop: { false },
                                      clock: { clock.now }, sleep: { clock.now += $0; clock.slept += $0 })
        XCTAssertEqual(summary, .init(shown: 10, skipped: 0, passes: 1))
        XCTAssertEqual(clock.slept, 9.0 / 25, accuracy: 1e-9, "frame 9 is due 0.36 s after frame 0")
        let rows = CanvasSize.fitting(imageWidth: 16, imageHeight: 16, cols: 8).rows
        XCTAssertEqual(count(TerminalVideoPlayer.back(rows: rows), in: out), 9, "every frame after the first goes back up \(rows) rows")
        XCTAssertEqual(Array(out.prefix(TerminalVideoPlayer.hideCursor.count)), TerminalVideoPlayer.hideCursor)
        XCTAssertEqual(Array(out.suffix(TerminalVideoPlayer.showCursor.count)), TerminalVideoPlayer.showCursor)
        // The first frame's picture follows the hidden cursor, as `show` prints a still.
        let first = try XCTUnwrap(try VideoReader(path: video).nextFrame())
        let bytes = player.frameBytes(first, size: CanvasSize(cols: 8, rows: rows))
        XCTAssertEqual(Array(out[TerminalVideoPlayer.hideCursor.count..<(TerminalVideoPlayer.hideCursor.count + bytes.count)]), bytes)
    }

    /// Drawing that takes 2.5 frame periods: frames whose time has passed are skipped, so the video still ends on
    /// time instead of playing in slow motion.
    func testFramesThatFallBehindAreSkipped() throws {
        let clock = Clock()
        let start = clock.now
        // (Only pictures take time to draw; the cursor switches are a few bytes.)
        let summary = try player.play(path: video, write: { if $0.count > 16 { clock.now += 0.1 } }, shouldStop: { false },
                                      clock: { clock.now }, sleep: { clock.now += $0 })
        XCTAssertEqual(summary.shown + summary.skipped, 10)
        XCTAssertGreaterThan(summary.skipped, 3)
        XCTAssertGreaterThan(summary.shown, 2)
        XCTAssertLessThan(clock.now - start, 10.0 / 25 + 0.25, "ends within a drawing of the video's own length: \(summary)")
    }

    func testLoopPlaysAgainUntilStopped() throws {
        var looping = player
        looping.loop = true
        let clock = Clock()
        var shown = 0
        let summary = try looping.play(path: video, write: { _ in shown += 1 }, shouldStop: { shown > 25 },
                                       clock: { clock.now }, sleep: { clock.now += $0 })
        XCTAssertEqual(summary.passes, 2)
        XCTAssertEqual(summary.shown, 25, "two passes and five frames of the third (the hide-cursor write counts once)")
    }

    func testStopKeysAndUnreadableFiles() throws {
        for key in ["q", "Q"] { XCTAssertTrue(TerminalVideoPlayer.stops(UInt8(ascii: Unicode.Scalar(key)!))) }
        XCTAssertTrue(TerminalVideoPlayer.stops(0x1B))
        XCTAssertTrue(TerminalVideoPlayer.stops(0x03))
        for key in [" ", "x", "\n"] { XCTAssertFalse(TerminalVideoPlayer.stops(UInt8(ascii: Unicode.Scalar(key)!))) }
        let junk = FileManager.default.temporaryDirectory.appendingPathComponent("junk-\(UUID().uuidString).mp4").path
        try Data("not a video".utf8).write(to: URL(fileURLWithPath: junk))
        defer { try? FileManager.default.removeItem(atPath: junk) }
        XCTAssertThrowsError(try player.play(path: junk, write: { _ in }, shouldStop: { false }, clock: { 0 }, sleep: { _ in })) { error in
            XCTAssertTrue("\(error)".contains(junk), "\(error)")
        }
    }
}
