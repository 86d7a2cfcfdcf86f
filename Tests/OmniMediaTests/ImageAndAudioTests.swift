import Foundation
import XCTest
@testable import OmniMedia

final class ImageAndAudioTests: XCTestCase {
    var dir: URL!
    override func setUpWithError() throws { dir = try MediaFixtures.temporaryDirectory() }
    override func tearDownWithError() throws { try? FileManager.default.removeItem(at: dir) }

    func testPNGRoundTripIsLossless() throws {
        let image = MediaFixtures.movingPattern(3, width: 37, height: 21)
        let p = dir.appendingPathComponent("a.png").path
        try ImageFile.writePNG(image, to: p)
        XCTAssertEqual(try ImageFile.decode(p), image)
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: dir.path), ["a.png"])
    }

    func testResizeKeepsAFlatColour() throws {
        let image = RGBImage(width: 40, height: 30, fill: RGB(200, 100, 50))
        let small = try image.resized(width: 8, height: 6)
        XCTAssertEqual(small.width, 8)
        XCTAssertEqual(small.height, 6)
        for y in 0..<6 { for x in 0..<8 { XCTAssertEqual(small[x, y], RGB(200, 100, 50)) } }
    }

    func testFitCropAndLetterbox() throws {
        // A 100×50 picture: left half red, right half blue, a green column in the middle.
        let wide = RGBImage(width: 100, height: 50) { x, _ in
            (48...51).contains(x) ? RGB(0, 255, 0) : x < 50 ? RGB(255, 0, 0) : RGB(0, 0, 255)
        }
        let cropped = try wide.fitted(width: 32, height: 32, mode: .crop)
        XCTAssertEqual([cropped.width, cropped.height], [32, 32])
        XCTAssertGreaterThan(Int(cropped[2, 16].r), 200)   // still red on the left
        XCTAssertGreaterThan(Int(cropped[29, 16].b), 200)  // still blue on the right
        XCTAssertGreaterThan(Int(cropped[16, 16].g), 100)  // the middle stays in the middle

        let boxed = try wide.fitted(width: 32, height: 32, mode: .letterbox, border: RGB(9, 9, 9))
        XCTAssertEqual(boxed[16, 0], RGB(9, 9, 9))          // top border
        XCTAssertEqual(boxed[16, 31], RGB(9, 9, 9))         // bottom border
        XCTAssertGreaterThan(Int(boxed[2, 16].r), 200)
        XCTAssertGreaterThan(Int(boxed[29, 16].b), 200)
    }

    func testAudioTrackOfAVideoAndResamplingToSixteenKilohertz() throws {
        let p = dir.appendingPathComponent("clip.mp4").path
        // 44.1 kHz input in the file: the decoder must come back at 16 kHz with the same length.
        let tone = MediaFixtures.tone(seconds: 1.0, rate: 44_100)
        try MediaFixtures.writeClip(to: p, frames: 25, fps: 25, audio: tone)
        let clip = try AudioFile.decode(p)
        XCTAssertEqual(clip.sampleRate, 16_000)
        XCTAssertEqual(clip.duration, 1.0, accuracy: 0.04)
        let rms = (clip.samples.reduce(0) { $0 + Double($1 * $1) } / Double(clip.samples.count)).squareRoot()
        XCTAssertGreaterThan(rms, 0.15)
    }

    func testFFmpegLogsAreCapturedNotPrinted() throws {
        let p = dir.appendingPathComponent("garbage.mp4").path
        try Data((0..<4096).map { UInt8(truncatingIfNeeded: $0 &* 7919) }).write(to: URL(fileURLWithPath: p))
        final class Box: @unchecked Sendable { var lines: [String] = []; let lock = NSLock() }
        let box = Box()
        FFmpegLog.setSink { _, line in box.lock.lock(); box.lines.append(line); box.lock.unlock() }
        defer { FFmpegLog.setSink(nil) }
        XCTAssertThrowsError(try VideoReader(path: p))
        XCTAssertFalse(FFmpegLog.recentLines.isEmpty || box.lines.isEmpty, "FFmpeg said nothing about a garbage file")
    }
}
