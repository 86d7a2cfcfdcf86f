import Foundation
import OmniModel
import OmniTensor
@testable import OmniTrain
import XCTest

/// Distillation on the tiny config: a student starts as its teacher, reads its controls through its sampling
/// embedding, learns the teacher's guided velocity (guidance) and two-half-step shortcuts (shortcut), has exact
/// gradients, and its runs resume exactly.
final class DistillationTests: TrainingTestCase {
    /// A teacher with non-zero head and pose output, so its velocities and their guided combinations are not zero.
    func teacher() -> OmniModelWeights {
        let weights = TrainingInitialization.fresh(config: .tiny, seed: 1)
        RandomWeights.fill(weights.dit.head, seed: 9)
        RandomWeights.fill(weights.poseGuider.convOut, seed: 10)
        return weights
    }

    func objective(student: OmniModelWeights, teacher: OmniModelWeights, config: ModelConfig, batch: Int = 2,
                   ratios: ConditionRatios = ConditionRatios(), method: DistillationObjective.Method = .guidance) throws -> DistillationObjective {
        try DistillationObjective(student: student, teacher: teacher, config: config, samples: Self.samples, ratios: ratios,
                                  batch: batch, method: method, audioScales: 1...4, textScales: 1...6, text: Self.text)
    }

    func testAFreshStudentIsItsTeacherWithEveryGuidedConditionOn() throws {
        let teacher = teacher()
        let (config, student) = TrainingInitialization.student(of: teacher, config: .tiny, seed: 5)
        XCTAssertTrue(config.dit.guidanceEmbedding)
        XCTAssertNotNil(student.dit.samplingEmbedding)
        let objective = try objective(student: student, teacher: teacher, config: config,
                                      ratios: .init(reference: 1, text: 1, audio: 1, pose: 1, motion: 0))
        var profile = TrainingProfile()
        let ex = try objective.examples.example(step: 0, index: 0, perStep: 1, profile: &profile)
        let d = objective.examples.draws(step: 0, index: 0)
        let (inputs, _, _) = objective.examples.inputs(ex, d, poseGuider: teacher.poseGuider)
        let conditional = teacher.dit.velocityUncached(inputs: inputs, sigmas: [d.sigma], passes: [(true, true)],
                                                       referenceLatent: ex.reference, textStates: ex.textStates, audioFeatures: ex.audio)
        for scales in [SamplingControls(audio: 3, text: 5), .neutral] {
            let v = student.dit.velocityUncached(inputs: inputs, sigmas: [d.sigma], passes: [(true, true)], controls: [scales],
                                                 referenceLatent: ex.reference, textStates: ex.textStates, audioFeatures: ex.audio)
            XCTAssertEqual(v.values, conditional.values, "scales \(scales)")
        }
        // The distillation target differs from the conditional velocity (guidance does something), so the loss
        // starts above zero.
        let s = SamplingControls(audio: 3, text: 5)
        let guided = objective.teacherVelocity(ex, d, s, inputs: inputs)
        XCTAssertGreaterThan(zip(guided.values, conditional.values).map { abs($0 - $1) }.max()!, 1e-3)
    }

    func testTheStudentReadsTheScales() throws {
        let (config, student) = TrainingInitialization.student(of: teacher(), config: .tiny, seed: 5)
        RandomWeights.fill(student.dit.samplingEmbedding!, seed: 11)   // trained-like: non-zero output layers
        let inputs = Tensor(uninitialized: [1, 2, 8, 8, student.dit.inputChannels])
        RandomStream(seed: 2).fillNormal(inputs.buffer)
        func v(_ s: SamplingControls) -> [Float] {
            student.dit.velocityUncached(inputs: inputs, sigmas: [0.5], passes: [(false, false)], controls: [s],
                                         referenceLatent: nil, textStates: nil, audioFeatures: nil).values
        }
        XCTAssertNotEqual(v(.init(audio: 1, text: 1)), v(.init(audio: 1, text: 4)))
        XCTAssertNotEqual(v(.init(audio: 1, text: 1)), v(.init(audio: 3, text: 1)))
        XCTAssertEqual(config.dit.guidanceEmbedding, true)
    }

    func testDistillationLossFallsOnAFixedBatch() throws {
        let teacher = teacher()
        let (config, student) = TrainingInitialization.student(of: teacher, config: .tiny, seed: 5)
        let objective = try objective(student: student, teacher: teacher, config: config,
                                      ratios: .init(reference: 1, text: 1, audio: 1, pose: 1, motion: 0.5))
        let (first, last) = try overfit(objective, steps: 40, learningRate: 3e-3)
        XCTAssertLessThan(last, first * 0.5, "first \(first), last \(last)")   // measured: 9.0e-4 → 3.0e-4
    }

    func testDistillationGradientMatchesFiniteDifferences() throws {
        let teacher = teacher()
        let (config, student) = TrainingInitialization.student(of: teacher, config: .tiny, seed: 5)
        RandomWeights.fill(student.dit.samplingEmbedding!, seed: 11)
        let objective = try objective(student: student, teacher: teacher, config: config, batch: 1,
                                      ratios: .init(reference: 1, text: 1, audio: 1, pose: 1, motion: 1))
        var profile = TrainingProfile()
        let ex = try objective.examples.example(step: 0, index: 0, perStep: 1, profile: &profile)
        let d = objective.examples.draws(step: 0, index: 0)
        let s = SamplingControls(audio: 2.5, text: 4)
        let (inputs, _, first) = objective.examples.inputs(ex, d, poseGuider: teacher.poseGuider)
        let target = objective.teacherVelocity(ex, d, s, inputs: inputs)
        assertGradientsMatch(objective.parameters.filter { $0.key.hasPrefix("dit.samplingEmbedding") || $0.key.hasPrefix("dit.head") }) {
            objective.loss(ex, d, s, inputs: inputs, target: target, from: first)
        }
    }

    func distillRun(_ folder: String, steps: Int, shortcut: Bool = false) throws -> TrainingRun {
        let teacher = teacher()
        let (config, student) = TrainingInitialization.student(of: teacher, config: .tiny, steps: shortcut, seed: 5)
        let objective = try objective(student: student, teacher: teacher, config: config,
                                      method: shortcut ? .shortcut(maxSteps: 8, shift: 3, bootstrap: 0.5) : .guidance)
        var state = TrainingState(kind: "distill", stage: shortcut ? 2 : 1, totalSteps: steps, seed: 3, hyperparameters: hyperparameters(),
                                  from: nil, config: config)
        state.teacher = "teacher"
        return try TrainingRun(folder: folder, fresh: state, objective: objective)
    }

    func testDistillationResumeEqualsUninterruptedRun() throws {
        try assertResumeIsExact({ try self.distillRun($0, steps: $1) }, steps: 4, stopAfter: 2, name: "distill")
        try assertResumeIsExact({ try self.distillRun($0, steps: $1, shortcut: true) }, steps: 4, stopAfter: 2, name: "shortcut")
        let folder = temporaryFolder("distill-export")
        XCTAssertEqual(try distillRun(folder, steps: 1, shortcut: true).run(), .finished)
        let exported = try ModelConfig.load(folder: folder + "/model")
        XCTAssertTrue(exported.dit.guidanceEmbedding && exported.dit.stepEmbedding, "the exported student says what it reads")
    }

    // MARK: - Shortcuts

    /// A shortcut student made from a plain teacher or from a guidance student is exactly that model at every step
    /// size until trained.
    func testAFreshShortcutStudentIsItsTeacherAtEveryStepSize() throws {
        let teacher = teacher()
        let (guidanceConfig, guidance) = TrainingInitialization.student(of: teacher, config: .tiny, seed: 5)
        RandomWeights.fill(guidance.dit.samplingEmbedding!, seed: 12)   // a trained guidance student
        let (config, student) = TrainingInitialization.student(of: guidance, config: guidanceConfig, steps: true, fastSteps: 3, seed: 6)
        XCTAssertTrue(config.dit.stepEmbedding)
        XCTAssertEqual(config.sampling.fastSteps, 3, "speed = fast runs the steps it was distilled for")
        XCTAssertEqual(config.sampling.speed, .fast, "and runs them when a request names no speed")
        XCTAssertNil(guidanceConfig.sampling.speed)
        XCTAssertNil(guidanceConfig.sampling.fastSteps, "a guidance student has no fast sampler")
        XCTAssertNil(guidance.dit.samplingEmbedding!.step)
        let inputs = Tensor(uninitialized: [1, 2, 8, 8, student.dit.inputChannels])
        RandomStream(seed: 2).fillNormal(inputs.buffer)
        let scales = SamplingControls(audio: 2, text: 3)
        let expected = guidance.dit.velocityUncached(inputs: inputs, sigmas: [0.7], passes: [(false, false)], controls: [scales],
                                                     referenceLatent: nil, textStates: nil, audioFeatures: nil)
        for stepSize: Float in [0, 1.0 / 32, 0.25, 1] {
            var c = scales
            c.stepSize = stepSize
            let v = student.dit.velocityUncached(inputs: inputs, sigmas: [0.7], passes: [(false, false)], controls: [c],
                                                 referenceLatent: nil, textStates: nil, audioFeatures: nil)
            XCTAssertEqual(v.values, expected.values, "step size \(stepSize)")
        }
    }

    /// On the finest grid a shortcut's target is two Euler half-steps of the teacher's guided velocity, worked out
    /// here by hand; below it the half-steps are the student's own.
    func testShortcutTargetsAreTwoHalfSteps() throws {
        let teacher = teacher()
        let (config, student) = TrainingInitialization.student(of: teacher, config: .tiny, steps: true, seed: 5)
        RandomWeights.fill(student.dit.samplingEmbedding!, seed: 13)
        let objective = try objective(student: student, teacher: teacher, config: config, batch: 1,
                                      ratios: .init(reference: 1, text: 1, audio: 1, pose: 1, motion: 0),
                                      method: .shortcut(maxSteps: 8, shift: 3, bootstrap: 1))
        var profile = TrainingProfile()
        let ex = try objective.examples.example(step: 0, index: 0, perStep: 1, profile: &profile)
        let s = SamplingControls(audio: 2, text: 3)
        for m in [4, 2] {
            let grid = FlowSchedule(steps: 2 * m, shift: 3).sigmas
            var d = objective.examples.draws(step: 0, index: 0)
            d.sigma = Float(grid[2])
            let (inputs, noise, _) = objective.examples.inputs(ex, d, poseGuider: teacher.poseGuider)
            let target = try objective.shortcutTarget(ex, d, s, inputs: inputs, noise: noise, steps: m, sigmas: Array(grid[2...4]))
            let z = ex.target.shape[4], c = inputs.shape[4]
            func half(_ inputs: Tensor, _ sigma: Float) -> Tensor {
                if m == 4 { return objective.teacherVelocity(ex, d, s, inputs: inputs, sigma: sigma) }
                var h = s
                h.stepSize = 1 / Float(2 * m)
                return student.dit.velocityUncached(inputs: inputs, sigmas: [sigma], passes: [(true, true)], controls: [h],
                                                    referenceLatent: ex.reference, textStates: ex.textStates, audioFeatures: ex.audio)
            }
            let (a, b, e) = (Float(grid[2]), Float(grid[3]), Float(grid[4]))
            let xa = inputs.slice(axis: 4, 0..<z)
            let xb = FlowMatchSampler.combine(xa, 1, half(inputs, a), b - a)
            let xc = FlowMatchSampler.combine(xb, 1, half(Tensor.concat([xb, inputs.slice(axis: 4, z..<c)], axis: -1), b), e - b)
            let expected = zip(xc.values, xa.values).map { ($0 - $1) / (e - a) }
            for (x, y) in zip(target.values, expected) { XCTAssertEqual(x, y, accuracy: 1e-4 * max(1, abs(y)), "M = \(m)") }
        }
    }

    /// On a reference-start sample the midpoint's motion slot is pinned to the held reference's path — whose
    /// latents hold only the motion frames (this once failed a shape precondition).
    func testShortcutTargetPinsTheHeldReferenceOnAReferenceStartSample() throws {
        let teacher = teacher()
        let (config, student) = TrainingInitialization.student(of: teacher, config: .tiny, steps: true, seed: 5)
        let objective = try objective(student: student, teacher: teacher, config: config, batch: 1,
                                      ratios: .init(reference: 1, text: 1, audio: 1, pose: 1, motion: 1, referenceStart: 1),
                                      method: .shortcut(maxSteps: 8, shift: 3, bootstrap: 1))
        var profile = TrainingProfile()
        let ex = try objective.examples.example(step: 0, index: 0, perStep: 1, profile: &profile)
        let held = try XCTUnwrap(ex.referenceStart)
        let s = SamplingControls(audio: 2, text: 3)
        let grid = FlowSchedule(steps: 8, shift: 3).sigmas
        var d = objective.examples.draws(step: 0, index: 0)
        XCTAssertTrue(d.motionOn && d.referenceStart)
        d.sigma = Float(grid[2])
        let (inputs, noise, first) = objective.examples.inputs(ex, d, poseGuider: teacher.poseGuider)
        XCTAssertGreaterThan(first, 0)
        let target = try objective.shortcutTarget(ex, d, s, inputs: inputs, noise: noise, steps: 4, sigmas: Array(grid[2...4]))
        let z = ex.target.shape[4], c = inputs.shape[4]
        let count = objective.examples.motionLatentFrames * ex.target.shape[2] * ex.target.shape[3] * z
        XCTAssertLessThan(count, ex.target.count)
        XCTAssertEqual(held.count, count)
        let (a, b, e) = (Float(grid[2]), Float(grid[3]), Float(grid[4]))
        let xa = inputs.slice(axis: 4, 0..<z)
        let xb = FlowMatchSampler.combine(xa, 1, objective.teacherVelocity(ex, d, s, inputs: inputs, sigma: a), b - a)
        for i in 0..<count { xb.data[i] = (1 - b) * held.data[i] + b * noise.data[i] }
        let vb = objective.teacherVelocity(ex, d, s, inputs: Tensor.concat([xb, inputs.slice(axis: 4, z..<c)], axis: -1), sigma: b)
        let xc = FlowMatchSampler.combine(xb, 1, vb, e - b)
        let expected = zip(xc.values, xa.values).map { ($0 - $1) / (e - a) }
        for (x, y) in zip(target.values, expected) { XCTAssertEqual(x, y, accuracy: 1e-4 * max(1, abs(y))) }
    }

    func testShortcutLossFallsOnAFixedBatch() throws {
        let teacher = teacher()
        let (config, student) = TrainingInitialization.student(of: teacher, config: .tiny, steps: true, seed: 5)
        let objective = try objective(student: student, teacher: teacher, config: config,
                                      ratios: .init(reference: 1, text: 1, audio: 1, pose: 1, motion: 0.5),
                                      method: .shortcut(maxSteps: 4, shift: 3, bootstrap: 1))
        let (first, last) = try overfit(objective, steps: 40, learningRate: 3e-3)
        XCTAssertLessThan(last, first * 0.5, "first \(first), last \(last)")
    }
}
