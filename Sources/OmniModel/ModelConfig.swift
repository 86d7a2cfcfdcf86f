import Foundation
import OmniMedia
import OmniTensor

/// A model folder's `config.json` (snake_case keys, versioned by `format`). Every size of the engine is a field
/// here, so the same code runs a one-block test model and the bundled model.
///
/// Units: `video.fps` frames per second; `segment_frames` and `motion_frames` count video frames (a segment
/// is 1 + 4k frames; 5 motion frames are 2 causal latent frames); spatial sizes are pixels, divided by
/// `vae.spatialFactor` (4 or 8) for the latent grid and further by `dit.patch_size` for the token grid.
public struct ModelConfig: Codable, Sendable, Equatable {
    public static let currentFormat = 1

    public var format: Int
    public var architecture: String
    public var vae: VAEConfig
    public var dit: DiTConfig
    public var audio: AudioConditionConfig
    public var pose: PoseConditionConfig
    public var text: TextConditionConfig
    public var video: VideoConfig
    public var sampling: SamplingDefaults

    public init(format: Int = ModelConfig.currentFormat, architecture: String = "omni", vae: VAEConfig, dit: DiTConfig,
                audio: AudioConditionConfig, pose: PoseConditionConfig, text: TextConditionConfig, video: VideoConfig,
                sampling: SamplingDefaults) {
        self.format = format; self.architecture = architecture; self.vae = vae; self.dit = dit
        self.audio = audio; self.pose = pose; self.text = text; self.video = video; self.sampling = sampling
    }

    /// Channels of one latent position of the DiT's V input: noisy latent (z), motion latent (z), motion mask (1),
    /// pose features, and with `dit.reference_input` the reference latent (z) and its presence (1).
    public var ditInputChannels: Int {
        2 * vae.zChannels + 1 + pose.featureChannels + (dit.referenceInput ? vae.zChannels + 1 : 0)
    }

    /// Checks every rule the code relies on, before anything is allocated; the reason names the key and the
    /// allowed range. `memoryBudget` (bytes) bounds what the model's weights and one segment's working set may
    /// take (`ModelMemory`).
    public func validate(path: String, memoryBudget: Double = ModelMemory.budgetBytes) throws(ModelError) {
        func fail(_ reason: String) -> ModelError { .invalidModel(path: path, reason: reason) }
        func within(_ key: String, _ value: Int, _ range: ClosedRange<Int>) throws(ModelError) {
            guard range.contains(value) else { throw fail("\(key) = \(value) must be \(range.lowerBound) … \(range.upperBound)") }
        }
        func finite(_ key: String, _ value: Double, _ range: ClosedRange<Double>, open: Bool = false) throws(ModelError) {
            guard range.contains(value), !(open && value == range.lowerBound) else {
                throw fail("\(key) = \(value) must be in \(open ? "(" : "[")\(range.lowerBound), \(range.upperBound)]")
            }
        }
        guard format == ModelConfig.currentFormat else { throw fail("format \(format) is not supported (this build reads format \(ModelConfig.currentFormat))") }
        guard architecture == "omni" else { throw fail("architecture '\(Clipped(architecture))' is not 'omni'") }

        // VAE. The stage count first: the factors (and the rules below) are powers of two of it.
        guard (1...4).contains(vae.temporalDownsample.count) else {
            throw fail("vae.temporal_downsample has \(vae.temporalDownsample.count) entries; 1 … 4 down-sampling stages are supported")
        }
        guard vae.channelMultipliers.count == vae.temporalDownsample.count + 1 else {
            throw fail("vae.channel_multipliers has \(vae.channelMultipliers.count) entries; it needs one per down-sampling stage plus one (\(vae.temporalDownsample.count + 1))")
        }
        try within("vae.base_channels", vae.baseChannels, 1...1024)
        for (i, m) in vae.channelMultipliers.enumerated() {
            try within("vae.channel_multipliers[\(i)]", m, 1...64)
            // The decoder's up-sampling halves every width but the first stage's.
            guard i == 0 || (vae.baseChannels * m) % 2 == 0 else {
                throw fail("vae.base_channels × vae.channel_multipliers[\(i)] = \(vae.baseChannels * m) must be even (the decoder's up-sampling halves it)")
            }
        }
        try within("vae.res_blocks", vae.resBlocks, 1...16)
        if let blocks = vae.encoderResBlocks { try within("vae.encoder_res_blocks", blocks, 1...16) }
        try within("vae.z_channels", vae.zChannels, 1...1024)
        guard vae.latentMean.count == vae.zChannels, vae.latentStd.count == vae.zChannels,
              vae.latentMean.allSatisfy(\.isFinite), vae.latentStd.allSatisfy({ $0.isFinite && $0 > 0 }) else {
            throw fail("vae.latent_mean and vae.latent_std must hold \(vae.zChannels) finite values (std > 0)")
        }

        // DiT.
        try within("dit.width", dit.width, 2...16384)
        try within("dit.heads", dit.heads, 1...256)
        guard dit.width % dit.heads == 0, (dit.width / dit.heads) % 2 == 0 else { throw fail("dit.width \(dit.width) must split into \(dit.heads) heads of even size") }
        try within("dit.depth", dit.depth, 1...256)
        try within("dit.mlp_ratio", dit.mlpRatio, 1...16)
        try within("dit.time_embedding_width", dit.timeEmbeddingWidth, 2...16384)
        guard dit.timeEmbeddingWidth % 2 == 0 else { throw fail("dit.time_embedding_width = \(dit.timeEmbeddingWidth) must be even (cosines and sines)") }
        try finite("dit.rope_base", dit.ropeBase, 1...1e9, open: true)
        try within("dit.patch_size", dit.patchSize, 1...8)
        if dit.stepEmbedding && !dit.guidanceEmbedding {
            throw fail("dit.step_embedding needs dit.guidance_embedding (a shortcut student is distilled from a one-pass student)")
        }

        // Conditions.
        guard [AudioConditionConfig.logMelEncoder, AudioConditionConfig.whisperEncoder].contains(audio.encoder) else {
            throw fail("audio.encoder '\(Clipped(audio.encoder))' is not '\(AudioConditionConfig.logMelEncoder)' or '\(AudioConditionConfig.whisperEncoder)'")
        }
        if audio.encoder == AudioConditionConfig.logMelEncoder {
            let bins = LogMelAnalyzer.whisper.melCount
            guard audio.melBins == bins else { throw fail("audio.mel_bins = \(audio.melBins) must be \(bins) (the log-mel analyser's bins)") }
            try within("audio.mel_frames_per_video_frame", audio.melFramesPerVideoFrame, 1...64)
        }
        try within("audio.neighbours", audio.neighbours, 0...32)
        try within("audio.hidden", audio.hidden, 1...16384)
        try within("audio.band", audio.band, 0...1000)
        guard pose.mapChannels == PoseMaps.channelCount else {
            throw fail("pose.map_channels = \(pose.mapChannels) must be \(PoseMaps.channelCount) (joint heatmaps and limb maps)")
        }
        guard pose.guiderChannels.count == vae.temporalDownsample.count else {
            throw fail("pose.guider_channels has \(pose.guiderChannels.count) entries; it needs one per VAE down-sampling stage (\(vae.temporalDownsample.count))")
        }
        for (i, g) in pose.guiderChannels.enumerated() { try within("pose.guider_channels[\(i)]", g, 1...4096) }
        try within("pose.feature_channels", pose.featureChannels, 1...4096)
        let textWidth = BertConfig.miniLML6.hiddenSize
        guard text.encoderWidth == textWidth else { throw fail("text.encoder_width = \(text.encoderWidth) must be \(textWidth) (MiniLM's width)") }
        try within("text.max_tokens", text.maxTokens, 1...512)

        // Video and sampling defaults: the ranges a request may set.
        let r = GenerationRequest.self
        try within("video.fps", video.fps, r.fpsRange)
        try within("video.segment_frames", video.segmentFrames, 5...257)
        guard (video.segmentFrames - 1) % vae.temporalFactor == 0 else {
            throw fail("video.segment_frames = \(video.segmentFrames) is not 1 + \(vae.temporalFactor)k (e.g. 25)")
        }
        guard video.motionFrames >= 1, (video.motionFrames - 1) % vae.temporalFactor == 0, video.motionFrames < video.segmentFrames else {
            throw fail("video.motion_frames = \(video.motionFrames) must be 1 + \(vae.temporalFactor)k and shorter than a segment")
        }
        guard !video.sizes.isEmpty, video.sizes.count <= 64 else { throw fail("video.sizes must hold 1 … 64 [width, height] buckets") }
        let cell = vae.spatialFactor * dit.patchSize
        for size in video.sizes {
            guard size.count == 2, size.allSatisfy({ r.sideRange.contains($0) && $0 % cell == 0 }) else {
                throw fail("video.sizes entry \(Clipped("\(size)")) must be [width, height], multiples of \(cell) (VAE factor \(vae.spatialFactor) × patch \(dit.patchSize)) in \(r.sideRange.lowerBound) … \(r.sideRange.upperBound)")
            }
        }
        try within("sampling.steps", sampling.steps, r.stepRange)
        if let fast = sampling.fastSteps { try within("sampling.fast_steps", fast, r.stepRange) }
        if sampling.speed == .fast && sampling.fastSteps == nil {
            throw fail("sampling.speed = \"fast\" needs sampling.fast_steps (the steps a distilled student was trained for)")
        }
        try finite("sampling.shift", sampling.shift, 0...r.maxShift, open: true)
        if let noise = sampling.motionNoise { try finite("sampling.motion_noise", noise, 0...1) }
        try finite("sampling.audio_guidance", sampling.audioGuidance, r.guidanceRange)
        try finite("sampling.audio_guidance_end", sampling.audioGuidanceEnd, r.guidanceRange)
        try finite("sampling.text_guidance", sampling.textGuidance, r.guidanceRange)

        // Last, with every size known to be sane: the memory it all takes.
        let memory = ModelMemory(config: self)
        guard memory.totalBytes <= memoryBudget else {
            throw fail(String(format: "this shape needs about %.1f GiB (%.0f M parameters: %.1f GiB; one segment at the largest size: %.1f GiB), more than the %.1f GiB this process may use",
                              memory.totalBytes / 1_073_741_824, memory.parameters / 1e6, memory.parameterBytes / 1_073_741_824,
                              memory.generationBytes / 1_073_741_824, memoryBudget / 1_073_741_824))
        }
    }

    /// Reads and validates `config.json` in `folder`.
    public static func load(folder: String) throws(ModelError) -> ModelConfig {
        let path = (folder as NSString).appendingPathComponent("config.json")
        guard let data = FileManager.default.contents(atPath: path) else {
            throw .invalidModel(path: path, reason: FileManager.default.fileExists(atPath: folder) ? "config.json is missing or unreadable" : "no such model folder")
        }
        let config: ModelConfig
        do { config = try snakeCaseDecoder().decode(ModelConfig.self, from: data) } catch {
            throw .invalidModel(path: path, reason: ModelConfig.describe(error))
        }
        try config.validate(path: path)
        return config
    }

    /// The decoder of config.json's snake_case keys (also of the `vae_config` a VAE file's metadata holds).
    static func snakeCaseDecoder() -> JSONDecoder {
        let decoder = JSONDecoder()
        decoder.keyDecodingStrategy = .convertFromSnakeCase
        return decoder
    }

    /// `config.json` bytes (snake_case, sorted keys, pretty).
    public func encoded() -> Data {
        let encoder = JSONEncoder()
        encoder.keyEncodingStrategy = .convertToSnakeCase
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        return (try? encoder.encode(self)) ?? Data()
    }

    static func describe(_ error: Error) -> String {
        // Keys as the file spells them: the decoder's paths hold the camelCase names it converted to.
        func keyPath(_ keys: [CodingKey]) -> String {
            keys.map { key in
                key.intValue.map(String.init) ?? key.stringValue.reduce(into: "") { out, c in
                    if c.isUppercase { out += "_" + c.lowercased() } else { out.append(c) }
                }
            }.joined(separator: ".")
        }
        switch error {
        case DecodingError.keyNotFound(let key, let context):
            return "missing key '\(keyPath(context.codingPath + [key]))'"
        case DecodingError.typeMismatch(_, let context), DecodingError.valueNotFound(_, let context):
            return "'\(Clipped(keyPath(context.codingPath)))': \(Clipped(context.debugDescription, limit: 160))"
        case DecodingError.dataCorrupted(let context):
            return context.codingPath.isEmpty ? "not valid JSON" : "'\(Clipped(keyPath(context.codingPath)))': \(Clipped(context.debugDescription, limit: 160))"
        default: return "\(error)"
        }
    }
}

/// The causal 3D VAE (Wan topology at a small width): stride 4 in time, 2 per down-sampling stage in space
/// (4 with two stages, 8 with three), z channels.
public struct VAEConfig: Codable, Sendable, Equatable {
    public var baseChannels: Int
    public var channelMultipliers: [Int]
    public var resBlocks: Int
    /// One flag per down-sampling stage: whether that stage also halves time.
    public var temporalDownsample: [Bool]
    public var zChannels: Int
    public var midAttention: Bool
    /// Per-channel statistics of the encoder's latents: the DiT sees (z − mean) / std.
    public var latentMean: [Float]
    public var latentStd: [Float]
    /// Residual blocks per encoder stage, where it differs from `resBlocks` (an encoder grown after training,
    /// `train_vae --encoder-res-blocks`). Absent in older model folders, which mean `resBlocks`.
    public var encoderResBlocks: Int?

    public var encoderBlocks: Int { encoderResBlocks ?? resBlocks }
    public var spatialFactor: Int { 1 << temporalDownsample.count }
    public var temporalFactor: Int { 1 << temporalDownsample.filter { $0 }.count }

    /// The shape a VAE weights file names in its `vae_config` metadata (config.json's `vae` object, which
    /// `python -m omnitorch.train_vae` writes into its files), or nil for a file without it. The reason of a
    /// malformed entry names the file and the key.
    public static func stored(in file: SafetensorsFile) throws(ModelError) -> VAEConfig? {
        guard let json = file.metadata["vae_config"] else { return nil }
        do { return try ModelConfig.snakeCaseDecoder().decode(VAEConfig.self, from: Data(json.utf8)) } catch {
            throw .invalidModel(path: file.path, reason: "metadata vae_config: \(ModelConfig.describe(error))")
        }
    }
}

/// The MMDiT: width, depth, heads; adaLN-single; QK RMS-norm; 3D RoPE.
public struct DiTConfig: Codable, Sendable, Equatable {
    public var width: Int
    public var depth: Int
    public var heads: Int
    public var mlpRatio: Int
    public var ropeBase: Double
    /// Sinusoidal features of the timestep before its MLP.
    public var timeEmbeddingWidth: Int
    /// Latent positions per token along each side: a token is a `patch × patch` square of the latent grid
    /// (1 frame deep). 2 with the ÷4 VAE keeps 64 tokens per latent frame at 64×64. Absent in older model folders,
    /// which mean 1.
    public var patchSize: Int
    /// A guidance-distilled student (`omnistudio train distill`): the DiT takes the audio and text guidance scales
    /// as inputs (`SamplingEmbedding`) and gives the guided velocity in one pass. Absent in older model folders,
    /// which mean false.
    public var guidanceEmbedding: Bool
    /// A step-distilled (shortcut) student (`train distill --method shortcut`; needs `guidanceEmbedding`): the DiT
    /// also takes the size of the sampler's step as an input, so one model samples well with 1–32 steps. Absent:
    /// false.
    public var stepEmbedding: Bool
    /// The reference latent also enters pixel-aligned: every latent frame's V input carries it (and a
    /// reference-present channel), besides the R tokens' attention path — so the reference's details reach the
    /// frame at the same place (docs/ARCHITECTURE.md §4.1). Absent in older model folders, which mean false.
    public var referenceInput: Bool
    public var headDimension: Int { width / heads }

    public init(width: Int, depth: Int, heads: Int, mlpRatio: Int, ropeBase: Double, timeEmbeddingWidth: Int, patchSize: Int = 1,
                guidanceEmbedding: Bool = false, stepEmbedding: Bool = false, referenceInput: Bool = false) {
        self.width = width; self.depth = depth; self.heads = heads; self.mlpRatio = mlpRatio
        self.ropeBase = ropeBase; self.timeEmbeddingWidth = timeEmbeddingWidth; self.patchSize = patchSize
        self.guidanceEmbedding = guidanceEmbedding; self.stepEmbedding = stepEmbedding; self.referenceInput = referenceInput
    }

    enum CodingKeys: String, CodingKey {
        case width, depth, heads, mlpRatio, ropeBase, timeEmbeddingWidth, patchSize, guidanceEmbedding, stepEmbedding, referenceInput
    }

    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        self.init(width: try c.decode(Int.self, forKey: .width), depth: try c.decode(Int.self, forKey: .depth),
                  heads: try c.decode(Int.self, forKey: .heads), mlpRatio: try c.decode(Int.self, forKey: .mlpRatio),
                  ropeBase: try c.decode(Double.self, forKey: .ropeBase),
                  timeEmbeddingWidth: try c.decode(Int.self, forKey: .timeEmbeddingWidth),
                  patchSize: try c.decodeIfPresent(Int.self, forKey: .patchSize) ?? 1,
                  guidanceEmbedding: try c.decodeIfPresent(Bool.self, forKey: .guidanceEmbedding) ?? false,
                  stepEmbedding: try c.decodeIfPresent(Bool.self, forKey: .stepEmbedding) ?? false,
                  referenceInput: try c.decodeIfPresent(Bool.self, forKey: .referenceInput) ?? false)
    }

    public func encode(to encoder: Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(width, forKey: .width); try c.encode(depth, forKey: .depth); try c.encode(heads, forKey: .heads)
        try c.encode(mlpRatio, forKey: .mlpRatio); try c.encode(ropeBase, forKey: .ropeBase)
        try c.encode(timeEmbeddingWidth, forKey: .timeEmbeddingWidth); try c.encode(patchSize, forKey: .patchSize)
        // Written only when set, so the teachers' config.json stays as it was.
        if guidanceEmbedding { try c.encode(true, forKey: .guidanceEmbedding) }
        if stepEmbedding { try c.encode(true, forKey: .stepEmbedding) }
        if referenceInput { try c.encode(true, forKey: .referenceInput) }
    }
}

/// Audio tokens: one per video frame, from the frame's features with ±`neighbours` frames concatenated → MLP. V
/// tokens of latent frame f read the audio tokens of the video frames f covers, widened by `band` video frames on
/// each side. The features come from `encoder`:
/// - `logmel` (older model folders, which lack the field): `mel_frames_per_video_frame` Whisper log-mel rows of
///   `mel_bins` per frame;
/// - `whisper-tiny.en`: Whisper tiny.en's encoder states (384 wide, 50 per second) averaged over each video frame
///   (`mel_bins` and `mel_frames_per_video_frame` unused).
public struct AudioConditionConfig: Codable, Sendable, Equatable {
    public static let logMelEncoder = "logmel", whisperEncoder = "whisper-tiny.en"

    public var melBins: Int
    public var melFramesPerVideoFrame: Int
    public var neighbours: Int
    public var hidden: Int
    public var band: Int
    public var encoder: String
    /// Each audio token a latent frame reads carries a learned embedding of its place in that latent frame's band
    /// (`MMDiT.audioPositions`; docs/ARCHITECTURE.md §4.4): without it the band's tokens are an unordered set, and a
    /// latent frame cannot tell which of its four video frames a sound belongs to. Absent in older models: false.
    public var bandPositions: Bool
    /// Each latent frame's video tokens also get a projection of its own video frames' embedded audio tokens added
    /// before the blocks (`MMDiT.audioFrameInput`; docs/ARCHITECTURE.md §4.4): a path from the sound to every position
    /// of the frame — the mouth's included — that does not depend on attention finding ten audio keys among hundreds.
    /// Absent in older models: false.
    public var frameInput: Bool
    /// Values per video frame of one frame's own features (before the neighbours).
    public var frameWidth: Int { encoder == Self.whisperEncoder ? 384 : melFramesPerVideoFrame * melBins }
    public var featureWidth: Int { (2 * neighbours + 1) * frameWidth }

    public init(melBins: Int, melFramesPerVideoFrame: Int, neighbours: Int, hidden: Int, band: Int, encoder: String = logMelEncoder,
                bandPositions: Bool = false, frameInput: Bool = false) {
        self.melBins = melBins; self.melFramesPerVideoFrame = melFramesPerVideoFrame; self.neighbours = neighbours
        self.hidden = hidden; self.band = band; self.encoder = encoder; self.bandPositions = bandPositions; self.frameInput = frameInput
    }

    enum CodingKeys: String, CodingKey { case melBins, melFramesPerVideoFrame, neighbours, hidden, band, encoder, bandPositions, frameInput }

    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        self.init(melBins: try c.decode(Int.self, forKey: .melBins),
                  melFramesPerVideoFrame: try c.decode(Int.self, forKey: .melFramesPerVideoFrame),
                  neighbours: try c.decode(Int.self, forKey: .neighbours), hidden: try c.decode(Int.self, forKey: .hidden),
                  band: try c.decode(Int.self, forKey: .band),
                  encoder: try c.decodeIfPresent(String.self, forKey: .encoder) ?? Self.logMelEncoder,
                  bandPositions: try c.decodeIfPresent(Bool.self, forKey: .bandPositions) ?? false,
                  frameInput: try c.decodeIfPresent(Bool.self, forKey: .frameInput) ?? false)
    }

    public func encode(to encoder: Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(melBins, forKey: .melBins); try c.encode(melFramesPerVideoFrame, forKey: .melFramesPerVideoFrame)
        try c.encode(neighbours, forKey: .neighbours); try c.encode(hidden, forKey: .hidden); try c.encode(band, forKey: .band)
        try c.encode(self.encoder, forKey: .encoder)
        if bandPositions { try c.encode(true, forKey: .bandPositions) }
        if frameInput { try c.encode(true, forKey: .frameInput) }
    }
}

/// The pose guider: heatmaps + limb maps (35 channels) at pixel resolution → causal conv stack → latent grid.
public struct PoseConditionConfig: Codable, Sendable, Equatable {
    public var mapChannels: Int
    public var guiderChannels: [Int]
    public var featureChannels: Int
}

/// Text tokens: MiniLM hidden states (width 384), at most `max_tokens` per prompt.
public struct TextConditionConfig: Codable, Sendable, Equatable {
    public var encoderWidth: Int
    public var maxTokens: Int
}

/// Frame rate, segment structure and the aspect buckets (`[width, height]` pixels).
public struct VideoConfig: Codable, Sendable, Equatable {
    public var fps: Int
    public var segmentFrames: Int
    public var motionFrames: Int
    public var sizes: [[Int]]
}

/// Defaults of a generation request for this model.
public struct SamplingDefaults: Codable, Sendable, Equatable {
    public var steps: Int
    /// The steps of `speed = "fast"`: set for step-distilled students (`train distill --method shortcut`); absent
    /// in other models, which have no fast sampler.
    public var fastSteps: Int?
    /// What a request that names no speed runs: `fast` makes a student's few steps the default (the full
    /// sampler stays `speed = "quality"`); absent means quality. `fast` needs `fast_steps`.
    public var speed: SamplingSpeed? = nil
    /// The default of a request's `motion_noise` (noise mixed into a continuation's motion latents); absent: 0.
    public var motionNoise: Double? = nil
    public var shift: Double
    public var audioGuidance: Double
    public var audioGuidanceEnd: Double
    public var textGuidance: Double
}
