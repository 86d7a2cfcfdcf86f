import OmniTensor

/// One decoder stage: `blocks` residual blocks (res_blocks + 1, the first changes the width), then `upsample`
/// (absent in the last stage; it halves the width as in Wan). Keys: `blocks.i.…`, `upsample.…`.
public final class DecoderStage: Module {
    public let blocks: [ResidualBlock]
    public let upsample: Upsample?

    init(_ inChannels: Int, _ outChannels: Int, blocks count: Int, upsample: Bool, temporal: Bool) {
        blocks = (0..<count).map { ResidualBlock($0 == 0 ? inChannels : outChannels, outChannels) }
        self.upsample = upsample ? Upsample(outChannels, outChannels / 2, temporal: temporal) : nil
    }

    func callAsFunction(_ x: Tensor, _ caches: inout CausalFrameCaches) -> Tensor {
        var h = x
        for block in blocks { h = block(h, &caches) }
        if let upsample { h = upsample(h, &caches) }
        return h
    }
}

/// The VAE decoder, mirroring the encoder: raw (not normalised) latents `[B, 1 + k, h, w, z]` →
/// video `[B, 1 + temporalFactor·k, h·s, w·s, 3]` (pixels, about [−1, 1]; `CausalVAE.decode` clamps).
///
/// `convIn` (causal 3×3×3, z → top width) → `middle` → stages with widths base·multiplier in reverse order,
/// each of `res_blocks + 1` residual blocks then (except the last) up-sampling: temporal where the mirrored
/// `temporal_downsample` flag is set (first latent frame alone, then ×2), nearest ×2 spatial + 3×3 conv
/// halving the width → `normOut`, SiLU, `convOut` (causal 3×3×3 → 3).
///
/// Keys: `convIn.…`, `middle.…`, `stages.i.blocks.j.…`, `stages.i.upsample.…`, `normOut.weight`, `convOut.…`.
public final class VAEDecoder: Module {
    public let convIn: CausalConv3dLayer
    public let middle: MiddleBlock
    public let stages: [DecoderStage]
    public let normOut: RMSNorm
    public let convOut: CausalConv3dLayer

    public init(config: VAEConfig) {
        let m = config.channelMultipliers
        precondition(m.count == config.temporalDownsample.count + 1,
                     "vae.temporal_downsample needs one entry per down-sampling stage")
        let widths = ([m.last!] + m.reversed()).map { config.baseChannels * $0 }
        let temporal = Array(config.temporalDownsample.reversed())
        convIn = CausalConv3dLayer(config.zChannels, widths[0])
        middle = MiddleBlock(widths[0], attention: config.midAttention)
        stages = m.indices.map { i in
            let last = i == m.count - 1
            precondition(last || widths[i + 1] % 2 == 0, "decoder width \(widths[i + 1]) must be even (up-sampling halves it)")
            return DecoderStage(i == 0 ? widths[0] : widths[i] / 2, widths[i + 1], blocks: config.resBlocks + 1,
                                upsample: !last, temporal: last ? false : temporal[i])
        }
        normOut = RMSNorm(widths.last!)
        convOut = CausalConv3dLayer(widths.last!, 3)
    }

    /// Whole sequence (fresh caches) or one chunk of a streamed sequence: `[B, T', h, w, z]` → `[B, T, H, W, 3]`.
    func callAsFunction(_ z: Tensor, _ caches: inout CausalFrameCaches) -> Tensor {
        var h = convIn(z, &caches)
        h = middle(h, &caches)
        for stage in stages { h = stage(h, &caches) }
        return convOut(normOut(h).silu(), &caches)
    }
}
