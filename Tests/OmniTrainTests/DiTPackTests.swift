import Foundation
import OmniMedia
import OmniModel
import OmniTensor
import OmniWorld
@testable import OmniTrain
import XCTest

/// The pack the PyTorch DiT trainer reads: every tensor is what the Swift trainer would compute for the same clip,
/// and the trainer's audio rows are recovered from the stored own rows by the documented neighbour rule.
final class DiTPackTests: XCTestCase {
    var folder: String!
    override func setUpWithError() throws {
        folder = FileManager.default.temporaryDirectory.appendingPathComponent("dit-pack-\(UUID().uuidString)").path
    }
    override func tearDownWithError() throws { try? FileManager.default.removeItem(atPath: folder) }

    /// A deterministic stand-in for MiniLM: one row per word, the word's length and position.
    static func text(_ caption: String) -> Tensor {
        let words = caption.split(separator: " ").prefix(16)
        var values = [Float](repeating: 0, count: words.count * 384)
        for (i, w) in words.enumerated() { values[i * 384] = Float(w.count); values[i * 384 + 1] = Float(i) }
        return Tensor(values, shape: [words.count, 384])
    }

    func testPackHoldsEachClipsFramesPoseAudioAndCaption() throws {
        let config = ModelConfig.tiny
        let manifest = try DiTPack.build(config: config, seed: 3, clips: 4, seconds: 1, folder: folder, text: Self.text)
        XCTAssertEqual(manifest.buckets.reduce(0) { $0 + $1.clips.count }, 4)
        XCTAssertEqual(manifest.audioFrameWidth, config.audio.frameWidth)
        let reread = try JSONDecoder.snakeCase.decode(DiTPack.Manifest.self, from: Data(contentsOf: URL(fileURLWithPath: folder + "/pack.json")))
        XCTAssertEqual(reread, manifest)
        let captions = try SafetensorsFile(path: folder + "/captions.safetensors")
        let lengths = try captions.info("lengths"), states = try captions.info("states")
        XCTAssertEqual(lengths.shape, [manifest.captions.count])
        XCTAssertEqual(states.shape[0], manifest.captions.count)

        for bucket in manifest.buckets {
            let file = try SafetensorsFile(path: folder + "/" + bucket.file)
            let video = try file.rawBytes("video"), reference = try file.rawBytes("reference")
            let pose = try file.readFloats("pose"), audio = try file.readFloats("audio")
            let captionIndex = try file.rawBytes("caption")
            let size = FrameSize(width: bucket.width, height: bucket.height)
            for (k, seed) in bucket.clips.enumerated() {
                let clip = PuppetSamples.render(seed: seed, size: size, fps: config.video.fps, seconds: 1)
                let t = clip.frames.count, frameBytes = bucket.width * bucket.height * 3
                XCTAssertEqual(try file.info("video").shape, [bucket.clips.count, t, bucket.height, bucket.width, 3])
                XCTAssertEqual(Array(video[((k * t + 3) * frameBytes)..<((k * t + 4) * frameBytes)]), clip.frames[3].pixels)
                XCTAssertEqual(Array(reference[(k * frameBytes)..<((k + 1) * frameBytes)]), clip.reference.pixels)
                let joint = clip.pose.frames[5].keypoints[PoseJoint.rightWrist.rawValue]
                let stored = Array(pose[(((k * t + 5) * 18 + PoseJoint.rightWrist.rawValue) * 3)...].prefix(3))
                XCTAssertEqual(stored, joint.isPresent ? [joint.x, joint.y, joint.confidence] : [0, 0, 0])
                let index = Int(captionIndex[k * 8])
                XCTAssertEqual(manifest.captions[index], clip.caption)

                // The trainer's rows: own rows f − N … f + N joined, indices clamped — the Swift trainer's rows (F16).
                let features = try AudioConditioning.features(of: clip.audio, fps: Double(config.video.fps), config: config.audio)
                let width = config.audio.frameWidth, n = config.audio.neighbours
                for f in [0, t / 2, t - 1] {
                    var row: [Float] = []
                    for g in (f - n)...(f + n) {
                        let src = min(max(g, 0), t - 1)
                        row += audio[((k * t + src) * width)..<((k * t + src + 1) * width)]
                    }
                    let expected = features.windowRows(start: f, count: 1).values
                    for (a, b) in zip(row, expected) { XCTAssertEqual(a, b, accuracy: abs(b) * 1e-3 + 1e-3) }
                }
            }
        }
        XCTAssertThrowsError(try DiTPack.build(config: config, seed: 3, clips: 1, seconds: 1, folder: folder, text: Self.text)) {
            XCTAssertTrue("\($0)".contains("already holds a pack"), "\($0)")
        }
    }
}

extension JSONDecoder {
    static var snakeCase: JSONDecoder {
        let d = JSONDecoder()
        d.keyDecodingStrategy = .convertFromSnakeCase
        return d
    }
}
