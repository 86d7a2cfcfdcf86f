import ArgumentParser
import Foundation
import OmniModel
import OmniTrain

/// `omnistudio bench train`: a training step's profile (data, forward, backward, optimiser) and samples/s for the
/// VAE and a DiT stage at a model's shape.
struct BenchTrain: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "train",
        abstract: "Profile training steps: share of time in data, forward, backward, optimiser; samples/s.")

    @Option(help: "Model shape: tiny, mini, or a model folder.") var model = "mini"
    @Option(help: "Measured steps per objective (after one warm-up step).") var steps = 3
    @Option(help: "DiT stage to profile (3 runs every condition).") var stage = 3
    @Option(help: "Windows in the cached DiT run's latent cache (default 4 × batch: its captions recur at once, as in a run past its first pass over a cache; a few hundred: mostly new ones, as in the first pass).")
    var cacheWindows: Int?

    func run() throws {
        guard steps > 0 else { throw ValidationError("--steps must be positive") }
        if let cacheWindows, cacheWindows < 1 { throw ValidationError("--cache-windows must be positive") }
        let config = try ModelConfig.preset(model) ?? ModelConfig.load(folder: model)
        // Each DiT run its own memo, as each training run has (the cached run's windows recur; the other's clips do not).
        let encoder = try TextEncoder.load()
        let rows = try TrainingBenchmark.run(config: config, steps: steps, ditStage: stage, cacheWindows: cacheWindows,
                                             makeText: { CaptionStates(encoder: encoder, maxTokens: config.text.maxTokens).callAsFunction },
                                             log: { FileHandle.standardError.write(Data("bench: \($0)\n".utf8)) })
        print("omnistudio bench train — \(model), \(steps) measured steps each, \(ProcessInfo.processInfo.activeProcessorCount) cores")
        print("objective        batch   s/step  samples/s   data  VAE encoding  forward  backward  optimizer")
        for r in rows {
            let p = r.profile
            print(String(format: "%-15@ %5d  %7.2f  %9.2f  %4.0f %%  %10.0f %%  %5.0f %%  %6.0f %%  %7.0f %%", r.name as NSString, r.batch,
                         p.total / Double(max(1, p.steps)), p.samplesPerSecond, 100 * p.share(.data), 100 * p.share(.encoding),
                         100 * p.share(.forward), 100 * p.share(.backward), 100 * p.share(.optimizer)))
        }
        if rows.count == 3 {
            print(String(format: "latent cache: %.2f× the DiT samples/s of encoding every target", rows[2].profile.samplesPerSecond / rows[1].profile.samplesPerSecond))
        }
    }
}
