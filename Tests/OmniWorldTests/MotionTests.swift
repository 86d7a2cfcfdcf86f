import XCTest
import OmniMedia
@testable import OmniWorld

final class MotionTests: XCTestCase {
    let body = BodyProportions.standard
    let context = MotionContext(envelope: (0..<400).map { i in Float(max(0, sin(Double(i) / 6))) }, bpm: 120, beatOffset: 0.1)

    func joints(_ motion: Motion, _ t: Double) -> [Point2] { Skeleton.joints(motion.params(at: t, context: context), proportions: body) }

    func testEveryMotionMovesSmoothlyAndHasPhrases() {
        for kind in MotionKind.allCases {
            XCTAssertGreaterThanOrEqual(kind.phrases.count, 3, "\(kind)")
            let motion = Motion(kind: kind)
            var previous = joints(motion, 0)
            var travelled: Float = 0
            for step in 1...75 {
                let current = joints(motion, Double(step) / 25)
                for j in 0..<18 {
                    XCTAssertTrue(current[j].x.isFinite && current[j].y.isFinite)
                    let d = (current[j] - previous[j]).length
                    XCTAssertLessThan(d, 0.15, "\(kind) joint \(j) jumps at step \(step)")
                    travelled += d
                }
                previous = current
            }
            XCTAssertGreaterThan(travelled, 0.05, "\(kind) moves")
        }
    }

    func testWavingRaisesTheNamedHandAboveTheHead() {
        let right = joints(Motion(kind: .waveRight), 1), left = joints(Motion(kind: .waveLeft), 1)
        let nose = PoseJoint.nose.rawValue
        XCTAssertLessThan(right[PoseJoint.rightWrist.rawValue].y, right[nose].y)
        XCTAssertGreaterThan(right[PoseJoint.leftWrist.rawValue].y, right[nose].y)
        XCTAssertLessThan(left[PoseJoint.leftWrist.rawValue].y, left[nose].y)
        // The character's right is the image's left.
        XCTAssertLessThan(right[PoseJoint.rightWrist.rawValue].x, 0)
    }

    func testClapBringsTheHandsTogether() {
        let gaps = stride(from: 0.0, to: 1.0, by: 0.02).map { t -> Float in
            let j = joints(Motion(kind: .clap), t)
            return (j[PoseJoint.rightWrist.rawValue] - j[PoseJoint.leftWrist.rawValue]).length
        }
        XCTAssertLessThan(gaps.min()!, 0.03)
        XCTAssertGreaterThan(gaps.max()!, 0.06)
    }

    func testDanceBouncesOnTheBeat() {
        let dance = Motion(kind: .dance)
        for beat in 0..<4 {
            let t = 0.1 + Double(beat) * 0.5
            let on = dance.params(at: t, context: context).crouch, off = dance.params(at: t + 0.25, context: context).crouch
            XCTAssertGreaterThan(on, off + 0.2, "beat \(beat)")
        }
    }

    func testTalkGesturesFollowSpeechEnergy() {
        let quiet = MotionContext(envelope: [Float](repeating: 0, count: 300))
        let loud = MotionContext(envelope: [Float](repeating: 1, count: 300))
        let talk = Motion(kind: .talk)
        let still = talk.params(at: 1, context: quiet), busy = talk.params(at: 1, context: loud)
        XCTAssertGreaterThan(abs(busy.armBend[0] - still.armBend[0]), 0.4)
    }

    func testTimelineBlendsWithoutJumps() {
        let timeline = MotionTimeline(segments: [MotionSegment(motion: Motion(kind: .idle), start: 0),
                                                 MotionSegment(motion: Motion(kind: .raiseArms, variant: 1), start: 1)])
        var previous = Skeleton.joints(timeline.params(at: 0.9, context: context), proportions: body)
        for step in 1...20 {
            let current = Skeleton.joints(timeline.params(at: 0.9 + Double(step) * 0.04, context: context), proportions: body)
            for j in 0..<18 { XCTAssertLessThan((current[j] - previous[j]).length, 0.1, "joint \(j) at step \(step)") }
            previous = current
        }
        XCTAssertLessThan(previous[PoseJoint.rightWrist.rawValue].y, previous[PoseJoint.nose.rawValue].y, "arms end up raised")
    }

    func testCaptionsNameTheMotionsAndTheCharacter() {
        for seed in UInt64(0)..<12 {
            let spec = ClipSpec.random(seed: seed)
            let phrases = spec.timeline.segments.map { $0.motion.kind.phrases }
            for options in phrases { XCTAssertTrue(options.contains { spec.caption.contains($0) }, spec.caption) }
            XCTAssertTrue(spec.caption.lowercased().contains(spec.character.shirtName), spec.caption)
            XCTAssertTrue(spec.caption.hasSuffix("."))
        }
    }
}
