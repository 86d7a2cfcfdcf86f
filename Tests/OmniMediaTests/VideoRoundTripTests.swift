import Foundation
import XCTest
@testable import OmniMedia

final class VideoRoundTripTests: XCTestCase {
    /// 50 frames (64×64, moving pattern) + 2.0 s of audio → MP4 → back: count, rate, audio length, quality.
    func testRoundTripKeepsEveryFrameTheRateAndTheAudio() throws {
        let dir = try MediaFixtures.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let path = dir.appendingPathComponent("clip.mp4").path
        let audio = MediaFixtures.tone(seconds: 2.0)
        let source = try MediaFixtures.writeClip(to: path, frames: 50, fps: 25, audio: audio)

        let reader = try VideoReader(path: path)
        XCTAssertEqual(reader.width, 64)
        XCTAssertEqual(reader.height, 64)
        XCTAssertEqual(reader.fps, 25, accuracy: 1e-9)
        XCTAssertEqual(reader.frameCount, 50)
        XCTAssertTrue(reader.hasAudio)
        let frames = try reader.readAllFrames()
        XCTAssertEqual(frames.count, 50)
        let psnrs = zip(frames, source).map { $0.psnr(against: $1) }
        let meanPSNR = psnrs.reduce(0, +) / Double(psnrs.count)
        print("round trip: mean PSNR \(meanPSNR) dB, worst \(psnrs.min()!) dB")
        XCTAssertGreaterThanOrEqual(meanPSNR, 30, "mean PSNR \(meanPSNR) dB")
        XCTAssertGreaterThan(psnrs.min()!, 25, "worst frame PSNR \(psnrs.min()!) dB")

        let decoded = try reader.readAudio()
        XCTAssertEqual(decoded.sampleRate, 16_000)
        XCTAssertEqual(decoded.duration, 2.0, accuracy: 1.0 / 25, "audio lasts \(decoded.duration) s")
        // The tone survives AAC: correlation with the source over the common span.
        let n = min(decoded.samples.count, audio.samples.count)
        var dot = 0.0, ea = 0.0, eb = 0.0
        for i in 0..<n {
            dot += Double(decoded.samples[i]) * Double(audio.samples[i])
            ea += Double(decoded.samples[i] * decoded.samples[i]); eb += Double(audio.samples[i] * audio.samples[i])
        }
        XCTAssertGreaterThan(dot / (ea * eb).squareRoot(), 0.9)

        // No temporary file is left next to the output.
        let names = try FileManager.default.contentsOfDirectory(atPath: dir.path)
        XCTAssertEqual(names, ["clip.mp4"])
    }

    /// ffprobe, when installed, agrees on the stream types and the frame count.
    func testFFprobeAgreesOnStreams() throws {
        guard let ffprobe = ["/usr/bin/ffprobe", "/usr/local/bin/ffprobe"].first(where: { FileManager.default.isExecutableFile(atPath: $0) }) else {
            throw XCTSkip("ffprobe is not installed")
        }
        let dir = try MediaFixtures.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let path = dir.appendingPathComponent("clip.mp4").path
        try MediaFixtures.writeClip(to: path, frames: 50, fps: 25, audio: MediaFixtures.tone(seconds: 2.0))
        let process = Process()
        process.executableURL = URL(fileURLWithPath: ffprobe)
        process.arguments = ["-v", "error", "-count_frames", "-show_entries", "stream=codec_type,codec_name,pix_fmt,nb_read_frames,r_frame_rate",
                             "-of", "compact=p=0:nk=0", path]
        let pipe = Pipe()
        process.standardOutput = pipe
        try process.run()
        process.waitUntilExit()
        let out = String(decoding: pipe.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        let lines = out.split(separator: "\n").map(String.init)
        XCTAssertEqual(lines.count, 2, out)
        XCTAssertTrue(lines.contains { $0.contains("codec_name=h264") && $0.contains("codec_type=video") && $0.contains("pix_fmt=yuv420p") && $0.contains("r_frame_rate=25/1") && $0.contains("nb_read_frames=50") }, out)
        XCTAssertTrue(lines.contains { $0.contains("codec_name=aac") && $0.contains("codec_type=audio") }, out)
    }

    func testOddSizesArePaddedToEven() throws {
        let dir = try MediaFixtures.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let path = dir.appendingPathComponent("odd.mp4").path
        let source = try MediaFixtures.writeClip(to: path, frames: 5, fps: 10, width: 63, height: 47)
        let reader = try VideoReader(path: path)
        XCTAssertEqual([reader.width, reader.height], [64, 48])
        let frames = try reader.readAllFrames()
        XCTAssertEqual(frames.count, 5)
        // The original area survives; the padding repeats the edge.
        let first = frames[0]
        var cropped = RGBImage(width: 63, height: 47)
        for y in 0..<47 { for x in 0..<63 { cropped[x, y] = first[x, y] } }
        XCTAssertGreaterThan(cropped.psnr(against: source[0]), 30)
    }

    func testCancelLeavesNothingAndFinishRenamesIntoPlace() throws {
        let dir = try MediaFixtures.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let path = dir.appendingPathComponent("cancelled.mp4").path
        let writer = try VideoWriter(path: path, width: 32, height: 32, fps: 25)
        try writer.append(MediaFixtures.movingPattern(0, width: 32, height: 32))
        // While writing, only a hidden temporary file exists.
        let during = try FileManager.default.contentsOfDirectory(atPath: dir.path)
        XCTAssertEqual(during.count, 1)
        XCTAssertTrue(during[0].hasPrefix(".cancelled.mp4.tmp-"), during[0])
        writer.cancel()
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: dir.path), [])
        XCTAssertThrowsError(try writer.append(MediaFixtures.movingPattern(1, width: 32, height: 32)))

        // A writer dropped without finish() removes its file too.
        do {
            let dropped = try VideoWriter(path: path, width: 32, height: 32, fps: 25)
            try dropped.append(MediaFixtures.movingPattern(0, width: 32, height: 32))
        }
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: dir.path), [])
    }

    func testWrongFrameSizeIsRejected() throws {
        let dir = try MediaFixtures.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let writer = try VideoWriter(path: dir.appendingPathComponent("x.mp4").path, width: 32, height: 32, fps: 25)
        XCTAssertThrowsError(try writer.append(RGBImage(width: 16, height: 32))) { error in
            XCTAssertTrue("\(error)".contains("16×32"), "\(error)")
        }
        writer.cancel()
    }
}
