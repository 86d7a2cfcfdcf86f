import Foundation
import XCTest
@testable import OmniMedia

/// Every error case with a real broken file made by the test; each error names the file.
final class MediaErrorTests: XCTestCase {
    var dir: URL!

    override func setUpWithError() throws { dir = try MediaFixtures.temporaryDirectory() }
    override func tearDownWithError() throws { try? FileManager.default.removeItem(at: dir) }

    private func path(_ name: String) -> String { dir.appendingPathComponent(name).path }

    private func assertError(_ expression: @autoclosure () throws -> Any, _ check: (MediaError) -> Bool,
                             file: StaticString = #filePath, line: UInt = #line) {
        do {
            _ = try expression()
            XCTFail("expected an error", file: file, line: line)
        } catch let error as MediaError {
            XCTAssertTrue(check(error), "unexpected error: \(error)", file: file, line: line)
            XCTAssertTrue(error.description.hasPrefix(error.path + ": "), "message must start with the file: \(error)", file: file, line: line)
        } catch {
            XCTFail("not a MediaError: \(error)", file: file, line: line)
        }
    }

    func testMissingFile() {
        let p = path("nope.png")
        assertError(try ImageFile.decode(p)) { $0 == .notFound(path: p) }
        assertError(try AudioFile.decode(p)) { $0 == .notFound(path: p) }
        assertError(try VideoReader(path: p)) { $0 == .notFound(path: p) }
    }

    func testDirectory() {
        let p = dir.path
        assertError(try ImageFile.decode(p)) { $0 == .isDirectory(path: p) }
        assertError(try AudioFile.decode(p)) { $0 == .isDirectory(path: p) }
    }

    func testEmptyFile() throws {
        let p = path("empty.wav")
        XCTAssertTrue(FileManager.default.createFile(atPath: p, contents: Data()))
        assertError(try AudioFile.decode(p)) { $0 == .empty(path: p) }
        assertError(try ImageFile.decode(p)) { $0 == .empty(path: p) }
    }

    func testTextFileNamedPNG() throws {
        let p = path("notes.png")
        try "This is not a picture.\nJust some words in a text file.\n".write(toFile: p, atomically: true, encoding: .utf8)
        assertError(try ImageFile.decode(p)) { if case .corrupt(p, _) = $0 { return true }; return false }
    }

    func testTruncatedMP4() throws {
        let whole = path("whole.mp4")
        try MediaFixtures.writeClip(to: whole, frames: 50, fps: 25, audio: MediaFixtures.tone(seconds: 2))
        let data = try Data(contentsOf: URL(fileURLWithPath: whole))
        for (name, fraction) in [("head.mp4", 0.02), ("half.mp4", 0.5)] {
            let p = path(name)
            try data.prefix(Int(Double(data.count) * fraction)).write(to: URL(fileURLWithPath: p))
            assertError(try VideoReader(path: p).readAllFrames()) { if case .corrupt(p, _) = $0 { return true }; return false }
        }
    }

    func testVideoWithoutAudioPassedAsAudio() throws {
        let p = path("silent-video.mp4")
        try MediaFixtures.writeClip(to: p, frames: 10, fps: 25)
        assertError(try AudioFile.decode(p)) { $0 == .noAudioStream(path: p) }
        XCTAssertFalse(try VideoReader(path: p).hasAudio)
    }

    func testAudioFilePassedAsImage() throws {
        // A file with only an audio stream (a WAV, whatever its name says) passed where a picture is expected.
        let p = path("tone.mp4")
        try MediaFixtures.tone(seconds: 0.5).writeWAV(to: p)
        assertError(try ImageFile.decode(p)) { $0 == .noVideoStream(path: p) }
    }

    func testZeroLengthAudio() throws {
        let p = path("zero.wav")
        try AudioClip(samples: []).writeWAV(to: p)
        assertError(try AudioFile.decode(p)) { $0 == .emptyAudio(path: p) }
    }

    func testUnreadableFile() throws {
        if getuid() == 0 { throw XCTSkip("root can read any file") }
        let p = path("locked.png")
        try ImageFile.writePNG(RGBImage(width: 4, height: 4), to: p)
        chmod(p, 0)
        assertError(try ImageFile.decode(p)) { if case .notReadable(p, _) = $0 { return true }; return false }
    }
}
