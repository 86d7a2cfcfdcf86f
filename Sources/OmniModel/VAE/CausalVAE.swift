import OmniMedia
import OmniTensor

/// The causal 3-D VAE of docs/ARCHITECTURE.md §5 (Wan2.1 topology at the config's width).
///
/// Units and layouts (channels-last; a leading batch dimension B is optional everywhere):
/// - video `[T, H, W, 3]` / `[B, T, H, W, 3]`: T frames, H × W pixels, values in [−1, 1];
///   T must be 1 + `temporalFactor`·k (e.g. 1, 5, 9, …, 25) and H, W multiples of `spatialFactor`;
/// - latents `[1 + k, H/s, W/s, z]`: 1 + k latent frames on the latent grid (s = `spatialFactor`).
///   Latent frame 0 encodes video frame 0 alone; latent frame j ≥ 1 encodes frames 1 + tf·(j−1) … tf·j
///   (tf = `temporalFactor`) and, through the causal convolutions, depends on no later frame.
///
/// The encoder gives raw latents (posterior mean and log-variance); the DiT works on `normalize(z)`, the
/// decoder reads raw latents (`denormalize` first). Whole-sequence calls (`encode`, `decode`) are
/// differentiable and batch-friendly (training); chunked calls (`encodeChunked`, `decodeChunked`, and the
/// `VAEEncoderStream` / `VAEDecoderStream` they use) keep only each causal convolution's last frames between
/// chunks — memory bounded by one chunk — and equal the whole-sequence results up to float rounding.
///
/// Checkpoint keys: `encoder.…` (`VAEEncoder`), `decoder.…` (`VAEDecoder`), `preview.weight`, `preview.bias`
/// (`LatentPreview`).
public final class CausalVAE: Module {
    public let encoder: VAEEncoder
    public let decoder: VAEDecoder
    public let preview: LatentPreview
    public let config: VAEConfig

    /// Zero-initialised; fill with `RandomWeights.fill` or load a checkpoint.
    public init(config: VAEConfig) {
        self.config = config
        encoder = VAEEncoder(config: config)
        decoder = VAEDecoder(config: config)
        preview = LatentPreview(zChannels: config.zChannels)
    }

    /// Video frames per latent frame after the first (4 with two temporal down-sampling stages).
    public var temporalFactor: Int { config.temporalFactor }
    /// Pixels per latent-grid cell along each side (4 with two down-sampling stages, 8 with three).
    public var spatialFactor: Int { config.spatialFactor }
    public var zChannels: Int { config.zChannels }

    /// Latent frames for `frames` video frames (1 + k for 1 + tf·k); throws for other counts.
    public func latentFrameCount(frames: Int) throws(ModelError) -> Int {
        guard frames >= 1, (frames - 1) % temporalFactor == 0 else {
            throw .invalidRequest(setting: "frames", reason: "the VAE encodes 1 + \(temporalFactor)k frames (1, \(1 + temporalFactor), \(1 + 2 * temporalFactor), …), got \(frames)")
        }
        return 1 + (frames - 1) / temporalFactor
    }

    /// Video frames decoded from `latentFrames` latent frames: 1 + tf·(latentFrames − 1).
    public func frameCount(latentFrames: Int) -> Int { 1 + temporalFactor * (latentFrames - 1) }

    // MARK: - Encoding

    /// Encodes the whole video at once: `[T, H, W, 3]` (or batched) → the posterior over latents
    /// `[1 + k, H/s, W/s, z]` (or batched). Differentiable (use under a `Tape` for training). Throws for a
    /// frame count other than 1 + tf·k, sizes that are not multiples of `spatialFactor`, or ≠ 3 channels.
    public func encode(_ video: Tensor) throws(ModelError) -> VAEEncoding {
        let (x, batched) = try checkedVideo(video)
        var caches = CausalFrameCaches(streaming: false)
        return VAEEncoding(moments: encoder(x, &caches), batched: batched, z: zChannels)
    }

    /// Encodes chunk by chunk — frames [0], [1 … tf], [tf+1 … 2tf], … — through a `VAEEncoderStream`, so
    /// activations of one chunk are alive at a time. Equals `encode` up to float rounding (≤ 1e-5).
    /// Meant for inference (no gradient flows across chunks).
    public func encodeChunked(_ video: Tensor) throws(ModelError) -> VAEEncoding {
        let (x, batched) = try checkedVideo(video)
        var stream = encoderStream()
        var means: [Tensor] = [], logVariances: [Tensor] = []
        var start = 0
        while start < x.shape[1] {
            let count = start == 0 ? 1 : temporalFactor
            let part = try stream.encode(x.causalFrames(start..<(start + count)))
            means.append(part.mean); logVariances.append(part.logVariance)
            start += count
        }
        let mean = Tensor.joiningFrames(means), logVariance = Tensor.joiningFrames(logVariances)
        return batched ? VAEEncoding(mean: mean, logVariance: logVariance)
                       : VAEEncoding(mean: mean.reshaped(Array(mean.shape.dropFirst())),
                                     logVariance: logVariance.reshaped(Array(logVariance.shape.dropFirst())))
    }

    /// A fresh encoding stream (zero caches) for one video sequence.
    public func encoderStream() -> VAEEncoderStream { VAEEncoderStream(vae: self) }

    /// `[T, H, W, 3]` or `[B, T, H, W, 3]` checked and viewed as `[B, T, H, W, 3]`.
    func checkedVideo(_ video: Tensor) throws(ModelError) -> (Tensor, batched: Bool) {
        guard video.rank == 4 || video.rank == 5, video.dim(-1) == 3 else {
            throw .invalidRequest(setting: "frames", reason: "the VAE encodes RGB video [T, H, W, 3] or [B, T, H, W, 3], got \(video.shape)")
        }
        _ = try latentFrameCount(frames: video.dim(-4))
        let h = video.dim(-3), w = video.dim(-2)
        guard h > 0, w > 0, h % spatialFactor == 0, w % spatialFactor == 0 else {
            throw .invalidRequest(setting: "size", reason: "frame size \(w)×\(h) must be a multiple of \(spatialFactor) in both directions")
        }
        return video.rank == 5 ? (video, true) : (video.reshaped([1] + video.shape), false)
    }

    // MARK: - Decoding

    /// Decodes all latent frames at once: raw latents `[1 + k, h, w, z]` (or batched) → video
    /// `[1 + tf·k, h·s, w·s, 3]` (or batched). With `clamp` (inference) the pixels are clamped to [−1, 1] —
    /// the clamped result carries no gradient; pass `clamp: false` for training losses. Differentiable otherwise.
    public func decode(_ latents: Tensor, clamp: Bool = true) -> Tensor {
        let (z, batched) = checkedLatents(latents)
        var caches = CausalFrameCaches(streaming: false)
        let y = decoder(z, &caches)
        let out = batched ? y : y.reshaped(Array(y.shape.dropFirst()))
        return clamp ? CausalVAE.clamped(out) : out
    }

    /// Decodes one latent frame at a time through a `VAEDecoderStream` (1 frame, then tf frames each) and joins
    /// the frames. Equals `decode` up to float rounding (≤ 1e-5). Inference only.
    public func decodeChunked(_ latents: Tensor, clamp: Bool = true) -> Tensor {
        let (z, batched) = checkedLatents(latents)
        var stream = decoderStream(clamp: clamp)
        let parts = (0..<z.shape[1]).map { stream.decode(latentFrames: z.causalFrames($0..<($0 + 1))) }
        let y = Tensor.joiningFrames(parts)
        return batched ? y : y.reshaped(Array(y.shape.dropFirst()))
    }

    /// A fresh decoding stream (zero caches) for one latent sequence (e.g. one segment).
    public func decoderStream(clamp: Bool = true) -> VAEDecoderStream { VAEDecoderStream(vae: self, clamp: clamp) }

    /// Motion latents `[latentFrames, h, w, z]` (normalised) of `frames`, encoded from scratch (fresh causal
    /// caches) — how a continuation sees its motion frames, in generation and in training alike.
    public func motionLatents(of frames: [RGBImage]) throws(ModelError) -> Tensor {
        normalize(try encodeChunked(FrameTensor.tensor(frames)).mean)
    }

    /// `[T', h, w, z]` or `[B, T', h, w, z]` viewed as `[B, T', h, w, z]`.
    func checkedLatents(_ latents: Tensor) -> (Tensor, batched: Bool) {
        precondition((latents.rank == 4 || latents.rank == 5) && latents.dim(-1) == zChannels && latents.dim(-4) >= 1,
                     "the VAE decodes latents [T', h, w, \(zChannels)] or [B, T', h, w, \(zChannels)], got \(latents.shape)")
        return latents.rank == 5 ? (latents, true) : (latents.reshaped([1] + latents.shape), false)
    }

    /// Pixels clamped to [−1, 1]: in place when `x` carries no gradient, else a detached clamped copy.
    static func clamped(_ x: Tensor) -> Tensor {
        let out = x.requiresGrad ? x.detached() : x
        let p = out.data
        for i in 0..<out.count { p[i] = min(1, max(-1, p[i])) }
        return out
    }

    // MARK: - Latent normalisation

    /// `(z − latent_mean) / latent_std` per channel: raw latents `[…, z]` → the DiT's latent space. Differentiable.
    public func normalize(_ z: Tensor) -> Tensor {
        precondition(z.dim(-1) == zChannels, "normalize wants latents [..., \(zChannels)], got \(z.shape)")
        return (z - Tensor(config.latentMean, shape: [zChannels])) * Tensor(config.latentStd.map { 1 / $0 }, shape: [zChannels])
    }

    /// `z · latent_std + latent_mean` per channel: the DiT's latent space → raw latents. Differentiable.
    public func denormalize(_ z: Tensor) -> Tensor {
        precondition(z.dim(-1) == zChannels, "denormalize wants latents [..., \(zChannels)], got \(z.shape)")
        return z * Tensor(config.latentStd, shape: [zChannels]) + Tensor(config.latentMean, shape: [zChannels])
    }
}

/// The encoder's diagonal Gaussian posterior over raw latents: `mean` and `logVariance`, each
/// `[1 + k, h, w, z]` (or batched `[B, 1 + k, h, w, z]`).
public struct VAEEncoding: Sendable {
    public let mean: Tensor
    public let logVariance: Tensor

    public init(mean: Tensor, logVariance: Tensor) {
        precondition(mean.shape == logVariance.shape, "VAEEncoding mean \(mean.shape) and log-variance \(logVariance.shape) differ")
        self.mean = mean
        self.logVariance = logVariance
    }

    /// Splits the encoder head's `[B, T', h, w, 2z]` into mean and log-variance (dropping B when not batched).
    init(moments: Tensor, batched: Bool, z: Int) {
        let parts = moments.split([z, z], axis: -1)
        let shape = batched ? parts[0].shape : Array(parts[0].shape.dropFirst())
        self.init(mean: parts[0].reshaped(shape), logVariance: parts[1].reshaped(shape))
    }

    /// Reparameterised sample `μ + exp(½·logvar)·ε` with ε ~ N(0, 1) from `rng` (read from its
    /// `normalPosition`, which advances by the element count). Differentiable in μ and logvar.
    public func sample(_ rng: inout RandomStream) -> Tensor {
        let noise = Tensor(uninitialized: mean.shape)
        rng.fillNormal(noise.buffer, startingAt: rng.normalPosition)
        rng.normalPosition &+= UInt64(noise.count)
        return sample(noise: noise)
    }

    /// `μ + exp(½·logvar)·noise` for a given ε of the same shape. Differentiable in μ and logvar.
    public func sample(noise: Tensor) -> Tensor {
        precondition(noise.shape == mean.shape, "noise \(noise.shape) for latents \(mean.shape)")
        return mean + logVariance.scaled(0.5).exp() * noise
    }

    /// KL(q ‖ N(0, I)) per latent element, averaged over all elements: mean of ½·(μ² + exp(logvar) − 1 − logvar).
    /// A scalar tensor; multiply by z (channels) for the per-position sum. Differentiable.
    public func klDivergence() -> Tensor {
        (mean * mean + logVariance.exp() - logVariance).adding(-1).scaled(0.5).mean()
    }
}

/// Encodes one video sequence chunk by chunk, keeping each causal convolution's last frames between chunks.
/// The first chunk must hold 1 + tf·k frames (normally 1: frame 0 alone), every later chunk tf·k frames
/// (normally tf); each chunk of 1 + tf·k (first) or tf·k (later) frames gives 1 + k or k latent frames, the same
/// values `CausalVAE.encode` gives for them on the whole video. A fresh stream starts from zero caches; `reset()`
/// starts a new sequence. Inference only.
public struct VAEEncoderStream {
    public let vae: CausalVAE
    var caches = CausalFrameCaches(streaming: true)
    /// Video frames encoded so far in this sequence.
    public private(set) var framesEncoded = 0

    init(vae: CausalVAE) { self.vae = vae }

    /// Encodes the next chunk `[n, H, W, 3]` (or `[B, n, H, W, 3]`) → posterior over its latent frames.
    public mutating func encode(_ chunk: Tensor) throws(ModelError) -> VAEEncoding {
        guard chunk.rank == 4 || chunk.rank == 5, chunk.dim(-1) == 3 else {
            throw .invalidRequest(setting: "frames", reason: "the VAE encodes RGB video [T, H, W, 3] or [B, T, H, W, 3], got \(chunk.shape)")
        }
        let n = chunk.dim(-4), tf = vae.temporalFactor
        let first = framesEncoded == 0
        guard first ? (n - 1) % tf == 0 : (n > 0 && n % tf == 0) else {
            throw .invalidRequest(setting: "frames", reason: first
                ? "the first chunk of a streamed encode holds 1 + \(tf)k frames (normally 1), got \(n)"
                : "a later chunk of a streamed encode holds a multiple of \(tf) frames (normally \(tf)), got \(n)")
        }
        let h = chunk.dim(-3), w = chunk.dim(-2), s = vae.spatialFactor
        guard h > 0, w > 0, h % s == 0, w % s == 0 else {
            throw .invalidRequest(setting: "size", reason: "frame size \(w)×\(h) must be a multiple of \(s) in both directions")
        }
        let batched = chunk.rank == 5
        let x = batched ? chunk : chunk.reshaped([1] + chunk.shape)
        let moments = vae.encoder(x, &caches)
        framesEncoded += n
        return VAEEncoding(moments: moments, batched: batched, z: vae.zChannels)
    }

    /// Forgets every cache: the next chunk starts a new sequence.
    public mutating func reset() {
        caches = CausalFrameCaches(streaming: true)
        framesEncoded = 0
    }
}

/// Decodes one latent sequence (a whole generated video, segment after segment) a few latent frames at a time —
/// for streaming previews and bounded memory — keeping each causal convolution's last frames between calls. The
/// first latent frame gives 1 video frame, every later one tf frames; the frames equal those of
/// `CausalVAE.decode` on the whole latent sequence up to float rounding (≤ 1e-5). A fresh stream starts from zero
/// caches; `reset()` starts a new sequence. Inference only.
public struct VAEDecoderStream {
    public let vae: CausalVAE
    /// Whether decoded pixels are clamped to [−1, 1].
    public let clamp: Bool
    var caches = CausalFrameCaches(streaming: true)
    /// Latent frames decoded so far in this sequence.
    public private(set) var latentFramesDecoded = 0

    init(vae: CausalVAE, clamp: Bool) {
        self.vae = vae
        self.clamp = clamp
    }

    /// Decodes the next latent frames: raw latents `[n, h, w, z]` (or `[B, n, h, w, z]`) → video frames
    /// `[m, H, W, 3]` (or batched) with m = 1 + tf·(n − 1) for the sequence's first call, tf·n after.
    public mutating func decode(latentFrames: Tensor) -> Tensor {
        let (z, batched) = vae.checkedLatents(latentFrames)
        let y = vae.decoder(z, &caches)
        latentFramesDecoded += z.shape[1]
        let out = batched ? y : y.reshaped(Array(y.shape.dropFirst()))
        return clamp ? CausalVAE.clamped(out) : out
    }

    /// Decodes the next single latent frame `[h, w, z]` → video frames `[m, H, W, 3]` (m = 1 for the first
    /// latent frame of the sequence, tf after).
    public mutating func decode(latentFrame: Tensor) -> Tensor {
        precondition(latentFrame.rank == 3, "decode(latentFrame:) wants one latent frame [h, w, z], got \(latentFrame.shape)")
        return decode(latentFrames: latentFrame.reshaped([1] + latentFrame.shape))
    }

    /// Forgets every cache: the next latent frame starts a new sequence.
    public mutating func reset() {
        caches = CausalFrameCaches(streaming: true)
        latentFramesDecoded = 0
    }
}
