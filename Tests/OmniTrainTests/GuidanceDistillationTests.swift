import Foundation
import OmniModel
import OmniTensor
@testable import OmniTrain
import XCTest

/// Guidance distillation on the tiny config: the student starts as its teacher, reads the scales through its
/// guidance embedding, learns the teacher's guided velocity, has exact gradients, and its runs resume exactly.
final class GuidanceDistillationTests: TrainingTestCase {
    /// A teacher with non-zero head and pose output, so its velocities and their guided combinations are not zero.
    func teacher() -> OmniModelWeights {
        let weights = TrainingInitialization.fresh(config: .tiny, seed: 1)
        RandomWeights.fill(weights.dit.head, seed: 9)
        RandomWeights.fill(weights.poseGuider.convOut, seed: 10)
        return weights
    }

    func objective(student: OmniModelWeights, teacher: OmniModelWeights, config: ModelConfig, batch: Int = 2,
                   ratios: ConditionRatios = ConditionRatios()) throws -> GuidanceDistillationObjective {
        try GuidanceDistillationObjective(student: student, teacher: teacher, config: config, samples: Self.samples,
                                          ratios: ratios, batch: batch, audioScales: 1...4, textScales: 1...6, text: Self.text)
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
        let guided = objective.guidedVelocity(teacher, ex, d, s, inputs: inputs)
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
        let target = objective.guidedVelocity(teacher, ex, d, s, inputs: inputs)
        assertGradientsMatch(objective.parameters.filter { $0.key.hasPrefix("dit.samplingEmbedding") || $0.key.hasPrefix("dit.head") }) {
            objective.loss(ex, d, s, inputs: inputs, target: target, from: first)
        }
    }

    func distillRun(_ folder: String, steps: Int) throws -> TrainingRun {
        let teacher = teacher()
        let (config, student) = TrainingInitialization.student(of: teacher, config: .tiny, seed: 5)
        let objective = try objective(student: student, teacher: teacher, config: config)
        var state = TrainingState(kind: "distill", stage: 1, totalSteps: steps, seed: 3, hyperparameters: hyperparameters(),
                                  from: nil, config: config)
        state.teacher = "teacher"
        return try TrainingRun(folder: folder, fresh: state, objective: objective)
    }

    func testDistillationResumeEqualsUninterruptedRun() throws {
        try assertResumeIsExact({ try self.distillRun($0, steps: $1) }, steps: 4, stopAfter: 2, name: "distill")
        let folder = temporaryFolder("distill-export")
        XCTAssertEqual(try distillRun(folder, steps: 1).run(), .finished)
        XCTAssertTrue(try ModelConfig.load(folder: folder + "/model").dit.guidanceEmbedding, "the exported student says it reads guidance scales")
    }
}
