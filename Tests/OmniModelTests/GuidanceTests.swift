import XCTest
@testable import OmniModel

final class GuidanceTests: XCTestCase {
    /// Fake velocities, one distinct value per condition set, so the combination can be checked exactly.
    func v(text: Bool, audio: Bool) -> Double { 1.0 + (text ? 10 : 0) + (audio ? 100 : 0) }

    func combine(_ plan: GuidancePlan, step: Int, steps: Int) -> Double {
        plan.passes(step: step, of: steps).reduce(0) { $0 + $1.weight * v(text: $1.textOn, audio: $1.audioOn) }
    }

    func testPassCountsForEverySwitchboardCombination() {
        // (hasText, hasAudio, s_x, s_a) → passes per step
        let cases: [(Bool, Bool, Double, Double, Int)] = [
            (true, true, 4, 2.5, 3), (true, true, 1, 2.5, 2), (true, true, 4, 1, 2), (true, true, 1, 1, 1),
            (true, false, 4, 2.5, 2), (true, false, 1, 2.5, 1),
            (false, true, 4, 2.5, 2), (false, true, 4, 1, 1),
            (false, false, 4, 2.5, 1),
            (true, true, 2.5, 2.5, 2),   // s_x = s_a: the (∅a, x) pass has weight 0
        ]
        for (x, a, sx, sa, count) in cases {
            let plan = GuidancePlan(hasText: x, hasAudio: a, textScale: sx, audioStart: sa, audioEnd: sa, annealing: .constant)
            XCTAssertEqual(plan.passes(step: 0, of: 10).count, count, "text \(x) audio \(a) s_x \(sx) s_a \(sa)")
            XCTAssertEqual(plan.passes(step: 0, of: 10).reduce(0) { $0 + $1.weight }, 1, accuracy: 1e-12)
        }
    }

    func testCombinationFollowsTheFormula() {
        for (sx, sa) in [(4.0, 2.5), (1.0, 3.0), (3.0, 1.0), (1.0, 1.0), (0.5, 7.0), (2.5, 2.5)] {
            let plan = GuidancePlan(hasText: true, hasAudio: true, textScale: sx, audioStart: sa, audioEnd: sa, annealing: .constant)
            let formula = v(text: false, audio: false) + sx * (v(text: true, audio: false) - v(text: false, audio: false))
                + sa * (v(text: true, audio: true) - v(text: true, audio: false))
            if sa == 1 {
                // Audio stays on in every pass: v(a,∅x) + s_x·(v(a,x) − v(a,∅x)).
                let expected = v(text: false, audio: true) + sx * (v(text: true, audio: true) - v(text: false, audio: true))
                XCTAssertEqual(combine(plan, step: 0, steps: 5), expected, accuracy: 1e-9)
            } else {
                XCTAssertEqual(combine(plan, step: 0, steps: 5), formula, accuracy: 1e-9, "s_x \(sx) s_a \(sa)")
            }
        }
        // Audio only, text only.
        let audioOnly = GuidancePlan(hasText: false, hasAudio: true, textScale: 9, audioStart: 3, audioEnd: 3, annealing: .constant)
        XCTAssertEqual(combine(audioOnly, step: 0, steps: 5), v(text: false, audio: false) + 3 * (v(text: false, audio: true) - v(text: false, audio: false)), accuracy: 1e-9)
        let textOnly = GuidancePlan(hasText: true, hasAudio: false, textScale: 4, audioStart: 3, audioEnd: 3, annealing: .constant)
        XCTAssertEqual(combine(textOnly, step: 0, steps: 5), v(text: false, audio: false) + 4 * (v(text: true, audio: false) - v(text: false, audio: false)), accuracy: 1e-9)
        XCTAssertTrue(textOnly.passes(step: 0, of: 5).allSatisfy { !$0.audioOn })
    }

    func testAudioAnnealing() {
        XCTAssertEqual(AnnealingCurve.linear.value(start: 6, end: 2, step: 0, of: 5), 6)
        XCTAssertEqual(AnnealingCurve.linear.value(start: 6, end: 2, step: 2, of: 5), 4)
        XCTAssertEqual(AnnealingCurve.linear.value(start: 6, end: 2, step: 4, of: 5), 2)
        XCTAssertEqual(AnnealingCurve.cosine.value(start: 6, end: 2, step: 2, of: 5), 4, accuracy: 1e-12)
        XCTAssertEqual(AnnealingCurve.cosine.value(start: 6, end: 2, step: 1, of: 5), 2 + 4 * 0.5 * (1 + cos(.pi / 4)), accuracy: 1e-12)
        XCTAssertEqual(AnnealingCurve.constant.value(start: 6, end: 2, step: 4, of: 5), 6)
        // Annealed to exactly 1 at the last step: that step drops the audio-unconditional pass.
        let plan = GuidancePlan(hasText: true, hasAudio: true, textScale: 4, audioStart: 3, audioEnd: 1, annealing: .linear)
        XCTAssertEqual(plan.passes(step: 0, of: 3).count, 3)
        XCTAssertEqual(plan.passes(step: 2, of: 3).count, 2)
    }

    func testShiftedSchedule() {
        let s = FlowSchedule(steps: 4, shift: 3)
        XCTAssertEqual(s.sigmas.first, 1)
        XCTAssertEqual(s.sigmas.last, 0)
        XCTAssertEqual(s.sigmas[2], 3 * 0.5 / (1 + 2 * 0.5), accuracy: 1e-12)   // 0.75
        XCTAssertEqual(FlowSchedule(steps: 4, shift: 1).sigmas, [1, 0.75, 0.5, 0.25, 0])
        XCTAssertTrue(zip(s.sigmas, s.sigmas.dropFirst()).allSatisfy { $0 > $1 })
    }
}
