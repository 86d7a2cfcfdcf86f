import Foundation

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

    /// Checks every rule the code relies on; the reason names the key.
    public func validate(path: String) throws(ModelError) {
        func fail(_ reason: String) -> ModelError { .invalidModel(path: path, reason: reason) }
        guard format == ModelConfig.currentFormat else { throw fail("format \(format) is not supported (this build reads format \(ModelConfig.currentFormat))") }
        guard architecture == "omni" else { throw fail("architecture '\(architecture)' is not 'omni'") }
        // The divisors first: the rules below divide by them.
        guard (1...4).contains(vae.temporalDownsample.count) else {
            throw fail("vae.temporal_downsample has \(vae.temporalDownsample.count) entries; 1 … 4 down-sampling stages are supported")
        }
        guard dit.heads >= 1 else { throw fail("dit.heads = \(dit.heads) must be at least 1") }
        guard video.segmentFrames >= 5, (video.segmentFrames - 1) % vae.temporalFactor == 0 else {
            throw fail("video.segment_frames = \(video.segmentFrames) is not 1 + \(vae.temporalFactor)k (e.g. 25)")
        }
        guard video.motionFrames >= 1, (video.motionFrames - 1) % vae.temporalFactor == 0, video.motionFrames < video.segmentFrames else {
            throw fail("video.motion_frames = \(video.motionFrames) must be 1 + \(vae.temporalFactor)k and shorter than a segment")
        }
        guard video.fps > 0 else { throw fail("video.fps must be positive") }
        guard dit.width % dit.heads == 0, (dit.width / dit.heads) % 2 == 0 else { throw fail("dit.width \(dit.width) must split into \(dit.heads) heads of even size") }
        guard dit.depth >= 1 else { throw fail("dit.depth must be at least 1") }
        guard dit.patchSize >= 1, dit.patchSize <= 8 else { throw fail("dit.patch_size = \(dit.patchSize) must be 1 … 8") }
        guard [AudioConditionConfig.logMelEncoder, AudioConditionConfig.whisperEncoder].contains(audio.encoder) else {
            throw fail("audio.encoder '\(audio.encoder)' is not '\(AudioConditionConfig.logMelEncoder)' or '\(AudioConditionConfig.whisperEncoder)'")
        }
        guard vae.latentMean.count == vae.zChannels, vae.latentStd.count == vae.zChannels, vae.latentStd.allSatisfy({ $0 > 0 }) else {
            throw fail("vae.latent_mean and vae.latent_std must hold \(vae.zChannels) values (std > 0)")
        }
        guard vae.channelMultipliers.count == vae.temporalDownsample.count + 1 else {
            throw fail("vae.temporal_downsample needs one entry per down-sampling stage (\(vae.channelMultipliers.count - 1))")
        }
        let cell = vae.spatialFactor * dit.patchSize
        for size in video.sizes {
            guard size.count == 2, size[0] % cell == 0, size[1] % cell == 0, size[0] > 0, size[1] > 0 else {
                throw fail("video.sizes entry \(size) must be [width, height], multiples of \(cell) (VAE factor \(vae.spatialFactor) × patch \(dit.patchSize))")
            }
        }
    }

    /// Reads and validates `config.json` in `folder`.
    public static func load(folder: String) throws(ModelError) -> ModelConfig {
        let path = (folder as NSString).appendingPathComponent("config.json")
        guard let data = FileManager.default.contents(atPath: path) else {
            throw .invalidModel(path: path, reason: FileManager.default.fileExists(atPath: folder) ? "config.json is missing or unreadable" : "no such model folder")
        }
        let decoder = JSONDecoder()
        decoder.keyDecodingStrategy = .convertFromSnakeCase
        let config: ModelConfig
        do { config = try decoder.decode(ModelConfig.self, from: data) } catch {
            throw .invalidModel(path: path, reason: ModelConfig.describe(error))
        }
        try config.validate(path: path)
        return config
    }

    /// `config.json` bytes (snake_case, sorted keys, pretty).
    public func encoded() -> Data {
        let encoder = JSONEncoder()
        encoder.keyEncodingStrategy = .convertToSnakeCase
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        return (try? encoder.encode(self)) ?? Data()
    }

    static func describe(_ error: Error) -> String {
        switch error {
        case DecodingError.keyNotFound(let key, let context):
            return "missing key '\((context.codingPath + [key]).map(\.stringValue).joined(separator: "."))'"
        case DecodingError.typeMismatch(_, let context), DecodingError.valueNotFound(_, let context):
            return "'\(context.codingPath.map(\.stringValue).joined(separator: "."))': \(context.debugDescription)"
        case DecodingError.dataCorrupted(let context):
            return context.codingPath.isEmpty ? "not valid JSON" : "'\(context.codingPath.map(\.stringValue).joined(separator: "."))': \(context.debugDescription)"
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

    public var spatialFactor: Int { 1 << temporalDownsample.count }
    public var temporalFactor: Int { 1 << temporalDownsample.filter { $0 }.count }
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
    public var headDimension: Int { width / heads }

    public init(width: Int, depth: Int, heads: Int, mlpRatio: Int, ropeBase: Double, timeEmbeddingWidth: Int, patchSize: Int = 1) {
        self.width = width; self.depth = depth; self.heads = heads; self.mlpRatio = mlpRatio
        self.ropeBase = ropeBase; self.timeEmbeddingWidth = timeEmbeddingWidth; self.patchSize = patchSize
    }

    enum CodingKeys: String, CodingKey { case width, depth, heads, mlpRatio, ropeBase, timeEmbeddingWidth, patchSize }

    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        self.init(width: try c.decode(Int.self, forKey: .width), depth: try c.decode(Int.self, forKey: .depth),
                  heads: try c.decode(Int.self, forKey: .heads), mlpRatio: try c.decode(Int.self, forKey: .mlpRatio),
                  ropeBase: try c.decode(Double.self, forKey: .ropeBase),
                  timeEmbeddingWidth: try c.decode(Int.self, forKey: .timeEmbeddingWidth),
                  patchSize: try c.decodeIfPresent(Int.self, forKey: .patchSize) ?? 1)
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
    /// Values per video frame of one frame's own features (before the neighbours).
    public var frameWidth: Int { encoder == Self.whisperEncoder ? 384 : melFramesPerVideoFrame * melBins }
    public var featureWidth: Int { (2 * neighbours + 1) * frameWidth }

    public init(melBins: Int, melFramesPerVideoFrame: Int, neighbours: Int, hidden: Int, band: Int, encoder: String = logMelEncoder) {
        self.melBins = melBins; self.melFramesPerVideoFrame = melFramesPerVideoFrame; self.neighbours = neighbours
        self.hidden = hidden; self.band = band; self.encoder = encoder
    }

    enum CodingKeys: String, CodingKey { case melBins, melFramesPerVideoFrame, neighbours, hidden, band, encoder }

    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        self.init(melBins: try c.decode(Int.self, forKey: .melBins),
                  melFramesPerVideoFrame: try c.decode(Int.self, forKey: .melFramesPerVideoFrame),
                  neighbours: try c.decode(Int.self, forKey: .neighbours), hidden: try c.decode(Int.self, forKey: .hidden),
                  band: try c.decode(Int.self, forKey: .band),
                  encoder: try c.decodeIfPresent(String.self, forKey: .encoder) ?? Self.logMelEncoder)
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
    public var shift: Double
    public var audioGuidance: Double
    public var audioGuidanceEnd: Double
    public var textGuidance: Double
}
