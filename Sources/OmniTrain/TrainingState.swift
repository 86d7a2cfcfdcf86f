import Foundation
import OmniModel
import OmniTensor

/// What a run folder's `state.json` records: enough, with `checkpoint.safetensors`, to resume bit-exactly.
/// `step` counts finished optimiser steps; the per-step randomness is a function of (seed, step), so no random
/// generator position needs saving.
public struct TrainingState: Codable, Sendable, Equatable {
    /// `vae` (stage 0), `dit` (stages 1–3) or `distill` (stage 1: guidance, 2: shortcut distillation).
    public var kind: String
    public var stage: Int
    public var step: Int
    public var totalSteps: Int
    public var seed: UInt64
    public var hyperparameters: TrainingHyperparameters
    /// Wall-clock seconds spent training over all sessions of this run.
    public var elapsedSeconds: Double
    /// Exponential moving average of the loss (0.98 per step), for the progress line.
    public var lossAverage: Double?
    /// The model folder the run started from (nil: seeded random weights).
    public var from: String?
    /// The model config being trained.
    public var config: ModelConfig
    /// VAE runs: frames per window and crop size (pixels).
    public var vaeFrames: Int?
    public var vaeCrop: Int?
    /// DiT runs: the curriculum's condition ratios (before the stage masks the later conditions).
    public var ratios: ConditionRatios?
    /// DiT runs: the latent cache the targets come from (nil: encoded at every step).
    public var latents: String?
    /// DiT runs: only the parameters whose keys contain one of these are trained (nil: all the stage trains).
    public var trainable: [String]?
    /// Distillation runs: the teacher's model folder (read again on resume) and the scale ranges drawn from.
    public var teacher: String?
    public var audioScales: [Float]?
    public var textScales: [Float]?
    /// Shortcut distillation runs (stage 2): the finest grid and the fraction of shortcut samples.
    public var maxSteps: Int?
    public var bootstrap: Double?

    public init(kind: String, stage: Int, totalSteps: Int, seed: UInt64, hyperparameters: TrainingHyperparameters,
                from: String?, config: ModelConfig) {
        self.kind = kind; self.stage = stage; step = 0; self.totalSteps = totalSteps; self.seed = seed
        self.hyperparameters = hyperparameters; elapsedSeconds = 0; self.from = from; self.config = config
    }

    /// The state saved in run folder `folder`, or nil when it holds none.
    public static func saved(in folder: String) throws -> TrainingState? {
        let path = (folder as NSString).appendingPathComponent(fileName)
        guard FileManager.default.fileExists(atPath: path) else { return nil }
        let decoder = JSONDecoder()
        decoder.keyDecodingStrategy = .convertFromSnakeCase
        do { return try decoder.decode(TrainingState.self, from: Data(contentsOf: URL(fileURLWithPath: path))) }
        catch { throw TrainingError.unreadable(path: path, reason: "not a training state (\(error))") }
    }

    public static let fileName = "state.json"
}

/// Optimiser and batch settings of a run (stored in `state.json`; a resumed run keeps its own).
public struct TrainingHyperparameters: Codable, Sendable, Equatable {
    /// Samples (clips) per optimiser step.
    public var batch: Int
    public var learningRate: Float
    /// Linear warm-up steps, then a cosine to `learningRate · finalFraction` at `totalSteps`.
    public var warmupSteps: Int
    public var finalFraction: Float
    public var weightDecay: Float
    /// Global gradient-norm clip.
    public var clipNorm: Float
    public var emaDecay: Float
    /// Steps between checkpoints.
    public var checkpointEvery: Int

    public init(batch: Int, learningRate: Float, warmupSteps: Int, finalFraction: Float = 0.1, weightDecay: Float = 0.01,
                clipNorm: Float = 1, emaDecay: Float = 0.999, checkpointEvery: Int = 100) {
        self.batch = batch; self.learningRate = learningRate; self.warmupSteps = warmupSteps; self.finalFraction = finalFraction
        self.weightDecay = weightDecay; self.clipNorm = clipNorm; self.emaDecay = emaDecay; self.checkpointEvery = checkpointEvery
    }
}

/// Why a training run cannot start or continue. Messages name the folder or file.
public enum TrainingError: Error, CustomStringConvertible, Equatable {
    case runMismatch(path: String, reason: String)
    case unreadable(path: String, reason: String)
    /// The model failed on the training data (an encode, the audio features) — its own error, which names the cause.
    case model(ModelError)
    /// Saving or loading the run's weights failed.
    case checkpoint(CheckpointError)
    /// Training data that cannot be used as it is (clips of different lengths in one pack, text states of the
    /// wrong width): what and why.
    case data(String)

    public var description: String {
        switch self {
        case .runMismatch(let path, let reason): return "\(path): \(reason)"
        case .unreadable(let path, let reason): return "\(path): \(reason)"
        case .model(let error): return error.description
        case .checkpoint(let error): return error.description
        case .data(let reason): return reason
        }
    }
}
