import OmniTensor

/// One encoder stage: `blocks` residual blocks (the first changes the width), then `downsample` (absent in
/// the last stage). Keys: `blocks.i.…`, `downsample.…`.
public final class EncoderStage: Module {
    public let blocks: [ResidualBlock]
    public let downsample: Downsample?

    init(_ inChannels: Int, _ outChannels: Int, blocks count: Int, downsample: Bool, temporal: Bool) {
        blocks = (0..<count).map { ResidualBlock($0 == 0 ? inChannels : outChannels, outChannels) }
        self.downsample = downsample ? Downsample(outChannels, outChannels, temporal: temporal) : nil
    }

    func callAsFunction(_ x: Tensor, _ caches: inout CausalFrameCaches) -> Tensor {
        var h = x
        for block in blocks { h = block(h, &caches) }
        if let downsample { h = downsample(h, &caches) }
        return h
    }
}

/// The VAE encoder (Wan topology): video `[B, T, H, W, 3]` (pixels in [−1, 1], T = 1 + temporalFactor·k
/// frames) → `[B, 1 + k, H/s, W/s, 2z]` (s = spatialFactor; the first z channels are the posterior mean, the
/// last z its log-variance).
///
/// `convIn` (causal 3×3×3, 3 → base) → for each of `channel_multipliers`: a stage of `encoder_res_blocks` (absent:
/// `res_blocks`) residual blocks at width base·multiplier, then (except after the last) spatial down-sampling, also
/// temporal where `temporal_downsample[i]` → `middle` (residual, optional per-frame attention, residual) →
/// `normOut` (RMSNorm), SiLU, `convOut` (causal 3×3×3 → 2z).
///
/// Keys: `convIn.…`, `stages.i.blocks.j.…`, `stages.i.downsample.…`, `middle.…`, `normOut.weight`, `convOut.…`.
public final class VAEEncoder: Module {
    public let convIn: CausalConv3dLayer
    public let stages: [EncoderStage]
    public let middle: MiddleBlock
    public let normOut: RMSNorm
    public let convOut: CausalConv3dLayer

    public init(config: VAEConfig) {
        let widths = [config.baseChannels] + config.channelMultipliers.map { config.baseChannels * $0 }
        precondition(config.channelMultipliers.count == config.temporalDownsample.count + 1,
                     "vae.temporal_downsample needs one entry per down-sampling stage")
        convIn = CausalConv3dLayer(3, widths[0])
        stages = config.channelMultipliers.indices.map { i in
            let last = i == config.channelMultipliers.count - 1
            return EncoderStage(widths[i], widths[i + 1], blocks: config.encoderBlocks, downsample: !last,
                                temporal: last ? false : config.temporalDownsample[i])
        }
        let top = widths.last!
        middle = MiddleBlock(top, attention: config.midAttention)
        normOut = RMSNorm(top)
        convOut = CausalConv3dLayer(top, 2 * config.zChannels)
    }

    /// Whole sequence (fresh caches) or one chunk of a streamed sequence: `[B, T, H, W, 3]` → `[B, T', h, w, 2z]`.
    func callAsFunction(_ x: Tensor, _ caches: inout CausalFrameCaches) -> Tensor {
        var h = convIn(x, &caches)
        for stage in stages { h = stage(h, &caches) }
        h = middle(h, &caches)
        return convOut(normOut(h).silu(), &caches)
    }
}
