import XCTest
@testable import OmniModel

final class SegmentPlanTests: XCTestCase {
    func testThreeSecondsAtTwentyFiveFPS() {
        let plan = SegmentPlan(totalFrames: 75, segmentFrames: 25, motionFrames: 5)
        XCTAssertEqual(plan.segments.count, 4)
        XCTAssertEqual(plan.segments.map(\.firstFrame), [0, 20, 40, 60])
        XCTAssertEqual(plan.segments.map(\.kept), [0..<25, 5..<25, 5..<25, 5..<15])
        XCTAssertEqual(plan.segments.map(\.hasMotion), [false, true, true, true])
        // Every frame is written exactly once, in order.
        let written = plan.segments.flatMap { s in s.kept.map { s.firstFrame + $0 } }
        XCTAssertEqual(written, Array(0..<75))
    }

    func testShortAndExactLengths() {
        XCTAssertEqual(SegmentPlan(totalFrames: 1, segmentFrames: 25, motionFrames: 5).segments.map(\.kept), [0..<1])
        XCTAssertEqual(SegmentPlan(totalFrames: 25, segmentFrames: 25, motionFrames: 5).segments.count, 1)
        XCTAssertEqual(SegmentPlan(totalFrames: 26, segmentFrames: 25, motionFrames: 5).segments.map(\.kept), [0..<25, 5..<6])
        for n in 1...200 {
            let plan = SegmentPlan(totalFrames: n, segmentFrames: 9, motionFrames: 5)
            XCTAssertEqual(plan.segments.flatMap { s in s.kept.map { s.firstFrame + $0 } }, Array(0..<n))
        }
    }
}
