import OmniMedia
import OmniTensor

/// One pose-guider stage: a causal 3×3×3 convolution (`conv`), SiLU, then down-sampling (`downsample`: stride-2
/// spatial, and temporal where the VAE's stage is), SiLU. Keys: `conv.…`, `downsample.…`.
public final class PoseGuiderStage: Module {
    public let conv: CausalConv3dLayer
    public let downsample: Downsample

    init(_ inChannels: Int, _ outChannels: Int, temporal: Bool) {
        conv = CausalConv3dLayer(inChannels, outChannels)
        downsample = Downsample(outChannels, outChannels, temporal: temporal)
    }

    func callAsFunction(_ x: Tensor, _ caches: inout CausalFrameCaches) -> Tensor {
        downsample(conv(x, &caches).silu(), &caches).silu()
    }
}

/// The pose guider (docs/ARCHITECTURE.md §6.1): pose condition maps at pixel resolution → features on the latent grid, one
/// per latent frame, that the DiT channel-concatenates to its video tokens.
///
/// Input `[F, H, W, mapChannels]` (or batched `[B, F, H, W, mapChannels]`): F = 1 + tf·k video frames of
/// `PoseMaps` (35 channels: 18 joint heatmaps, 17 limb maps, values in [0, 1]), H and W pixels, multiples of
/// the VAE's spatial factor s. Output `[1 + k, H/s, W/s, feature_channels]` (or batched): the VAE's latent
/// frames and grid, with the same causal rule — output frame 0 depends on video frame 0 only, output frame j
/// on frames ≤ tf·j.
///
/// Layers: one `PoseGuiderStage` per entry of `pose.guider_channels` (there must be log2(s) of them), stage i
/// halving H and W and, where `vae.temporal_downsample[i]`, time (first frame alone, then pairs); then
/// `convOut` (causal 3×3×3 → feature_channels), with no activation. Training zero-initialises `convOut`
/// (`zeroInitializeOutput()`), so a new guider adds nothing to the DiT's input until it learns to.
///
/// Keys (under the owner's prefix, e.g. `poseGuider.`): `stages.i.conv.…`, `stages.i.downsample.…`, `convOut.…`.
public final class PoseGuider: Module {
    public let stages: [PoseGuiderStage]
    public let convOut: CausalConv3dLayer
    public let mapChannels: Int
    public let spatialFactor: Int
    public let temporalFactor: Int

    public init(config: ModelConfig) {
        let g = config.pose.guiderChannels, flags = config.vae.temporalDownsample
        precondition(g.count == flags.count,
                     "pose.guider_channels needs one width per VAE down-sampling stage (\(flags.count)), got \(g.count)")
        mapChannels = config.pose.mapChannels
        spatialFactor = config.vae.spatialFactor
        temporalFactor = config.vae.temporalFactor
        stages = g.indices.map { PoseGuiderStage($0 == 0 ? config.pose.mapChannels : g[$0 - 1], g[$0], temporal: flags[$0]) }
        convOut = CausalConv3dLayer(g.last ?? config.pose.mapChannels, config.pose.featureChannels)
    }

    public var featureChannels: Int { convOut.outChannels }

    /// Zeroes `convOut`'s weight and bias: the training initialisation (call after `RandomWeights.fill`), so the
    /// guider's features start at exactly zero — the same as "pose off".
    public func zeroInitializeOutput() {
        convOut.weight.fill(0)
        convOut.bias.fill(0)
    }

    /// Pose maps `[F, H, W, mapChannels]` (or batched) → features `[1 + k, H/s, W/s, featureChannels]` (or
    /// batched). Preconditions: F = 1 + tf·k, H and W multiples of s. Differentiable.
    public func callAsFunction(_ maps: Tensor) -> Tensor {
        precondition(maps.rank == 4 || maps.rank == 5, "PoseGuider wants pose maps [F, H, W, \(mapChannels)] or [B, F, H, W, \(mapChannels)], got \(maps.shape)")
        let f = maps.dim(-4), h = maps.dim(-3), w = maps.dim(-2)
        precondition(maps.dim(-1) == mapChannels, "PoseGuider wants \(mapChannels) map channels, got \(maps.shape)")
        precondition(f >= 1 && (f - 1) % temporalFactor == 0,
                     "PoseGuider reads 1 + \(temporalFactor)k frames (1, \(1 + temporalFactor), \(1 + 2 * temporalFactor), …), got \(f)")
        precondition(h > 0 && w > 0 && h % spatialFactor == 0 && w % spatialFactor == 0,
                     "PoseGuider map size \(w)×\(h) must be a multiple of \(spatialFactor) in both directions")
        let batched = maps.rank == 5
        var x = batched ? maps : maps.reshaped([1] + maps.shape)
        var caches = CausalFrameCaches(streaming: false)
        for stage in stages { x = stage(x, &caches) }
        x = convOut(x, &caches)
        return batched ? x : x.reshaped(Array(x.shape.dropFirst()))
    }

    /// Stacks per-frame `PoseMaps` (all the same size) into the guider's input `[F, H, W, 35]`.
    public static func input(_ maps: [PoseMaps]) -> Tensor {
        precondition(!maps.isEmpty, "PoseGuider.input needs at least one frame")
        let w = maps[0].width, h = maps[0].height, c = PoseMaps.channelCount
        let out = Tensor(uninitialized: [maps.count, h, w, c])
        for (i, m) in maps.enumerated() {
            precondition(m.width == w && m.height == h, "pose maps of frame \(i) are \(m.width)×\(m.height), frame 0's \(w)×\(h)")
            m.values.withUnsafeBufferPointer { (out.data + i * h * w * c).update(from: $0.baseAddress!, count: h * w * c) }
        }
        return out
    }
}
