import Foundation
import OmniMedia
import OmniModel
import OmniTensor

/// A training run in a folder: the loop (AdamW, global-norm clipping, warm-up + cosine, EMA with warm-up),
/// checkpoints that resume bit-exactly, the step log and the loss curve.
///
/// Folder layout: `state.json` (`TrainingState`), `checkpoint.safetensors` (`model.*` all weights, `adam.m.*`,
/// `adam.v.*`, `ema.*`), `train.jsonl`, `loss.png`, and `model/` — a model folder (`config.json` +
/// `model.safetensors`, F32) with the EMA weights, the input of the next stage and of `omnistudio eval`.
/// Every file is written under a temporary name and renamed, `state.json` last, so an interrupted write never
/// leaves a checkpoint that looks complete.
public final class TrainingRun {
    public let folder: String
    public private(set) var state: TrainingState
    public let objective: TrainingObjective
    public private(set) var profile = TrainingProfile()
    let optimizer: AdamW
    let ema: ExponentialMovingAverage
    let log: TrainingLog
    private var pending: [TrainingLog.Entry] = []

    /// Opens `folder`: resumes from its checkpoint when `state.json` exists (which must describe the same kind,
    /// stage and model config as `fresh`; its own settings win over `fresh`'s, except `totalSteps`), else starts
    /// from `fresh` (step 0). Callers build `objective` from `TrainingState.saved(in:)` when there is one.
    public init(folder: String, fresh: TrainingState, objective: TrainingObjective) throws {
        self.folder = folder
        self.objective = objective
        log = TrainingLog(folder: folder)
        var state = fresh
        var resumed: TrainingState?
        if let saved = try TrainingState.saved(in: folder) {
            guard saved.kind == fresh.kind, saved.stage == fresh.stage else {
                throw TrainingError.runMismatch(path: folder, reason: "holds a \(saved.kind) stage \(saved.stage) run, not \(fresh.kind) stage \(fresh.stage)")
            }
            guard saved.config == fresh.config else {
                throw TrainingError.runMismatch(path: folder, reason: "was trained with another model config; use a new folder")
            }
            state = saved
            state.totalSteps = fresh.totalSteps   // the only setting a resumed run may change: how far to go
            resumed = saved
        }
        self.state = state
        let h = state.hyperparameters
        optimizer = AdamW(parameters: objective.parameters, .init(learningRate: h.learningRate, weightDecay: h.weightDecay))
        ema = ExponentialMovingAverage(parameters: objective.parameters, decay: h.emaDecay)
        if let resumed {
            try restore(step: resumed.step)
        } else {
            try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
            try? FileManager.default.removeItem(atPath: log.path)
        }
    }

    var checkpointPath: String { (folder as NSString).appendingPathComponent("checkpoint.safetensors") }
    public var modelFolder: String { (folder as NSString).appendingPathComponent("model") }

    /// The learning rate of step `step` (0-based): linear warm-up, then cosine to `finalFraction` of the peak.
    public func learningRate(step: Int) -> Float {
        let h = state.hyperparameters
        if step < h.warmupSteps { return h.learningRate * Float(step + 1) / Float(h.warmupSteps) }
        let span = max(1, state.totalSteps - h.warmupSteps)
        let t = min(1, Float(step - h.warmupSteps) / Float(span))
        return h.learningRate * (h.finalFraction + (1 - h.finalFraction) * 0.5 * (1 + cos(Float.pi * t)))
    }

    public enum Outcome: Equatable, Sendable { case finished, interrupted }

    /// One progress report after a step.
    public struct Progress: Sendable {
        public var step: Int
        public var totalSteps: Int
        public var loss: Double
        public var lossAverage: Double
        public var stepsPerSecond: Double
        public var samplesPerSecond: Double
        public var etaSeconds: Double
    }

    /// Trains until `state.totalSteps` or until `shouldStop()` says so (checked after every step; the run then
    /// saves a checkpoint and returns `.interrupted`). Checkpoints every `checkpointEvery` steps and at the end.
    public func run(shouldStop: () -> Bool = { false }, progress: (Progress) -> Void = { _ in }) throws -> Outcome {
        let sessionStart = Date()
        let elapsedBefore = state.elapsedSeconds
        var sessionSteps = 0
        while state.step < state.totalSteps {
            let loss = try trainStep()
            sessionSteps += 1
            state.elapsedSeconds = elapsedBefore + Date().timeIntervalSince(sessionStart)
            pending[pending.count - 1].seconds = state.elapsedSeconds
            let rate = Double(sessionSteps) / max(1e-9, Date().timeIntervalSince(sessionStart))
            progress(.init(step: state.step, totalSteps: state.totalSteps, loss: loss, lossAverage: state.lossAverage!,
                           stepsPerSecond: rate, samplesPerSecond: rate * Double(state.hyperparameters.batch),
                           etaSeconds: Double(state.totalSteps - state.step) / max(rate, 1e-9)))
            let stop = shouldStop()
            if state.step % state.hyperparameters.checkpointEvery == 0 || state.step == state.totalSteps || stop {
                try checkpoint(final: state.step == state.totalSteps)
            }
            if stop && state.step < state.totalSteps { return .interrupted }
        }
        if sessionSteps == 0 { try checkpoint(final: true) }   // already done: refresh the export
        return .finished
    }

    /// One optimiser step: the objective's forward and backward, clipping, AdamW, EMA; advances `state.step` and
    /// queues the step's log line (written at the next checkpoint). Returns the step's loss.
    @discardableResult
    public func trainStep() throws -> Double {
        let step = state.step
        let terms = try objective.accumulateGradients(step: step, profile: &profile)
        let lr = learningRate(step: step)
        let norm = profile.measure(.optimizer) { () -> Float in
            let norm = GradientClipping.clip(objective.parameters, maxNorm: state.hyperparameters.clipNorm)
            optimizer.update(learningRate: lr)
            optimizer.zeroGrad()
            ema.update(decay: min(state.hyperparameters.emaDecay, Float(1 + step) / Float(10 + step)))
            return norm
        }
        profile.steps += 1
        profile.samples += state.hyperparameters.batch
        let loss = terms["loss"] ?? .nan
        state.lossAverage = state.lossAverage.map { 0.98 * $0 + 0.02 * loss } ?? loss
        state.step += 1
        pending.append(.init(step: state.step, loss: loss, lossAverage: state.lossAverage!, lr: Double(lr), gradNorm: Double(norm),
                             seconds: state.elapsedSeconds, terms: terms.filter { $0.key != "loss" }))
        return loss
    }

    /// Writes the checkpoint, the EMA model folder, the log lines and the loss curve; `final` also lets the
    /// objective finish the config (with the EMA weights in place).
    public func checkpoint(final: Bool = false) throws {
        // 1. Full training state.
        var entries = objective.weights.checkpointEntries(prefix: "model.")
        let adam = optimizer.state()
        for (key, t) in adam.tensors + ema.state() {
            entries.append(.init(name: key, dtype: .f32, shape: t.shape, values: t.values))
        }
        try SafetensorsWriter(tensors: entries, metadata: ["step": String(state.step), "adam_step": String(adam.step)]).write(to: checkpointPath)

        // 2. The EMA weights as a model folder.
        ema.swap()
        defer { ema.swap() }
        if final { state.config = try objective.finish(config: state.config) }
        try FileManager.default.createDirectory(atPath: modelFolder, withIntermediateDirectories: true)
        do { try objective.weights.save(path: (modelFolder as NSString).appendingPathComponent("model.safetensors")) }
        catch { throw TrainingError.checkpoint(error) }
        try write(state.config.encoded(), to: (modelFolder as NSString).appendingPathComponent("config.json"))

        // 3. Log, curve, and last the state that names this checkpoint.
        try log.append(pending)
        pending.removeAll()
        try LossCurveFile.write(run: self)
        try write(JSONEncoder.snakeCase.encode(state), to: (folder as NSString).appendingPathComponent(TrainingState.fileName))
    }

    /// Restores weights, optimiser and EMA from `checkpoint.safetensors`, which must be the one `state.json` names.
    func restore(step: Int) throws {
        let file: SafetensorsFile
        do { file = try SafetensorsFile(path: checkpointPath) }
        catch { throw TrainingError.unreadable(path: checkpointPath, reason: "\(error)") }
        guard file.metadata["step"] == String(step) else {
            throw TrainingError.runMismatch(path: checkpointPath, reason: "holds step \(file.metadata["step"] ?? "?"), state.json says \(step)")
        }
        do { try objective.weights.load(from: file, prefix: "model.") } catch { throw TrainingError.checkpoint(error) }
        var tensors: [String: Tensor] = [:]
        for name in file.names where !name.hasPrefix("model.") {
            do {
                let info = try file.info(name)
                tensors[name] = Tensor(try file.readFloats(name), shape: info.shape)
            } catch { throw TrainingError.unreadable(path: checkpointPath, reason: "\(name): \(error)") }
        }
        do {
            try optimizer.restore(tensors: tensors, step: Int(file.metadata["adam_step"] ?? "") ?? step)
            try ema.restore(tensors: tensors)
        } catch { throw TrainingError.runMismatch(path: checkpointPath, reason: "\(error)") }
        try log.truncate(after: step)
    }

    private func write(_ data: Data, to path: String) throws { try PendingFile.write(data, to: path) }
}

extension JSONEncoder {
    static var snakeCase: JSONEncoder {
        let e = JSONEncoder()
        e.keyEncodingStrategy = .convertToSnakeCase
        e.outputFormatting = [.prettyPrinted, .sortedKeys]
        return e
    }
}
