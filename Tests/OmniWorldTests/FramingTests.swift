import XCTest
import OmniMedia
@testable import OmniWorld

final class FramingTests: XCTestCase {
    func testBucketsGiveTheRequestedSizes() {
        for size in FrameSize.buckets + [FrameSize(width: 128, height: 96)] {
            for framing in Framing.allCases {
                let clip = Clip.render(ClipSpec.random(seed: 5, framing: framing, size: size, duration: 0.08))
                XCTAssertEqual(clip.frames.count, 2)
                for frame in clip.frames + [clip.reference] { XCTAssertEqual([frame.width, frame.height], [size.width, size.height]) }
                XCTAssertEqual([clip.pose.width, clip.pose.height], [size.width, size.height])
            }
        }
        XCTAssertEqual(FrameSize(parsing: "48x64"), .portrait)
        XCTAssertNil(FrameSize(parsing: "50x64"))
        XCTAssertNil(FrameSize(parsing: "64"))
    }

    func testFramingsShowTheRightPartsOfTheBody() {
        let character = Character.random(seed: 3)
        for size in FrameSize.buckets {
            func pixels(_ framing: Framing) -> [Point2] {
                let camera = Camera.framing(framing, character: character, size: size)
                return Skeleton.joints(.neutral, proportions: character.proportions).map(camera.toPixels)
            }
            func inside(_ p: Point2) -> Bool { p.x >= 0 && p.y >= 0 && p.x < Float(size.width) && p.y < Float(size.height) }
            XCTAssertTrue(pixels(.full).allSatisfy(inside), "full body in \(size)")
            let half = pixels(.half)
            XCTAssertTrue(inside(half[PoseJoint.rightHip.rawValue]) && !inside(half[PoseJoint.rightAnkle.rawValue]), "half body in \(size)")
            let head = pixels(.head)
            XCTAssertTrue(inside(head[PoseJoint.nose.rawValue]) && !inside(head[PoseJoint.rightHip.rawValue]), "head in \(size)")
            // Closer framings make the head bigger.
            func eyeSpan(_ p: [Point2]) -> Float { (p[PoseJoint.leftEye.rawValue] - p[PoseJoint.rightEye.rawValue]).length }
            XCTAssertGreaterThan(eyeSpan(head), eyeSpan(half) * 1.3)
            XCTAssertGreaterThan(eyeSpan(half), eyeSpan(pixels(.full)) * 1.2)
        }
    }

    func testPoseTrackMarksJointsOutsideTheFrameMissing() {
        let clip = Clip.render(ClipSpec.random(seed: 8, framing: .head, duration: 0.2))
        let frame = clip.pose.frames[0]
        XCTAssertTrue(frame[.nose].isPresent)
        XCTAssertFalse(frame[.rightAnkle].isPresent)
        XCTAssertEqual(clip.pose.frameCount, clip.frames.count)
    }

    func testReferenceIsNeverAClipFrame() {
        for seed in UInt64(20)..<24 {
            let clip = WorldFixtures.clip(seed: seed, duration: 0.4)
            XCTAssertFalse(clip.frames.contains(clip.reference), "seed \(seed)")
            XCTAssertNotEqual(clip.referencePose, clip.pose.frames[0])
        }
    }
}
