import Foundation
import OmniMedia
@testable import OmniWorld
import XCTest

/// The keypoint detector: shapes, a tiny training run, and the shipped weights on a rendered clip.
final class DetectorTests: XCTestCase {
    /// `Models/keypoint-detector` of this package.
    static var shippedFolder: String {
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("Models/keypoint-detector").path
    }

    func testForwardShapesOnEveryBucketAndSmallFrames() {
        let detector = KeypointDetector(seed: 3)
        let frames = [RGBImage(width: 64, height: 64), RGBImage(width: 48, height: 64), RGBImage(width: 64, height: 48),
                      RGBImage(width: 32, height: 32)]
        let out = detector.detect(frames)
        XCTAssertEqual(out.count, 4)
        for d in out {
            XCTAssertEqual(d.pose.keypoints.count, 18)
            XCTAssertEqual(d.features.count, 64)
            XCTAssertTrue(d.pose.keypoints.allSatisfy { $0.x.isFinite && $0.y.isFinite && $0.confidence > 0 && $0.confidence <= 1 })
        }
        // Canvas ↔ frame mapping round-trips for enlarged frames.
        let (cx, cy) = DetectorInput.toCanvas(10, 20, width: 32, height: 24)
        let (fx, fy) = DetectorInput.toFrame(cx, cy, width: 32, height: 24)
        XCTAssertEqual(fx, 10, accuracy: 1e-4); XCTAssertEqual(fy, 20, accuracy: 1e-4)
    }

    func testTinyTrainingRunLowersTheLoss() {
        let trainer = DetectorTrainer(steps: 24, batchSize: 8, seed: 5)
        let (_, losses) = trainer.train()
        let first = losses.prefix(4).reduce(0, +) / 4, last = losses.suffix(4).reduce(0, +) / 4
        XCTAssertLessThan(last, first * 0.8, "losses \(losses)")
    }

    func testSaveAndLoadRoundTrip() throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("det-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let detector = KeypointDetector(seed: 9)
        try detector.save(folder: folder, config: detector.config)
        let loaded = try KeypointDetector.load(folder: folder)
        let frame = WorldFixtures.clip(seed: 2, duration: 0.2).frames[0]
        let a = detector.detect([frame])[0].pose, b = loaded.detect([frame])[0].pose
        for (p, q) in zip(a.keypoints, b.keypoints) { XCTAssertEqual(p.x, q.x, accuracy: 0.05) }   // F16 weights
    }

    /// Render → detector → AKD: the shipped detector finds the joints the pose track drove.
    func testShippedDetectorFindsRenderedJoints() throws {
        guard FileManager.default.fileExists(atPath: Self.shippedFolder + "/" + KeypointDetector.weightsFile) else {
            throw XCTSkip("no shipped detector at \(Self.shippedFolder); run `omnistudio train detector`")
        }
        let detector = try KeypointDetector.load(folder: Self.shippedFolder)
        var predicted: [PoseFrame] = [], truth: [PoseFrame] = []
        for (i, size) in FrameSize.buckets.enumerated() {
            let clip = WorldFixtures.clip(seed: 77_000 + UInt64(i), size: size, duration: 0.4)
            predicted += detector.detect(clip.frames).map(\.pose)
            truth += clip.pose.frames
        }
        let akd = PoseMetrics.akd(detected: predicted, truth: truth)
        let pck = PCK.measure(predicted: predicted, truth: truth)
        XCTAssertLessThan(akd, 3, "AKD \(akd) px")
        XCTAssertGreaterThan(pck.value, 0.75, "PCK@0.1 \(pck.value)")
    }
}
