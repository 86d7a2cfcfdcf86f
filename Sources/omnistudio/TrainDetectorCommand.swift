import ArgumentParser
import Foundation
import OmniMedia
import OmniWorld

/// `omnistudio train detector`: trains the evaluation keypoint detector on puppet frames rendered on the fly and
/// writes `model.safetensors` (F16), `config.json` and `DETECTOR.md` (command, seed, steps, wall time, held-out
/// PCK@0.1) into `--out`. The work is `OmniWorld.DetectorTrainer`.
struct TrainDetector: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "detector",
        abstract: "Train the COCO-18 keypoint detector used by `omnistudio eval`.")

    @Option(help: "Output folder (created if missing).") var out = "Models/keypoint-detector"
    @Option(help: "Optimiser steps.") var steps = 3000
    @Option(help: "Frames per batch (a multiple of 4).") var batch = 32
    @Option(help: "Training seed, 1…2³¹−1 (clip seeds (seed << 32) | i).") var seed: UInt64 = 1
    @Option(help: "Peak learning rate.") var learningRate: Float = 3e-3
    @Option(help: "Held-out clips for the PCK measurement (4 frames each).") var heldOutClips = 100
    @Flag(help: "No progress output.") var quiet = false

    func run() throws {
        guard steps > 0 else { throw ValidationError("--steps must be positive") }
        guard batch > 0, batch % 4 == 0 else { throw ValidationError("--batch must be a positive multiple of 4") }
        guard seed >= 1, seed < (1 << 31) else { throw ValidationError("--seed must be in 1…2147483647") }
        var trainer = DetectorTrainer(steps: steps, batchSize: batch, seed: seed)
        trainer.learningRate = learningRate
        let start = Date()
        var smoothed: Float = 0
        let (detector, _) = trainer.train { step, loss, l1, seconds in
            smoothed = step == 1 ? l1 : 0.95 * smoothed + 0.05 * l1
            if !quiet && (step % 50 == 0 || step == 1) {
                print(String(format: "step %5d/%d  loss %.4f  joint L1 %.2f px (smoothed)  %.0f s  %.1f frames/s",
                             step, steps, loss, smoothed, seconds, Double(step * batch) / seconds))
            }
        }
        let trainSeconds = Date().timeIntervalSince(start)
        let pck = DetectorTrainer.heldOutPCK(detector, clips: heldOutClips)
        let pck05 = DetectorTrainer.heldOutPCK(detector, clips: heldOutClips, threshold: 0.05)
        var config = detector.config
        config.heldOutPCK = pck.value
        try detector.save(folder: out, config: config)
        let command = "omnistudio " + CommandLine.arguments.dropFirst().joined(separator: " ")
        let report = """
            # Keypoint detector (puppet world, COCO-18)

            The evaluation's pose/hand detector: `OmniWorld.KeypointDetector` (\(config.architecture)).
            Input: a frame up to 64×64 pixels centred on a 64×64 canvas; output: 18 joints (x, y in the frame's pixels),
            a presence probability per joint, and 64-d pooled features (FVD-puppet).

            - Command: `\(command)` (release build, `swift build -c release`)
            - Seed: \(seed) (training clip seeds `(seed << 32) | i`, all styles, framings and the 64×64, 48×64, 64×48 buckets)
            - Steps: \(steps) × batch \(batch) frames (\(steps * batch) frames from \(steps * batch / 4) clips), AdamW, peak LR \(learningRate)
            - Training wall time: \(String(format: "%.0f", trainSeconds)) s on this machine (2 shared cores)
            - Held-out: \(pck.total) visible joints in \(heldOutClips * 4) frames of \(heldOutClips) clips, seeds \(0x7E57_0000)…\(0x7E57_0000 + heldOutClips - 1) (never trained on)
            - **PCK@0.1 = \(String(format: "%.3f", pck.value))** (\(pck.correct)/\(pck.total)); PCK@0.05 = \(String(format: "%.3f", pck05.value))
              (a joint is correct when its error is below 0.1 × the larger side of the bounding box of the visible
              ground-truth joints; only joints present in the truth count)

            Weights: `model.safetensors` (F16), configuration: `config.json`.
            """
        try PendingFile.write(Data(report.utf8), to: (out as NSString).appendingPathComponent("DETECTOR.md"))
        print(report)
    }
}
