import Foundation
import OmniTensor

/// Trains a `KeypointDetector` with OmniTensor (tape + AdamW) on puppet frames rendered on the fly.
///
/// Loss per batch = mean L1 of the soft-argmax joint coordinates (pixels of the 64×64 input, truth-present joints
/// only) + 4 × mean squared error of the presence sigmoid against the truth's present flags. The learning rate
/// warms up over min(100, steps/10) steps to `learningRate` and follows a cosine to 5 % of it.
public struct DetectorTrainer {
    public var steps: Int
    public var batchSize: Int
    public var seed: UInt64
    public var learningRate: Float = 3e-3

    /// `seed` ≥ 1 (seed 0 would draw training clips from small seeds that eval sets may use).
    public init(steps: Int, batchSize: Int = 32, seed: UInt64 = 1) {
        precondition(seed >= 1 && seed < (1 << 31), "the detector training seed must be in 1..<2³¹")
        precondition(batchSize % DetectorSamples.framesPerClip == 0, "batch size must be a multiple of \(DetectorSamples.framesPerClip)")
        self.steps = steps; self.batchSize = batchSize; self.seed = seed
    }

    /// Progress after a step: step number (1-based), loss, coordinate L1 (pixels), elapsed seconds.
    public typealias Progress = (_ step: Int, _ loss: Float, _ l1: Float, _ seconds: Double) -> Void

    /// Trains a fresh detector and returns it with the per-step losses.
    public func train(progress: Progress? = nil) -> (detector: KeypointDetector, losses: [Float]) {
        let net = KeypointNet()
        net.initialize(seed: seed)
        let optimizer = AdamW(parameters: net.trainableParameters(), .init(learningRate: learningRate, weightDecay: 1e-4))
        let tape = Tape()
        var counter: UInt64 = 0
        var losses: [Float] = []
        let start = Date()
        for step in 0..<steps {
            var batch: [DetectorSamples.Sample] = []
            while batch.count < batchSize {
                batch += DetectorSamples.samples(clipSeed: (seed << 32) | counter)
                counter += 1
            }
            let (images, targets, mask, present) = DetectorSamples.tensors(batch)
            let (loss, l1) = tape.recording { () -> (Tensor, Tensor) in
                let out = net(images)
                let coordinate = (out.coordinates * mask).l1Loss(targets)
                let presence = out.presenceLogits.sigmoid().mseLoss(present)
                return (coordinate + presence * 4, coordinate)
            }
            tape.backward(from: loss)
            let warm = min(1, Float(step + 1) / Float(max(1, min(100, steps / 10))))
            let t = Float(step) / Float(max(1, steps - 1))
            let cosine = 0.05 + 0.95 * 0.5 * (1 + cos(Float.pi * t))
            optimizer.update(learningRate: learningRate * warm * cosine)
            optimizer.zeroGrad()
            // Mean over all N·18·2 entries; rescale to the mean over present coordinates (pixels).
            let fraction = max(1e-6, mask.values.reduce(0, +) / Float(mask.count))
            losses.append(loss.item)
            progress?(step + 1, loss.item, l1.item / fraction, Date().timeIntervalSince(start))
        }
        var config = KeypointDetectorConfig()
        config.seed = seed; config.steps = steps; config.batchSize = batchSize
        return (KeypointDetector(net: net, config: config), losses)
    }

    /// PCK@`threshold` of `detector` on held-out frames of `clips` clips (4 frames each).
    public static func heldOutPCK(_ detector: KeypointDetector, clips: Int, threshold: Float = 0.1) -> PCK {
        let samples = DetectorSamples.heldOut(clips: clips)
        let detected = detector.detect(samples.map(\.image))
        return PCK.measure(predicted: detected.map(\.pose), truth: samples.map(\.pose), threshold: threshold)
    }
}
