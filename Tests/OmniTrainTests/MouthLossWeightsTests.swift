import OmniMedia
import OmniModel
import OmniTensor
@testable import OmniTrain
import OmniWorld
import XCTest

/// The mouth-favouring loss weights: where they fall (the eval's mouth box, per latent frame), what they leave alone,
/// and that a DiT run with `mouthWeight` trains on them.
final class MouthLossWeightsTests: TrainingTestCase {
    func testWeightsCoverTheMouthBoxOfTheFramesEachLatentFrameCovers() {
        let spec = ClipSpec.random(seed: 41, framing: .head, size: .square, duration: 1)
        let clip = Clip.render(spec)
        let poses = Array(clip.pose.frames[0..<9])
        let w = MouthLossWeights.weights(poses: poses, width: 64, height: 64, latentFrames: 3, temporalFactor: 4, spatialFactor: 4, weight: 5)
        XCTAssertEqual(w.shape, [1, 3, 16, 16, 1])
        XCTAssertEqual(Set(w.values), [1, 6])
        for (k, frames) in [(0, [0]), (1, [1, 2, 3, 4]), (2, [5, 6, 7, 8])] {
            var expected = Set<Int>()
            for f in frames {
                let (x0, y0, x1, y1) = SyncMetric.mouthBox(poses[f], width: 64, height: 64)
                for i in (y0 / 4)...(y1 / 4) { for j in (x0 / 4)...(x1 / 4) { expected.insert(i * 16 + j) } }
            }
            let weighted = Set((0..<256).filter { w.values[k * 256 + $0] == 6 })
            XCTAssertEqual(weighted, expected, "latent frame \(k)")
            XCTAssertFalse(weighted.isEmpty)
            XCTAssertLessThan(weighted.count, 40, "a head-framed mouth is a small part of the frame")
        }
        // A face the joints do not show adds nothing.
        let none = MouthLossWeights.weights(poses: [.missing], width: 64, height: 64, latentFrames: 1,
                                            temporalFactor: 4, spatialFactor: 4, weight: 5)
        XCTAssertEqual(Set(none.values), [1])
        var earless = poses[0]
        earless[.leftEar] = .missing
        let partial = MouthLossWeights.weights(poses: [earless], width: 64, height: 64, latentFrames: 1,
                                               temporalFactor: 4, spatialFactor: 4, weight: 5)
        XCTAssertEqual(Set(partial.values), [1], "an ear out of frame: the box cannot be placed")
    }

    func testADiTRunWithMouthWeightTrainsOnTheWeightedLoss() throws {
        let weights = TrainingInitialization.fresh(config: .tiny, seed: 1)
        RandomWeights.fill(weights.dit.head, seed: 9)
        let plain = try DiTObjective(weights: weights, config: .tiny, samples: Self.samples, stage: 3,
                                     ratios: .init(reference: 1, text: 1, audio: 1, pose: 1, motion: 0), batch: 1, text: Self.text)
        let mouth = try DiTObjective(weights: weights, config: .tiny, samples: Self.samples, stage: 3,
                                     ratios: .init(reference: 1, text: 1, audio: 1, pose: 1, motion: 0, mouthWeight: 4), batch: 1, text: Self.text)
        XCTAssertNil(try plain.example(step: 0, index: 0).lossWeights)
        let ex = try mouth.example(step: 0, index: 0)
        let lossWeights = try XCTUnwrap(ex.lossWeights)
        XCTAssertEqual(lossWeights.shape, Array(ex.target.shape.dropLast()) + [1])
        let d = mouth.examples.draws(step: 0, index: 0)
        let weighted = mouth.loss(ex, d).item, unweighted = plain.loss(try plain.example(step: 0, index: 0), d).item
        XCTAssertTrue(weighted.isFinite)
        XCTAssertTrue(lossWeights.values.contains(5), "this sample's face is in view")
        XCTAssertNotEqual(weighted, unweighted)
    }

    /// The lips probe: deterministic, its mouth errors are the weighted loss on the mouth box alone, and the audio
    /// reaches the mouth of a random model (on ≠ off).
    func testMouthAudioGainIsTheMouthBoxErrorWithTheAudioOnAndOff() throws {
        let config = ModelConfig.tiny
        let weights = TrainingInitialization.fresh(config: config, seed: 3)
        RandomWeights.fill(weights.dit, seed: 4, vectorStd: 0.2)   // fresh zeroes the velocity head: audio would not matter
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("lips-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: folder) }
        try LatentCache.build(vae: weights.vae, config: config, seed: 9, windows: 2, folder: folder, talkingHeads: 1)
        let objective = try DiTObjective(weights: weights, config: config, samples: Self.samples, stage: 3,
                                         ratios: ConditionRatios(audio: 1, pose: 0, mouthWeight: 1), batch: 1,
                                         latents: try LatentCache(folder: folder), text: Self.text)
        let rows = try MouthAudioGain.measure(objective, sigmas: [0.4, 0.8], seed: 2)
        XCTAssertEqual(rows.map(\.sigma), [0.4, 0.8])
        XCTAssertEqual(rows, try MouthAudioGain.measure(objective, sigmas: [0.4, 0.8], seed: 2))
        for r in rows {
            XCTAssertEqual(r.windows, 2)
            for e in [r.mouthOff, r.mouthOn, r.restOff, r.restOn] { XCTAssertTrue(e.isFinite && e > 0) }
            XCTAssertNotEqual(r.mouthOn, r.mouthOff)
        }
        // Window 0 at σ 0.8 with the audio on, recomputed with the trainer's weighted loss on a 0/1 mouth mask.
        let ex = try objective.examples.example(cachedBucket: 0, window: 0)
        let draws = DiTExamples.Draws(referenceOn: true, textOn: false, audioOn: true, poseOn: false, motionOn: true, sigma: 0.8,
                                      noise: RandomStream(seed: 2, stream: 0x11B5).split(1).split(1))
        let (inputs, noise, first) = objective.examples.inputs(ex, draws, poseGuider: weights.poseGuider)
        let v = objective.velocity(inputs, ex, draws)
        let target = FlowMatchSampler.velocityTarget(clean: ex.target, noise: noise)
        let mask = Tensor(ex.lossWeights!.values.map { $0 - 1 }, shape: ex.lossWeights!.shape)
        let t = v.shape[1]
        let expected = v.slice(axis: 1, first..<t).weightedMSELoss(target.slice(axis: 1, first..<t), weights: mask.slice(axis: 1, first..<t)).item
        let one = MouthAudioGain.positionErrors(v, target, weights: ex.lossWeights!, peak: 2, from: first)
        XCTAssertEqual(one.mouth, Double(expected), accuracy: 1e-5 * Double(expected))
    }
}
