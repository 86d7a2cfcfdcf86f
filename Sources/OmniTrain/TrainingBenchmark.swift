import Foundation
import OmniModel
import OmniTensor

/// `omnistudio bench train`: where a training step's time goes (data, forward, backward, optimiser) and samples/s,
/// for the VAE stage and a DiT stage at a model's shape — the DiT once encoding its targets and once reading them
/// from a `LatentCache`, measured by running a few real optimiser steps of a `TrainingRun` in a temporary folder,
/// without checkpoints (the first step, which warms the buffer pool, is not counted). The two DiT runs take their
/// steps in turn, so a shared machine's slow spells fall on both and their ratio holds.
public enum TrainingBenchmark {
    public struct Row: Sendable {
        public var name: String
        public var batch: Int
        public var profile: TrainingProfile
    }

    /// `makeText` makes each DiT run's caption encoder (as each training run has its own `CaptionStates`).
    /// `cacheWindows`: the cached run's latent cache (default 4 × `ditBatch`: its windows, so their captions, recur
    /// at once, as in a real run after its first pass over its cache; a few hundred: mostly new windows, as in the
    /// first pass).
    public static func run(config: ModelConfig, steps: Int, vaeBatch: Int = 2, ditBatch: Int = 4, ditStage: Int = 3,
                           cacheWindows: Int? = nil, makeText: () -> (String) throws -> Tensor, log: (String) -> Void = { _ in }) throws -> [Row] {
        let samples = PuppetSamples(seed: 1, sizes: config.video.sizes, fps: config.video.fps)
        let vae = VAEObjective(weights: TrainingInitialization.fresh(config: config, seed: 1), samples: samples, batch: vaeBatch)
        log("VAE: \(steps) steps of \(vaeBatch) windows (\(vae.frames) frames, \(vae.crop)×\(vae.crop) crops)")
        let vaeRow = Row(name: "vae (stage 0)", batch: vaeBatch, profile: try measure([vae], config: config, batch: vaeBatch, steps: steps)[0])
        let dit = try DiTObjective(weights: TrainingInitialization.fresh(config: config, seed: 1), config: config, samples: samples,
                                   stage: ditStage, ratios: ConditionRatios(), batch: ditBatch, text: makeText())
        // The same steps reading a latent cache (built first, not timed as training) of the same frozen VAE.
        let cacheFolder = FileManager.default.temporaryDirectory.appendingPathComponent("omnistudio-bench-cache-\(getpid())").path
        try? FileManager.default.removeItem(atPath: cacheFolder)
        defer { try? FileManager.default.removeItem(atPath: cacheFolder) }
        let cachedWeights = TrainingInitialization.fresh(config: config, seed: 1)
        let windows = cacheWindows ?? 4 * ditBatch
        log("latent cache: \(windows) windows")
        try LatentCache.build(vae: cachedWeights.vae, config: config, seed: 1, windows: windows, folder: cacheFolder)
        let cached = try DiTObjective(weights: cachedWeights, config: config, samples: samples, stage: ditStage, ratios: ConditionRatios(),
                                      batch: ditBatch, latents: try LatentCache(folder: cacheFolder), text: makeText())
        log("DiT stage \(ditStage): \(steps) steps of \(ditBatch) samples (\(config.video.segmentFrames) frames), encoding the targets and reading the cache in turn")
        let profiles = try measure([dit, cached], config: config, batch: ditBatch, steps: steps)
        return [vaeRow, Row(name: "dit (stage \(ditStage))", batch: ditBatch, profile: profiles[0]),
                Row(name: "dit, cached", batch: ditBatch, profile: profiles[1])]
    }

    /// The profiles of `steps` optimiser steps of each objective, the objectives taking one step each in turn.
    static func measure(_ objectives: [TrainingObjective], config: ModelConfig, batch: Int, steps: Int) throws -> [TrainingProfile] {
        let base = FileManager.default.temporaryDirectory.appendingPathComponent("omnistudio-bench-train-\(getpid())").path
        let folders = objectives.indices.map { "\(base)-\($0)" }
        for folder in folders { try? FileManager.default.removeItem(atPath: folder) }
        defer { for folder in folders { try? FileManager.default.removeItem(atPath: folder) } }
        let h = TrainingHyperparameters(batch: batch, learningRate: 1e-4, warmupSteps: 1)
        let runs = try zip(folders, objectives).map { folder, objective in
            try TrainingRun(folder: folder, fresh: TrainingState(kind: "bench", stage: 0, totalSteps: steps + 1, seed: 1,
                                                                 hyperparameters: h, from: nil, config: config),
                            objective: objective)
        }
        for run in runs { try run.trainStep() }   // warms the buffer pool; not counted
        let warm = runs.map(\.profile)
        for _ in 0..<steps {
            for run in runs { try run.trainStep() }
        }
        return zip(runs, warm).map { $0.profile.subtracting($1) }
    }
}

extension TrainingProfile {
    /// This profile minus an earlier snapshot of it (the steps in between).
    func subtracting(_ earlier: TrainingProfile) -> TrainingProfile {
        var out = TrainingProfile()
        for phase in Phase.allCases { out.add(phase, (seconds[phase] ?? 0) - (earlier.seconds[phase] ?? 0)) }
        out.steps = steps - earlier.steps
        out.samples = samples - earlier.samples
        return out
    }
}
