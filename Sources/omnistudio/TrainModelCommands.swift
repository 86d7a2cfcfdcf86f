import ArgumentParser
import Foundation
import OmniMedia
import OmniModel
import OmniTensor
import OmniTrain
import Synchronization

/// Options every model-training command shares.
struct TrainingOptions: ParsableArguments {
    @Option(help: "Run folder: state.json, checkpoint.safetensors, train.jsonl, loss.png, model/. An existing run resumes.")
    var run: String
    @Option(help: "Total optimiser steps of the run (a resumed run may raise it; 0 only measures and exports the starting weights).") var steps: Int
    @Option(help: "Samples (clips) per step.") var batch: Int?
    @Option(help: "Peak learning rate.") var learningRate: Float?
    @Option(help: "Warm-up steps.") var warmup: Int?
    @Option(help: "Training seed, 1…2³¹−1 (clip seeds (seed << 32) | i).") var seed: UInt64 = 1
    @Option(help: "Steps between checkpoints.") var checkpointEvery = 100
    @Flag(help: "No progress line.") var quiet = false

    func validate() throws {
        guard steps >= 0 else { throw ValidationError("--steps must not be negative") }
        guard seed >= 1, seed < (1 << 31) else { throw ValidationError("--seed must be in 1…2147483647") }
        if let batch, batch < 1 { throw ValidationError("--batch must be positive") }
        guard checkpointEvery > 0 else { throw ValidationError("--checkpoint-every must be positive") }
    }

    func hyperparameters(batch defaultBatch: Int, learningRate defaultRate: Float, warmup defaultWarmup: Int) -> TrainingHyperparameters {
        TrainingHyperparameters(batch: batch ?? defaultBatch, learningRate: learningRate ?? defaultRate,
                                warmupSteps: min(warmup ?? defaultWarmup, max(1, steps / 5)), checkpointEvery: checkpointEvery)
    }

    /// Runs `run` with Ctrl-C, SIGTERM or SIGHUP saving a checkpoint after the current step, a progress line on
    /// stderr, and a closing profile line.
    func drive(_ run: TrainingRun, label: String) throws {
        let stop = StopFlag.shared
        // Its own queue: the global queue's threads are busy with the step's work and would delay the handler.
        let queue = DispatchQueue(label: "omnistudio.train.signals")
        let signals = [SIGINT, SIGTERM, SIGHUP]
        let sources = signals.map { sig -> DispatchSourceSignal in
            signal(sig, SIG_IGN)
            let source = DispatchSource.makeSignalSource(signal: sig, queue: queue)
            source.setEventHandler {
                stop.flag.store(true, ordering: .relaxed)
                FileHandle.standardError.write(Data("\n\(label): stopping after this step (checkpoint follows)…\n".utf8))
            }
            source.resume()
            return source
        }
        defer { for (source, sig) in zip(sources, signals) { source.cancel(); signal(sig, SIG_DFL) } }
        if run.state.step > 0 && !quiet {
            FileHandle.standardError.write(Data("\(label): resuming \(run.folder) at step \(run.state.step)/\(run.state.totalSteps)\n".utf8))
        }
        let interactive = isatty(STDERR_FILENO) == 1
        let outcome = try run.run(shouldStop: { stop.flag.load(ordering: .relaxed) }) { p in
            guard !quiet, interactive || p.step % 25 == 0 || p.step == p.totalSteps else { return }
            let line = String(format: "%@ step %d/%d  loss %.4f  avg %.4f  %.2f it/s  %.1f samples/s  ETA %@",
                              label, p.step, p.totalSteps, p.loss, p.lossAverage, p.stepsPerSecond, p.samplesPerSecond,
                              Self.duration(p.etaSeconds))
            FileHandle.standardError.write(Data((interactive ? "\r\u{1B}[2K" + line : line + "\n").utf8))
        }
        if interactive && !quiet { FileHandle.standardError.write(Data("\n".utf8)) }
        print("\(label): \(outcome == .finished ? "finished" : "interrupted") at step \(run.state.step)/\(run.state.totalSteps); "
              + "\(String(format: "%.0f", run.state.elapsedSeconds)) s in total; model: \(run.modelFolder)")
        print("profile: \(run.profile.summary)")
        if outcome == .interrupted {
            print("resume with the same command")
            throw ExitCode(130)
        }
    }

    static func duration(_ seconds: Double) -> String {
        guard seconds.isFinite else { return "?" }
        let s = Int(seconds)
        return s >= 3600 ? "\(s / 3600)h\(String(format: "%02d", s % 3600 / 60))m" : "\(s / 60)m\(String(format: "%02d", s % 60))s"
    }
}

/// Set by Ctrl-C; read by the training loop after each step.
final class StopFlag: Sendable {
    static let shared = StopFlag()
    let flag = Atomic<Bool>(false)
}

/// `omnistudio train vae`: stage 0.
struct TrainVAE: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "vae",
        abstract: "Stage 0: train the causal 3-D VAE on puppet clips (L1 + edges + small KL).")

    @OptionGroup var options: TrainingOptions
    @Option(help: "Model shape: tiny, mini, or a config.json path.") var config = "mini"
    @Option(help: "Frames per training window (1 + 4k).") var frames = 9
    @Option(help: "Square crop in pixels (a multiple of 8; 0 = whole frames).") var crop = 32
    @Option(help: "Start from this model folder's weights (e.g. an image-only run's model/, before training on clips).")
    var from: String?
    @Option(help: ArgumentHelp("Start the VAE from this safetensors file of `vae.…` keys only (e.g. trained by python -m omnitorch.train_vae); the VAE's shape comes from the file's vae_config metadata where it has one, the rest of the model's from --config.",
                               valueName: "file"))
    var fromVae: String?

    func run() throws {
        if from != nil && fromVae != nil { throw ValidationError("--from and --from-vae exclude each other") }
        var state: TrainingState
        var vaeFile: SafetensorsFile?   // --from-vae, opened once: a fresh run's VAE shape, then the weights
        if let saved = try TrainingState.saved(in: options.run) {
            state = saved
            state.totalSteps = options.steps
        } else {
            var modelConfig: ModelConfig
            if let from { modelConfig = try ModelConfig.load(folder: from) }
            else if let preset = ModelConfig.preset(config) { modelConfig = preset }
            else { modelConfig = try ModelConfig.load(folder: (config as NSString).deletingLastPathComponent) }
            if let fromVae {
                let file = try SafetensorsFile(path: fromVae)
                vaeFile = file
                if let stored = try VAEConfig.stored(in: file) {
                    modelConfig.vae = stored
                    try modelConfig.validate(path: fromVae)
                }
            }
            // Latent statistics are measured again at the end of this run.
            modelConfig.vae.latentMean = [Float](repeating: 0, count: modelConfig.vae.zChannels)
            modelConfig.vae.latentStd = [Float](repeating: 1, count: modelConfig.vae.zChannels)
            guard frames >= 1, (frames - 1) % modelConfig.vae.temporalFactor == 0 else {
                throw ValidationError("--frames must be 1 + \(modelConfig.vae.temporalFactor)k")
            }
            guard crop >= 0, crop % modelConfig.vae.spatialFactor == 0 else { throw ValidationError("--crop must be a multiple of \(modelConfig.vae.spatialFactor)") }
            state = TrainingState(kind: "vae", stage: 0, totalSteps: options.steps, seed: options.seed,
                                  hyperparameters: options.hyperparameters(batch: 4, learningRate: 1e-3, warmup: 100),
                                  from: from, config: modelConfig)
            state.vaeFrames = frames
            state.vaeCrop = crop
        }
        let weights = TrainingInitialization.fresh(config: state.config, seed: state.seed)
        if let start = state.from, state.step == 0 {   // a resumed run's checkpoint holds the weights
            try weights.load(path: (start as NSString).appendingPathComponent("model.safetensors"))
        }
        if let fromVae, state.step == 0 { try weights.vae.load(from: vaeFile ?? SafetensorsFile(path: fromVae), prefix: "vae.") }
        let samples = PuppetSamples(seed: state.seed, sizes: state.config.video.sizes, fps: state.config.video.fps)
        let objective = VAEObjective(weights: weights, samples: samples, batch: state.hyperparameters.batch,
                                     frames: state.vaeFrames ?? frames, crop: state.vaeCrop ?? crop)
        let run = try TrainingRun(folder: options.run, fresh: state, objective: objective)
        try options.drive(run, label: "vae")
    }
}

/// `omnistudio train dit --stage 1|2|3`.
struct TrainDiT: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "dit",
        abstract: "Stages 1–3: train the MMDiT (stage 1 text + reference, 2 adds audio, 3 adds pose).")

    @OptionGroup var options: TrainingOptions
    @Option(help: "Curriculum stage: 1, 2 or 3.") var stage: Int
    @Option(help: "Model folder to start from: the VAE run's model/ for stage 1, the previous stage's model/ after.")
    var from: String?
    @Option(help: "Fraction of samples with the reference.") var referenceRatio = 0.7
    @Option(help: "Fraction of samples with the caption.") var textRatio = 0.9
    @Option(help: "Fraction of samples with audio (stage ≥ 2).") var audioRatio = 0.5
    @Option(help: "Fraction of samples with pose (stage 3).") var poseRatio = 0.5
    @Option(help: "Fraction of samples continuing from motion frames.") var motionRatio = 0.5
    @OptionGroup var motionFrames: MotionFrameOptions
    @Option(help: "Of the samples continuing from the window's own frames, the fraction given the model's own one-step estimate of those frames instead (blurred like generated ones).")
    var motionSelfRatio = 0.0
    @Option(help: "Extra loss weight λ on the latent positions around the mouth (they count 1 + λ): lips are one or two of 16×16 latent positions at 64×64.")
    var mouthWeight = 0.0
    @Option(help: ArgumentHelp("Read the target windows' latents from this cache (omnistudio train cache) instead of encoding them every step.",
                               valueName: "dir"))
    var latents: String?
    @OptionGroup var audio: AudioEncoderOption
    @Flag(help: "Also feed the reference latent pixel-aligned, in every latent frame's input (dit.reference_input). Starting from a model without it, the new input's weights start at zero, so the stage starts as that model.")
    var referenceInput = false
    @Flag(help: "Give each audio token a learned embedding of its place in the band of the latent frame reading it (audio.band_positions), so a latent frame can tell which of its video frames a sound belongs to. Starting from a model without it, the embedding starts at zero, so the stage starts as that model.")
    var audioBandPositions = false
    @Flag(help: "Add to each latent frame's video tokens a projection of its own video frames' audio (audio.frame_input): a path from the sound to the mouth that needs no attention. Starting from a model without it, the projection starts at zero, so the stage starts as that model.")
    var audioFrameInput = false
    @Option(help: ArgumentHelp("Train only the parameters whose keys contain one of these comma-separated substrings (e.g. audio: the audio path alone); the rest stays frozen.",
                               valueName: "part,…"))
    var trainable: String?

    /// `--trainable` split at commas, blanks dropped; nil without the option.
    var trainableParts: [String]? {
        trainable.map { $0.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty } }
    }

    func validate() throws {
        if let parts = trainableParts, parts.isEmpty { throw ValidationError("--trainable needs at least one key substring") }
        guard (1...3).contains(stage) else { throw ValidationError("--stage must be 1, 2 or 3") }
        if audio.audioEncoder != nil && stage != 1 {
            throw ValidationError("--audio-encoder starts a DiT from scratch: stage 1 only (later stages keep the previous stage's)")
        }
        for (name, r) in [("reference", referenceRatio), ("text", textRatio), ("audio", audioRatio), ("pose", poseRatio), ("motion", motionRatio),
                          ("motion-self", motionSelfRatio)]
        where !(0...1).contains(r) { throw ValidationError("--\(name)-ratio must be within 0…1") }
        guard (0...100).contains(mouthWeight) else { throw ValidationError("--mouth-weight must be within 0…100") }
    }

    func run() throws {
        var state: TrainingState
        let weights: OmniModelWeights
        if let saved = try TrainingState.saved(in: options.run) {
            state = saved
            state.totalSteps = options.steps
            weights = OmniModelWeights(config: state.config)   // filled from the checkpoint
        } else {
            guard let from else {
                throw ValidationError("--from MODEL_FOLDER is needed to start a stage (the VAE run's model/ for stage 1, the previous stage's model/ after)")
            }
            let source = try LoadedModel.load(from)
            var config = audio.applied(to: source.config)
            if stage == 1 {
                config.dit.referenceInput = config.dit.referenceInput || referenceInput
                config.audio.bandPositions = config.audio.bandPositions || audioBandPositions
                config.audio.frameInput = config.audio.frameInput || audioFrameInput
                weights = TrainingInitialization.ditStage(config: config, vaeFrom: source.weights, seed: options.seed)
            } else {
                var grown = source.weights
                if referenceInput && !config.dit.referenceInput {
                    (config, grown) = TrainingInitialization.withReferenceInput(grown, config: config)
                }
                if audioBandPositions && !config.audio.bandPositions {
                    (config, grown) = TrainingInitialization.withAudioBandPositions(grown, config: config)
                }
                if audioFrameInput && !config.audio.frameInput {
                    (config, grown) = TrainingInitialization.withAudioFrameInput(grown, config: config)
                }
                weights = grown
            }
            state = TrainingState(kind: "dit", stage: stage, totalSteps: options.steps, seed: options.seed,
                                  hyperparameters: options.hyperparameters(batch: 4, learningRate: 3e-4, warmup: 200),
                                  from: from, config: config)
            state.ratios = ConditionRatios(reference: referenceRatio, text: textRatio, audio: audioRatio, pose: poseRatio, motion: motionRatio,
                                           referenceStart: motionFrames.referenceStartRatio, motionNoise: motionFrames.motionNoise,
                                           selfMotion: motionSelfRatio, mouthWeight: mouthWeight)
            state.latents = latents
            state.trainable = trainableParts
        }
        let config = state.config
        let text = CaptionStates(encoder: try TextEncoder.load(), maxTokens: config.text.maxTokens)
        let samples = PuppetSamples(seed: state.seed, sizes: config.video.sizes, fps: config.video.fps)
        let cache = try state.latents.map { try LatentCache(folder: $0) }
        let objective = try DiTObjective(weights: weights, config: config, samples: samples, stage: stage, ratios: state.ratios ?? ConditionRatios(),
                                         batch: state.hyperparameters.batch, latents: cache, trainable: state.trainable, text: text.callAsFunction)
        let run = try TrainingRun(folder: options.run, fresh: state, objective: objective)
        try options.drive(run, label: "dit stage \(stage)")
    }
}


/// `omnistudio train distill`: a trained model distilled into a faster student.
struct TrainDistill: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "distill",
        abstract: "Distil a trained model into a faster student: guidance (the guidance scales as inputs: one DiT pass per step instead of up to three) or shortcut (also the step size: one model for 1–32 steps).")

    @OptionGroup var options: TrainingOptions
    @Option(help: "The teacher: a trained model folder (stage 3's model/, Models/omni-mini, or a guidance student for --method shortcut).")
    var teacher: String?
    @Option(help: "guidance or shortcut (shortcut also distils guidance when the teacher has not been).") var method = "guidance"
    @Option(help: ArgumentHelp("Audio guidance scales drawn from, lo,hi.", valueName: "lo,hi")) var audioScales = "1,4"
    @Option(help: ArgumentHelp("Text guidance scales drawn from, lo,hi.", valueName: "lo,hi")) var textScales = "1,6"
    @Option(help: "shortcut: the finest grid's steps (a power of 2), where the teacher's velocity is the target.") var maxSteps = 32
    @Option(help: "shortcut: the fraction of samples that learn a shortcut step (the rest learn the teacher's velocity).")
    var bootstrap = 0.25
    @Option(help: "shortcut: the student's sampling.fast_steps, the steps of speed = \"fast\" in recipes and the studio.")
    var fastSteps = 4
    @Option(help: ArgumentHelp("Read the target windows' latents from this cache (omnistudio train cache of the teacher).", valueName: "dir"))
    var latents: String?
    @OptionGroup var motionFrames: MotionFrameOptions

    static func range(_ text: String, name: String) throws -> ClosedRange<Float> {
        let parts = text.split(separator: ",").map { Float($0.trimmingCharacters(in: .whitespaces)) }
        guard parts.count == 2, let lo = parts[0], let hi = parts[1], lo >= 1, lo <= hi, hi <= 20 else {
            throw ValidationError("--\(name) must be lo,hi with 1 ≤ lo ≤ hi ≤ 20, not '\(Clipped(text))'")
        }
        return lo...hi
    }

    func validate() throws {
        _ = try Self.range(audioScales, name: "audio-scales")
        _ = try Self.range(textScales, name: "text-scales")
        guard ["guidance", "shortcut"].contains(method) else { throw ValidationError("--method must be guidance or shortcut, not '\(Clipped(method))'") }
        guard maxSteps >= 2, maxSteps <= 256, maxSteps & (maxSteps - 1) == 0 else { throw ValidationError("--max-steps must be a power of 2 in 2…256") }
        guard (0...1).contains(bootstrap) else { throw ValidationError("--bootstrap must be within 0…1") }
        guard fastSteps >= 1, fastSteps <= maxSteps else { throw ValidationError("--fast-steps must be 1…--max-steps (\(maxSteps))") }
    }

    func run() throws {
        var state: TrainingState
        let student: OmniModelWeights, teacherModel: LoadedModel
        let stage = method == "shortcut" ? 2 : 1
        if let saved = try TrainingState.saved(in: options.run) {
            state = saved
            state.totalSteps = options.steps
            guard let path = saved.teacher else { throw ValidationError("\(options.run) is not a distillation run (no teacher recorded)") }
            teacherModel = try LoadedModel.load(path)
            student = OmniModelWeights(config: state.config)   // filled from the checkpoint
        } else {
            guard let teacher else { throw ValidationError("--teacher MODEL_FOLDER is needed to start a distillation run") }
            teacherModel = try LoadedModel.load(teacher)
            let dit = teacherModel.config.dit
            if stage == 1 && dit.guidanceEmbedding || dit.stepEmbedding {
                throw ValidationError("\(teacher) is already a \(dit.stepEmbedding ? "shortcut" : "guidance") student; distil from its teacher")
            }
            let start = TrainingInitialization.student(of: teacherModel.weights, config: teacherModel.config, steps: stage == 2,
                                                       fastSteps: fastSteps, seed: options.seed)
            student = start.weights
            state = TrainingState(kind: "distill", stage: stage, totalSteps: options.steps, seed: options.seed,
                                  hyperparameters: options.hyperparameters(batch: 4, learningRate: 1e-4, warmup: 50),
                                  from: teacher, config: start.config)
            // The teacher's motion-frame practice: a student that never saw the held reference or noisy motion
            // latents would meet them first in generation.
            state.ratios = ConditionRatios(referenceStart: motionFrames.referenceStartRatio, motionNoise: motionFrames.motionNoise)
            state.latents = latents
            state.teacher = teacher
            let a = try Self.range(audioScales, name: "audio-scales"), x = try Self.range(textScales, name: "text-scales")
            (state.audioScales, state.textScales) = ([a.lowerBound, a.upperBound], [x.lowerBound, x.upperBound])
            if stage == 2 { (state.maxSteps, state.bootstrap) = (maxSteps, bootstrap) }
        }
        let config = state.config
        let text = CaptionStates(encoder: try TextEncoder.load(), maxTokens: config.text.maxTokens)
        let samples = PuppetSamples(seed: state.seed, sizes: config.video.sizes, fps: config.video.fps)
        let cache = try state.latents.map { try LatentCache(folder: $0) }
        let a = state.audioScales ?? [1, 4], x = state.textScales ?? [1, 6]
        let distillation: DistillationObjective.Method = state.stage == 2
            ? .shortcut(maxSteps: state.maxSteps ?? 32, shift: config.sampling.shift, bootstrap: state.bootstrap ?? 0.25) : .guidance
        let objective = try DistillationObjective(
            student: student, teacher: teacherModel.weights, config: config, samples: samples, ratios: state.ratios ?? ConditionRatios(),
            batch: state.hyperparameters.batch, method: distillation, audioScales: a[0]...a[1], textScales: x[0]...x[1], latents: cache,
            text: text.callAsFunction)
        let run = try TrainingRun(folder: options.run, fresh: state, objective: objective)
        try options.drive(run, label: "distill \(state.stage == 2 ? "shortcut" : "guidance")")
    }
}

/// The progress line of a build of training data (`train cache`, `train pack`) on stderr: "label: done/total unit,
/// rate unit/s", every 10 items and at the last.
struct BuildProgress {
    let label: String, unit: String, total: Int, quiet: Bool, start: Date

    func report(_ done: Int) {
        guard !quiet, done % 10 == 0 || done == total else { return }
        let rate = Double(done) / max(Date().timeIntervalSince(start), 1e-9)
        FileHandle.standardError.write(Data(String(format: "\r%@: %d/%d %@, %.1f %@/s", label, done, total, unit, rate, unit).utf8))
    }

    /// Bytes of `files` in `folder` (0 for one that cannot be read).
    static func bytes(of files: [String], in folder: String) -> Int {
        files.reduce(0) { total, file in
            total + ((try? FileManager.default.attributesOfItem(atPath: (folder as NSString).appendingPathComponent(file))[.size] as? Int) ?? 0)
        }
    }
}

/// `omnistudio train cache`: encode DiT training windows once with a model's frozen VAE (`LatentCache`).
struct TrainCache: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "cache",
        abstract: "Encode DiT training windows once with a model's frozen VAE, for train dit --latents.")

    @Option(help: "Model folder whose VAE encodes the windows (the one train dit starts from).") var model: String
    @Option(help: "Output folder (must not hold a cache yet).") var out: String
    @Option(help: "Number of windows (each from its own 2 s clip).") var windows = 1000
    @Option(help: "Clip seed, 1…2³¹−1 (clip seeds (seed << 32) | i; keep it apart from the DiT run's --seed).") var seed: UInt64 = 101
    @OptionGroup var audio: AudioEncoderOption
    @Flag(help: "Half the talking clips speak through espeak-ng (real speech; needs espeak-ng, which make bootstrap installs).")
    var realSpeech = false
    @Option(help: "The fraction of windows drawn from talking, head-framed clips (by the world's odds, 40 % of clips talk and 1 in 5 is head-framed: 8 %), for lips that follow the voice.")
    var talkingHeads = 0.0
    @Flag(help: "Take each clip's reference picture with the clip's own camera placement, as in a video that starts on the reference (the world's default gives the reference its own offset and zoom).")
    var alignedReference = false
    @Flag(help: "No progress line.") var quiet = false

    func validate() throws {
        guard windows >= 1 else { throw ValidationError("--windows must be positive") }
        guard (0...1).contains(talkingHeads) else { throw ValidationError("--talking-heads must be in 0…1") }
        guard seed >= 1, seed < (1 << 31) else { throw ValidationError("--seed must be in 1…2147483647") }
    }

    func run() throws {
        let model = try LoadedModel.load(model)
        let start = Date()
        let manifest = try LatentCache.build(vae: model.vae, config: audio.applied(to: model.config), seed: seed, windows: windows, folder: out,
                                             realSpeech: realSpeech, talkingHeads: talkingHeads, alignedReference: alignedReference,
                                             progress: BuildProgress(label: "cache", unit: "windows", total: windows, quiet: quiet, start: start).report)
        if !quiet { FileHandle.standardError.write(Data("\n".utf8)) }
        let seconds = Date().timeIntervalSince(start)
        let bytes = BuildProgress.bytes(of: manifest.buckets.map(\.file), in: out)
        print(String(format: "wrote %@: %d windows in %d buckets, %.1f MB (%.1f MB per 10 000 windows), %.0f s (%.2f windows/s)",
                     out, manifest.windowCount, manifest.buckets.count, Double(bytes) / 1e6, Double(bytes) / 1e6 * 10_000 / Double(manifest.windowCount),
                     seconds, Double(manifest.windowCount) / seconds))
    }
}

/// How training samples' motion frames are shaped (`ConditionRatios.referenceStart`, `.motionNoise`), for the DiT
/// stages and for distillation alike.
struct MotionFrameOptions: ParsableArguments {
    @Option(help: "Of the samples with motion frames and the reference, the fraction whose motion frames are the reference picture held still (what generation's reference.starts_video does).")
    var referenceStartRatio = 0.0
    @Option(help: "The most noise mixed into the given motion latents (uniform per sample, 0…this).") var motionNoise = 0.0

    func validate() throws {
        guard (0...1).contains(referenceStartRatio) else { throw ValidationError("--reference-start-ratio must be within 0…1") }
        guard (0...1).contains(motionNoise) else { throw ValidationError("--motion-noise must be within 0…1") }
    }
}

/// `--audio-encoder`, for the commands that start a DiT's training data or weights from a model folder whose VAE is
/// kept but whose DiT is trained from scratch (so its audio features may change).
struct AudioEncoderOption: ParsableArguments {
    @Option(help: ArgumentHelp("Audio features for a DiT trained from scratch on this model's VAE: logmel or whisper-tiny.en (default: the model's own).",
                               valueName: "encoder"))
    var audioEncoder: String?

    func validate() throws {
        if let audioEncoder, ![AudioConditionConfig.logMelEncoder, AudioConditionConfig.whisperEncoder].contains(audioEncoder) {
            throw ValidationError("--audio-encoder must be \(AudioConditionConfig.logMelEncoder) or \(AudioConditionConfig.whisperEncoder)")
        }
    }

    func applied(to config: ModelConfig) -> ModelConfig {
        var config = config
        if let audioEncoder { config.audio.encoder = audioEncoder }
        return config
    }
}

/// `omnistudio train pack`: puppet clips with their conditions worked out (`DiTPack`), for the PyTorch trainer.
struct TrainPack: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "pack",
        abstract: "Render puppet clips with their audio features, poses and caption states for the PyTorch DiT trainer (python -m omnitorch.train_dit).")

    @Option(help: "Model folder (or random:…) whose config sets the sizes, fps and audio features.") var model: String
    @Option(help: "Output folder (must not hold a pack yet).") var out: String
    @Option(help: "Number of clips.") var clips = 200
    @Option(help: "Seconds per clip.") var seconds = 2.0
    @Option(help: "Clip seed, 1…2³¹−1 (clip seeds (seed << 32) | i; keep packs of one run apart).") var seed: UInt64 = 201
    @OptionGroup var audio: AudioEncoderOption
    @Flag(help: "Half the talking clips speak through espeak-ng (needs espeak-ng, which make bootstrap installs).")
    var realSpeech = false
    @Flag(help: "No progress line.") var quiet = false

    func validate() throws {
        guard clips >= 1 else { throw ValidationError("--clips must be positive") }
        guard seconds >= 1, seconds <= 30 else { throw ValidationError("--seconds must be in 1…30") }
        guard seed >= 1, seed < (1 << 31) else { throw ValidationError("--seed must be in 1…2147483647") }
    }

    func run() throws {
        let config = audio.applied(to: try LoadedModel.load(model).config)
        let encoder = try TextEncoder.load()
        let start = Date()
        let manifest = try DiTPack.build(config: config, seed: seed, clips: clips, seconds: seconds, folder: out, realSpeech: realSpeech,
                                         text: { encoder.tokenStates($0, maxTokens: config.text.maxTokens) },
                                         progress: BuildProgress(label: "pack", unit: "clips", total: clips, quiet: quiet, start: start).report)
        if !quiet { FileHandle.standardError.write(Data("\n".utf8)) }
        let bytes = BuildProgress.bytes(of: manifest.buckets.map(\.file) + ["captions.safetensors"], in: out)
        let seconds = Date().timeIntervalSince(start)
        print(String(format: "wrote %@: %d clips in %d buckets, %d captions, %.1f MB, %.0f s (%.2f clips/s)", out, clips,
                     manifest.buckets.count, manifest.captions.count, Double(bytes) / 1e6, seconds, Double(clips) / seconds))
    }
}

/// `omnistudio train export`: a run's model folder → a shippable model folder (F16 weights by default).
struct TrainExport: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "export",
        abstract: "Write a trained model folder (e.g. RUN/model) as a model folder with F16 weights (e.g. Models/omni-mini).")

    @Option(help: "Model folder to export (a run's model/).") var from: String
    @Option(help: "Output model folder (config.json + model.safetensors; other files there are kept).") var out: String
    @Option(help: "Weight type: f16, bf16 or f32.") var dtype = "f16"

    func run() throws {
        let types: [String: DType] = ["f16": .f16, "bf16": .bf16, "f32": .f32]
        guard let type = types[dtype] else { throw ValidationError("--dtype must be f16, bf16 or f32") }
        let model = try LoadedModel.load(from)
        try FileManager.default.createDirectory(atPath: out, withIntermediateDirectories: true)
        let weights = (out as NSString).appendingPathComponent("model.safetensors")
        try model.weights.save(path: weights, dtype: type, metadata: ["format": "omni", "source": from])
        let config = (out as NSString).appendingPathComponent("config.json")
        try PendingFile.write(model.config.encoded(), to: config)
        let bytes = (try? FileManager.default.attributesOfItem(atPath: weights)[.size] as? Int) ?? 0
        print(String(format: "wrote %@ (%d parameters, %.1f MB %@)", out, model.weights.parameterCount, Double(bytes) / 1e6, dtype))
    }
}
