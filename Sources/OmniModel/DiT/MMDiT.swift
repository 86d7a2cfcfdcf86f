import OmniTensor
import Synchronization

/// The multimodal diffusion transformer of docs/ARCHITECTURE.md §4. It predicts the flow-matching velocity `v = ε − x₀` of
/// a segment's noisy latents from four token groups sharing one attention sequence:
/// - V: video tokens, one per `p × p` patch of a latent frame (p = `dit.patch_size`): the noisy latent
///   channel-concatenated with the motion-frame latents, their mask, the pose-guider features and (with
///   `dit.reference_input`) the reference latent and its presence channel (`referenceInput`), the p² positions
///   of a patch joined in (row, column, channel) order, through `patchEmbedding`; timestep modulation by
///   adaLN-single; RoPE positions (1 + latent frame, token row, token column);
/// - R: the reference latent through the same `patchEmbedding` and the same blocks with σ = 0 modulation,
///   RoPE time index 0, attending only to R — so its per-block keys and values can be cached;
/// - X: MiniLM token states → `textEmbedding` → per-block key/value projections;
/// - A: per-video-frame audio features → `audioEmbedding` → per-block key/value projections; with
///   `audio.band_positions`, laid out band by band with `audioPositions` added (`TokenLayout`); with
///   `audio.frame_input`, also added to each latent frame's V tokens through `audioFrameInput`.
///
/// Shapes: latents are channels-last `[B, latentFrames, gridH, gridW, z]` (gridH, gridW multiples of p); B counts
/// guidance passes (or training samples). Tokens per latent frame: (gridH/p)·(gridW/p). Checkpoint keys are the
/// property paths (`blocks.3.qkv.weight`, …).
public final class MMDiT: Module {
    public let patchEmbedding: Linear
    public let timeEmbedding: TimestepEmbedding
    public let timeProjection: Linear
    /// Distilled students only (`dit.guidance_embedding`, `dit.step_embedding`).
    public let samplingEmbedding: SamplingEmbedding?
    public let textEmbedding: Linear
    public let textEmbeddingOut: Linear
    public let audioEmbedding: Linear
    public let audioEmbeddingOut: Linear
    /// `[bandSlots, d]` with `audio.band_positions`: √d times a row is added to an audio token by its slot in the band
    /// of the latent frame reading it. Starts at zero, so a model that gains it computes what it did before. Stored
    /// divided by √d so that AdamW, whose steps are about the learning rate per element whatever the gradient's
    /// size, moves it at the scale of the audio tokens rather than of a fresh bias: at 1e-4 the unscaled rows
    /// reached norms of 0.05–0.09 in 2000 steps.
    public let audioPositions: Tensor?
    /// The factor on `audioPositions`: √d.
    public var audioPositionScale: Float { Float(config.dit.width).squareRoot() }
    /// With `audio.frame_input`: `[d, temporalFactor·d]` (+ bias). A latent frame's video frames' embedded audio tokens,
    /// in order and joined (latent frame 0's single frame in the last slot, zeros before it), projected to one vector
    /// added to every V token of that latent frame before the blocks, for the passes with audio on. Zero in a model
    /// that gains it (`TrainingInitialization.withAudioFrameInput`), so it then computes what it did before.
    public let audioFrameInput: Linear?
    public let blocks: [DiTBlock]
    public let finalModulation: Tensor
    public let head: Linear

    public let config: ModelConfig
    var width: Int { config.dit.width }
    /// Channels of one latent position's input (`ModelConfig.ditInputChannels`).
    public var inputChannels: Int { config.ditInputChannels }
    /// Latent positions per token along each side.
    public var patchSize: Int { config.dit.patchSize }

    public init(config: ModelConfig) {
        self.config = config
        let d = config.dit.width, z = config.vae.zChannels
        let p2 = config.dit.patchSize * config.dit.patchSize
        patchEmbedding = Linear(p2 * config.ditInputChannels, d)
        timeEmbedding = TimestepEmbedding(frequencyWidth: config.dit.timeEmbeddingWidth, width: d)
        timeProjection = Linear(d, 6 * d)
        samplingEmbedding = config.dit.guidanceEmbedding
            ? SamplingEmbedding(frequencyWidth: config.dit.timeEmbeddingWidth, width: d, steps: config.dit.stepEmbedding) : nil
        textEmbedding = Linear(config.text.encoderWidth, d)
        textEmbeddingOut = Linear(d, d)
        audioEmbedding = Linear(config.audio.featureWidth, config.audio.hidden)
        audioEmbeddingOut = Linear(config.audio.hidden, d)
        if config.audio.bandPositions {
            let positions = Tensor(zeros: [config.vae.temporalFactor + 2 * config.audio.band, d])
            positions.requiresGrad = true
            audioPositions = positions
        } else {
            audioPositions = nil
        }
        audioFrameInput = config.audio.frameInput ? Linear(config.vae.temporalFactor * d, d) : nil
        blocks = (0..<config.dit.depth).map { _ in DiTBlock(width: d, heads: config.dit.heads, mlpRatio: config.dit.mlpRatio) }
        finalModulation = Tensor(zeros: [2, d])
        finalModulation.requiresGrad = true
        head = Linear(d, p2 * z)
    }

    /// Per-sample time conditioning: the embedding `[B, d]` and the shared block projection `[B, 6d]`. A distilled
    /// student adds its `SamplingEmbedding` of `controls` (one per sample; nil: `.neutral`) — only for the video
    /// tokens: the reference stream's cached keys and values stay free of the controls.
    public func timeConditioning(_ sigmas: [Float], controls: [SamplingControls]? = nil) -> (embedding: Tensor, projection: Tensor) {
        var e = timeEmbedding(sigmas)
        if let samplingEmbedding {
            let controls = controls ?? Array(repeating: .neutral, count: sigmas.count)
            precondition(controls.count == sigmas.count, "one set of sampling controls per sigma")
            e = e + samplingEmbedding(controls)
        }
        return (e, timeProjection(e.silu()))
    }

    /// Text states `[B, Lx, 384]` → `[B, Lx, d]`.
    public func embedText(_ states: Tensor) -> Tensor { textEmbeddingOut(textEmbedding(states).gelu(.tanh)) }

    /// Audio features `[B, La, featureWidth]` → `[B, La, d]`.
    public func embedAudio(_ features: Tensor) -> Tensor { audioEmbeddingOut(audioEmbedding(features).silu()) }

    /// Where the audio tokens of a segment of `latentFrames` and `audioFrames` video frames of audio sit.
    func audioLayout(latentFrames: Int, audioFrames: Int) -> TokenLayout {
        TokenLayout(latentFrames: latentFrames, gridTokens: 0, referenceTokens: 0, referenceIsQuery: false, textTokens: 0,
                    audioFrames: audioFrames, audioBand: config.audio.band, audioBandPositions: config.audio.bandPositions,
                    temporalFactor: config.vae.temporalFactor)
    }

    /// The A tokens `[B, ·, d]` of embedded audio `[B, La, d]` for a segment of `latentFrames`: the embedding itself,
    /// or with `audio.band_positions` each latent frame's band in turn, each token plus √d × its slot's position row.
    /// Differentiable.
    func audioSequence(_ embedded: Tensor, latentFrames: Int) -> Tensor {
        guard let audioPositions else { return embedded }
        let d = embedded.shape[2]
        let parts = audioLayout(latentFrames: latentFrames, audioFrames: embedded.shape[1]).audioBands
            .filter { !$0.frames.isEmpty }
            .map { band in
                embedded.slice(axis: 1, band.frames)
                    + audioPositions.slice(axis: 0, band.firstSlot..<(band.firstSlot + band.frames.count)).reshaped([1, band.frames.count, d])
                    * audioPositionScale
            }
        return parts.count == 1 ? parts[0] : Tensor.concat(parts, axis: 1)
    }

    /// RoPE table for `frames × gridH × gridW` tokens with time indices starting at `frameOffset`. Kept per grid:
    /// every call of a generation asks for the same one, and building it (L·D/2 cosines and sines in double
    /// precision) takes 0.21 ms, 0.75 % of a one-pass DiT call at 64 × 64 (28.5 ms).
    public func rope(frames: Int, gridH: Int, gridW: Int, frameOffset: Int) -> RoPETable {
        let key = [frames, gridH, gridW, frameOffset]
        if let table = ropeTables.withLock({ $0[key] }) { return table }
        let table = RoPETable(positions: RoPETable.gridPositions(frames: frames, height: gridH, width: gridW, frameOffset: frameOffset),
                              headDimension: config.dit.headDimension, base: config.dit.ropeBase)
        ropeTables.withLock { tables in
            if tables.count >= 32 { tables.removeAll() }   // a bound for callers that vary the grid endlessly
            tables[key] = table
        }
        return table
    }

    /// `rope(frames:gridH:gridW:frameOffset:)`'s tables by `[frames, gridH, gridW, frameOffset]`.
    private let ropeTables = Mutex<[[Int]: RoPETable]>([:])

    /// V input tokens `[B, T·(h/p)·(w/p), d]` from the channel-concatenated latent inputs `[B, T, h, w, inputChannels]`.
    public func embedVideo(_ inputs: Tensor) -> Tensor {
        patchEmbedding(Self.patchify(inputs, patch: patchSize))
    }

    /// R input tokens `[B, (h/p)·(w/p), d]` from normalised reference latents `[B, 1, h, w, z]`: the latent in the
    /// noisy-latent slot, zeros in the motion, mask and pose slots.
    public func embedReference(_ latent: Tensor) -> Tensor {
        let z = config.vae.zChannels
        let padding = Tensor(zeros: Array(latent.shape.dropLast()) + [inputChannels - z])
        return patchEmbedding(Self.patchify(Tensor.concat([latent, padding], axis: -1), patch: patchSize))
    }

    /// The pixel-aligned reference channels of a V input `[1, frames, h, w, z + 1]` with `dit.reference_input`: the
    /// normalised reference latent `[1, 1, h, w, z]` in every latent frame and a channel of ones — or all zeros when
    /// the reference is off (`latent` nil). Nil for a model without the input. Generation and training both build
    /// their inputs through this.
    public static func referenceInput(_ latent: Tensor?, config: ModelConfig, frames: Int, height h: Int, width w: Int) -> Tensor? {
        guard config.dit.referenceInput else { return nil }
        let z = config.vae.zChannels
        let out = Tensor(zeros: [1, frames, h, w, z + 1])
        guard let latent else { return out }
        precondition(latent.shape == [1, 1, h, w, z], "reference latent \(latent.shape) for a \(w)×\(h) grid of \(z) channels")
        for f in 0..<frames {
            for p in 0..<(h * w) {
                let o = (f * h * w + p) * (z + 1)
                for c in 0..<z { out.data[o + c] = latent.data[p * z + c] }
                out.data[o + z] = 1
            }
        }
        return out
    }

    /// `[B, T, h, w, C]` → `[B, T·(h/p)·(w/p), p·p·C]`: each token holds its patch's positions in (row, column)
    /// order, channels innermost. p = 1 is a view. Differentiable.
    static func patchify(_ x: Tensor, patch p: Int) -> Tensor {
        let (b, t, h, w, c) = (x.shape[0], x.shape[1], x.shape[2], x.shape[3], x.shape[4])
        precondition(h % p == 0 && w % p == 0, "latent grid \(w)×\(h) is not a multiple of the patch size \(p)")
        if p == 1 { return x.reshaped([b, t * h * w, c]) }
        return x.reshaped([b, t, h / p, p, w / p, p, c]).permuted([0, 1, 2, 4, 3, 5, 6])
            .reshaped([b, t * (h / p) * (w / p), p * p * c])
    }

    /// The inverse of `patchify`: tokens `[B, T·(h/p)·(w/p), p·p·C]` → `[B, T, h, w, C]`. Differentiable.
    static func unpatchify(_ x: Tensor, frames t: Int, height h: Int, width w: Int, patch p: Int) -> Tensor {
        let b = x.shape[0], c = x.shape[2] / (p * p)
        if p == 1 { return x.reshaped([b, t, h, w, c]) }
        return x.reshaped([b, t, h / p, w / p, p, p, c]).permuted([0, 1, 2, 4, 3, 5, 6]).reshaped([b, t, h, w, c])
    }

    /// Final adaLN + linear head: tokens `[B, L, d]` → velocity per token `[B, L, p·p·z]`.
    func finalLayer(_ x: Tensor, timeEmbedding e: Tensor) -> Tensor {
        let b = x.shape[0]
        let m = (e.reshaped([b, 1, width]) + finalModulation.reshaped([1, 2, width])).split([1, 1], axis: 1)
        return head(x.modulatedLayerNorm(shift: m[0], scale: m[1]))
    }

    // MARK: - Forward passes

    /// Runs R through every block once (σ = 0, RoPE time 0, attending only to R) and returns each block's
    /// R keys and values `[1, Lr, d]` for the condition cache.
    public func referenceKeysValues(latent: Tensor) -> [DiTBlock.External] {
        let h = latent.shape[2], w = latent.shape[3], p = patchSize
        var r = embedReference(latent)
        let time = timeConditioning([0])
        let rope = self.rope(frames: 1, gridH: h / p, gridW: w / p, frameOffset: 0)
        var out: [DiTBlock.External] = []
        for block in blocks {
            let step = block([.init(tokens: r, timeProjection: time.projection, rope: rope)], externals: [], mask: .none,
                             returnKeysValues: true)
            r = step.tokens[0]
            out.append(step.keysValues!)
        }
        return out
    }

    /// Per-block text keys and values `[1, Lx, d]` of MiniLM states `[1, Lx, 384]`.
    public func textKeysValues(states: Tensor) -> [DiTBlock.External] {
        let x = embedText(states)
        return blocks.map { let kv = $0.textKeysValues(x); return .init(key: kv.key, value: kv.value) }
    }

    /// With `audio.frame_input`, the per-latent-frame audio vectors `[B, latentFrames, d]` of embedded audio `[B, La, d]`
    /// (`audioFrameInput` of each latent frame's own video frames' tokens, frames past La repeating the last); nil
    /// without the field.
    func audioFrameVectors(_ embedded: Tensor, latentFrames t: Int) -> Tensor? {
        guard let audioFrameInput else { return nil }
        let (b, la, d, tf) = (embedded.shape[0], embedded.shape[1], width, config.vae.temporalFactor)
        let layout = TokenLayout(latentFrames: t, gridTokens: 1, referenceTokens: 0, referenceIsQuery: false, textTokens: 0,
                                 audioFrames: la, audioBand: 0, audioBandPositions: false, temporalFactor: tf)
        var rows: [Tensor] = []
        for f in 0..<t {
            let frames = layout.videoFrames(ofLatentFrame: f)
            var parts: [Tensor] = frames.count < tf ? [Tensor(zeros: [b, 1, (tf - frames.count) * d])] : []
            for v in frames { parts.append(embedded.slice(axis: 1, min(v, la - 1)..<(min(v, la - 1) + 1)).reshaped([b, 1, d])) }
            rows.append(Tensor.concat(parts, axis: 2))
        }
        return audioFrameInput(Tensor.concat(rows, axis: 1))
    }

    /// The segment's `audioFrameVectors` `[1, latentFrames, d]` for `ConditionCache.setAudio(_:frames:frameInput:)`; nil
    /// for a model without `audio.frame_input`.
    public func audioFrameInput(features: Tensor, latentFrames: Int) -> Tensor? {
        audioFrameInput == nil ? nil : audioFrameVectors(embedAudio(features), latentFrames: latentFrames)
    }

    /// V tokens `[B, T'·G, d]` plus each latent frame's audio vector (`[1 or B, T', d]`) in the batch rows whose pass
    /// has audio on.
    func addingAudioFrames(_ x: Tensor, _ vectors: Tensor, passes: [(textOn: Bool, audioOn: Bool)], latentFrames t: Int) -> Tensor {
        let (b, l, d) = (x.shape[0], x.shape[1], x.shape[2])
        let on = Tensor(passes.map { $0.audioOn ? Float(1) : 0 }, shape: [b, 1, 1, 1])
        let added = vectors.reshaped([vectors.shape[0], t, 1, d]) * on
        return (x.reshaped([b, t, l / t, d]) + added).reshaped([b, l, d])
    }

    /// Per-block audio keys and values `[1, ·, d]` of per-video-frame features `[1, La, featureWidth]` for a segment of
    /// `latentFrames` (the token count is La, or with band positions the bands' total). Store them with
    /// `ConditionCache.setAudio(_:frames: La)`.
    public func audioKeysValues(features: Tensor, latentFrames: Int) -> [DiTBlock.External] {
        let a = audioSequence(embedAudio(features), latentFrames: latentFrames)
        return blocks.map { let kv = $0.audioKeysValues(a); return .init(key: kv.key, value: kv.value) }
    }

    /// Velocity `[B, T, h, w, z]` of V inputs `[B, T, h, w, inputChannels]` at `sigmas` (one per batch
    /// element), reading the cached condition keys and values; `passes` says per batch element whether text and
    /// audio are read; `controls` give a distilled student its guidance scales and step size. Throws `.cancelled` between blocks
    /// once the cache's cancellation flag is set.
    public func velocity(inputs: Tensor, sigmas: [Float], passes: [(textOn: Bool, audioOn: Bool)],
                         controls: [SamplingControls]? = nil, cache: ConditionCache) throws(ModelError) -> Tensor {
        let (b, t, h, w, p) = (inputs.shape[0], inputs.shape[1], inputs.shape[2], inputs.shape[3], patchSize)
        precondition(sigmas.count == b && passes.count == b, "one sigma and one pass per batch element")
        var x = embedVideo(inputs)
        let time = timeConditioning(sigmas, controls: controls)
        let layout = TokenLayout(latentFrames: t, gridTokens: (h / p) * (w / p), referenceTokens: cache.referenceTokens, referenceIsQuery: false,
                                 textTokens: cache.textTokens, audioFrames: cache.audioFrames, audioBand: config.audio.band,
                                 audioBandPositions: config.audio.bandPositions, temporalFactor: config.vae.temporalFactor)
        precondition(layout.audioTokens == cache.audioTokens, "cached audio of \(cache.audioTokens) tokens for a layout of \(layout.audioTokens)")
        precondition(audioFrameInput == nil || cache.audio == nil || cache.audioFrameInput != nil,
                     "a model with audio.frame_input needs the segment's audioFrameInput in the cache")
        if let vectors = cache.audioFrameInput, audioFrameInput != nil {
            x = addingAudioFrames(x, vectors, passes: passes, latentFrames: t)
        }
        let mask = layout.mask(passes: passes)
        let rope = self.rope(frames: t, gridH: h / p, gridW: w / p, frameOffset: 1)
        for (i, block) in blocks.enumerated() {
            try cache.checkCancellation()
            x = block([.init(tokens: x, timeProjection: time.projection, rope: rope)], externals: cache.externals(block: i),
                      mask: mask).tokens[0]
        }
        return Self.unpatchify(finalLayer(x, timeEmbedding: time.embedding), frames: t, height: h, width: w, patch: p)
    }

    /// The same velocity without any cache: V and R are query groups of one sequence (R with σ = 0
    /// modulation, attending only to R), text and audio keys are projected inside every block. This is the
    /// training path (tape on); `referenceLatent` `[B or 1, 1, h, w, z]`, `textStates` `[B or 1, Lx, 384]`
    /// and `audioFeatures` `[B or 1, La, featureWidth]` are optional.
    public func velocityUncached(inputs: Tensor, sigmas: [Float], passes: [(textOn: Bool, audioOn: Bool)], controls: [SamplingControls]? = nil,
                                 referenceLatent: Tensor?, textStates: Tensor?, audioFeatures: Tensor?) -> Tensor {
        uncachedStreams(inputs: inputs, sigmas: sigmas, passes: passes, controls: controls, referenceLatent: referenceLatent,
                        textStates: textStates, audioFeatures: audioFeatures).velocity
    }

    /// `velocityUncached` plus the R tokens' final states `[B, Lr, d]` (to test that they ignore V and σ).
    func uncachedStreams(inputs: Tensor, sigmas: [Float], passes: [(textOn: Bool, audioOn: Bool)], controls: [SamplingControls]? = nil,
                         referenceLatent: Tensor?, textStates: Tensor?, audioFeatures: Tensor?) -> (velocity: Tensor, reference: Tensor?) {
        let (b, t, h, w, p) = (inputs.shape[0], inputs.shape[1], inputs.shape[2], inputs.shape[3], patchSize)
        var x = embedVideo(inputs)
        var r = referenceLatent.map { embedReference($0).expandedBatch(b) }
        let time = timeConditioning(sigmas, controls: controls)
        let zeroTime = timeConditioning([Float](repeating: 0, count: b), controls: [SamplingControls](repeating: .neutral, count: b))
        let text = textStates.map(embedText)
        let embeddedAudio = audioFeatures.map(embedAudio)
        let audio = embeddedAudio.map { audioSequence($0, latentFrames: t) }
        if let vectors = embeddedAudio.flatMap({ audioFrameVectors($0, latentFrames: t) }) {
            x = addingAudioFrames(x, vectors, passes: passes, latentFrames: t)
        }
        let layout = TokenLayout(latentFrames: t, gridTokens: (h / p) * (w / p), referenceTokens: r?.shape[1] ?? 0, referenceIsQuery: true,
                                 textTokens: text?.shape[1] ?? 0, audioFrames: audioFeatures?.shape[1] ?? 0, audioBand: config.audio.band,
                                 audioBandPositions: config.audio.bandPositions, temporalFactor: config.vae.temporalFactor)
        let mask = layout.mask(passes: passes)
        let videoRope = rope(frames: t, gridH: h / p, gridW: w / p, frameOffset: 1)
        let referenceRope = rope(frames: 1, gridH: h / p, gridW: w / p, frameOffset: 0)
        for block in blocks {
            var externals: [DiTBlock.External] = []
            if let text { let kv = block.textKeysValues(text); externals.append(.init(key: kv.key, value: kv.value)) }
            if let audio { let kv = block.audioKeysValues(audio); externals.append(.init(key: kv.key, value: kv.value)) }
            var groups = [DiTBlock.Group(tokens: x, timeProjection: time.projection, rope: videoRope)]
            if let r { groups.append(.init(tokens: r, timeProjection: zeroTime.projection, rope: referenceRope)) }
            let result = block(groups, externals: externals, mask: mask).tokens
            x = result[0]
            if r != nil { r = result[1] }
        }
        return (Self.unpatchify(finalLayer(x, timeEmbedding: time.embedding), frames: t, height: h, width: w, patch: p), r)
    }
}
