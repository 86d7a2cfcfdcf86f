import Foundation
import OmniMedia
import OmniTensor
import Synchronization

/// The tensors of a model folder's `model.safetensors`: keys `vae.…`, `dit.…`, `poseGuider.…`.
public final class OmniModelWeights: Module {
    public let vae: CausalVAE
    public let dit: MMDiT
    public let poseGuider: PoseGuider

    public init(config: ModelConfig) {
        vae = CausalVAE(config: config.vae)
        dit = MMDiT(config: config)
        poseGuider = PoseGuider(config: config)
    }
}

/// A model ready to generate: its config and weights, the text encoder (loaded on first use) and a memo of
/// condition keys/values, so re-running with other guidance scales or steps does not re-encode the reference,
/// the prompt or the audio. Sources: a model folder (`config.json` + `model.safetensors`, loaded strictly), or
/// `random:tiny`, `random:mini` (or `random:tiny-whisper`, `random:mini-whisper`: Whisper audio features),
/// `random:<config.json>` — seeded random weights (seed 0) with a fitted preview.
public final class LoadedModel: @unchecked Sendable {
    public let source: String
    public let config: ModelConfig
    public let weights: OmniModelWeights
    private let lock = NSLock()
    private var textEncoder: TextEncoder?
    private var memo: [String: ConditionEncoding] = [:]
    private var memoOrder: [String] = []
    /// How many condition encodings were computed (not served from the memo) — for tests and the studio.
    public private(set) var conditionEncodings = 0

    public var vae: CausalVAE { weights.vae }
    public var dit: MMDiT { weights.dit }
    public var poseGuider: PoseGuider { weights.poseGuider }

    init(source: String, config: ModelConfig, weights: OmniModelWeights) {
        self.source = source
        self.config = config
        self.weights = weights
        weights.setTrainable(false)
    }

    public static func load(_ source: String) throws(ModelError) -> LoadedModel {
        if source.hasPrefix("random:") {
            let name = String(source.dropFirst("random:".count))
            var config: ModelConfig
            if let preset = ModelConfig.preset(name) {
                config = preset
            } else if name.hasSuffix(".json") {
                config = try ModelConfig.load(folder: (name as NSString).deletingLastPathComponent)
            } else {
                throw .invalidModel(path: source, reason: "unknown random model '\(Clipped(name))' (tiny, mini, or a config.json path)")
            }
            try config.validate(path: source)
            let weights = OmniModelWeights(config: config)
            RandomWeights.fill(weights, seed: 0)
            let model = LoadedModel(source: source, config: config, weights: weights)
            try model.fitPreview()
            return model
        }
        let config = try ModelConfig.load(folder: source)
        let weights = OmniModelWeights(config: config)
        let path = (source as NSString).appendingPathComponent("model.safetensors")
        do { try weights.load(path: path) } catch { throw .checkpoint(error) }
        return LoadedModel(source: source, config: config, weights: weights)
    }

    /// Fits the latent preview of a random model on a generated test pattern (so previews are not random).
    func fitPreview() throws(ModelError) {
        let size = config.video.sizes.first ?? [64, 64]
        let (w, h) = (size[0], size[1])
        let frames = (0..<(1 + config.vae.temporalFactor)).map { t in
            RGBImage(width: w, height: h) { x, y in
                RGB(UInt8((x * 255) / max(1, w - 1)), UInt8((y * 255) / max(1, h - 1)), UInt8((t * 60 + (x ^ y) * 4) % 256))
            }
        }
        _ = try vae.preview.fit(vae: vae, frames: FrameTensor.tensor(frames))
    }

    /// The DiT's linear weights prepared for the direct rows (`LinearRows`), copied now: make one per generation run
    /// (the weights of a model being trained change between runs).
    public func inferenceRows() -> LinearRows { LinearRows(modules: [dit]) }

    /// The MiniLM encoder from the cache (loaded once).
    public func text() throws(ModelError) -> TextEncoder {
        lock.lock(); defer { lock.unlock() }
        if let textEncoder { return textEncoder }
        let encoder = try TextEncoder.load(cacheDirectory: EncoderCache.miniLMDirectory())
        textEncoder = encoder
        return encoder
    }

    /// Condition keys/values by content key, computed by `make` once; the memo keeps the 16 most recent.
    public func conditionKeysValues(_ key: String, _ make: () throws(ModelError) -> [DiTBlock.External]) throws(ModelError) -> [DiTBlock.External] {
        try conditionEncoding(key) { () throws(ModelError) in ConditionEncoding(keysValues: try make(), latent: nil) }.keysValues
    }

    /// A condition's encoding by content key (its keys/values and, for the reference, its latent), computed by
    /// `make` once; shares the memo of `conditionKeysValues`.
    public func conditionEncoding(_ key: String, _ make: () throws(ModelError) -> ConditionEncoding) throws(ModelError) -> ConditionEncoding {
        lock.lock()
        if let hit = memo[key] { lock.unlock(); return hit }
        lock.unlock()
        let value = try make()
        lock.lock(); defer { lock.unlock() }
        conditionEncodings += 1
        memo[key] = value
        memoOrder.append(key)
        if memoOrder.count > 16 { memo[memoOrder.removeFirst()] = nil }
        return value
    }
}

/// One memoised condition: its per-block keys and values, and the normalised latent `[1, 1, h, w, z]` a reference
/// also feeds pixel-aligned (`dit.reference_input`; nil for text and audio).
public struct ConditionEncoding: @unchecked Sendable {
    public var keysValues: [DiTBlock.External]
    public var latent: Tensor?
}
