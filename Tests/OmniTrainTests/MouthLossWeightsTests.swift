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
}
