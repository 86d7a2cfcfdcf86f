import XCTest
import OmniMedia
@testable import OmniWorld

final class SynthJobTests: XCTestCase {
    func testSynthWritesTheExpectedFiles() throws {
        let folder = NSTemporaryDirectory() + "omniworld-synth-\(getpid())-\(UInt32.random(in: 0...UInt32.max))"
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let job = SynthJob(clips: 2, seed: 4, duration: 0.4, sheet: true)
        let summary = try job.run(into: folder)
        XCTAssertEqual(summary.clips, 2)
        let top = Set(try FileManager.default.contentsOfDirectory(atPath: folder))
        XCTAssertEqual(top, ["clip_000", "clip_001", "clips.shard", "contact_sheet.png"])
        for i in 0..<2 {
            let clipFolder = folder + "/" + SynthJob.clipFolder(i)
            XCTAssertEqual(Set(try FileManager.default.contentsOfDirectory(atPath: clipFolder)), Set(ClipFiles.names))
            let spec = ClipSpec.random(seed: 4 + UInt64(i), duration: 0.4)
            let pose = try PoseTrack.load(clipFolder + "/pose.json")
            XCTAssertEqual(pose.frameCount, 10)
            XCTAssertEqual(pose, Clip.render(spec).pose)
            let caption = try String(contentsOfFile: clipFolder + "/caption.txt", encoding: .utf8)
            XCTAssertEqual(caption, spec.caption + "\n")
            let truth = try JSONDecoder().decode(ClipTruth.self, from: Data(contentsOf: URL(fileURLWithPath: clipFolder + "/truth.json")))
            XCTAssertEqual(truth.mouth.count, 10)
            XCTAssertEqual(truth.spec, spec)
            let reference = try ImageFile.decode(clipFolder + "/reference.png")
            XCTAssertEqual(reference, Clip.render(spec).reference)
            let video = try VideoReader(path: clipFolder + "/video.mp4")
            XCTAssertEqual(try video.readAllFrames().count, 10)
            XCTAssertGreaterThan(try AudioFile.decode(clipFolder + "/video.mp4").samples.count, 5000)
        }
        XCTAssertEqual(try ShardReader(path: folder + "/clips.shard").count, 2)
        let sheet = try ImageFile.decode(folder + "/contact_sheet.png")
        XCTAssertGreaterThan(sheet.width, 8 * 64)
    }
}
