import OmniTensor

/// Wan's residual block over `[B, T, H, W, Cin]` → `[B, T, H, W, Cout]`:
/// `x → RMSNorm → SiLU → causal conv 3×3×3 → RMSNorm → SiLU → causal conv 3×3×3`, plus `x` (or a 1×1×1
/// `shortcut` convolution of x when the channel count changes). RMSNorm is over channels with gain γ and no
/// bias. Keys: `norm1.weight`, `conv1.{weight,bias}`, `norm2.weight`, `conv2.{weight,bias}`,
/// `shortcut.{weight,bias}` (only when Cin ≠ Cout).
public final class ResidualBlock: Module {
    public let norm1: RMSNorm
    public let conv1: CausalConv3dLayer
    public let norm2: RMSNorm
    public let conv2: CausalConv3dLayer
    public let shortcut: CausalConv3dLayer?

    public init(_ inChannels: Int, _ outChannels: Int) {
        norm1 = RMSNorm(inChannels)
        conv1 = CausalConv3dLayer(inChannels, outChannels)
        norm2 = RMSNorm(outChannels)
        conv2 = CausalConv3dLayer(outChannels, outChannels)
        shortcut = inChannels == outChannels ? nil : CausalConv3dLayer(inChannels, outChannels, kernel: (1, 1, 1))
    }

    /// The whole sequence at once. Differentiable.
    public func callAsFunction(_ x: Tensor) -> Tensor {
        var caches = CausalFrameCaches(streaming: false)
        return self(x, &caches)
    }

    func callAsFunction(_ x: Tensor, _ caches: inout CausalFrameCaches) -> Tensor {
        var h = conv1(norm1(x).silu(), &caches)
        h = conv2(norm2(h).silu(), &caches)
        return h + (shortcut.map { $0(x) } ?? x)
    }
}

/// Single-head self-attention within each frame (Wan's VAE middle attention): the H·W positions of a frame
/// attend to each other, never across frames, so it is causal and needs no cache. `x + proj(attn(qkv(norm(x))))`.
/// Keys: `norm.weight`, `qkv.{weight,bias}` `[3C, C]`, `proj.{weight,bias}` `[C, C]` (Wan zero-initialises
/// `proj` for training).
public final class FrameAttention: Module {
    public let norm: RMSNorm
    public let qkv: Linear
    public let proj: Linear

    public init(_ channels: Int) {
        norm = RMSNorm(channels)
        qkv = Linear(channels, 3 * channels)
        proj = Linear(channels, channels)
    }

    /// `[B, T, H, W, C]` → same shape. Differentiable.
    public func callAsFunction(_ x: Tensor) -> Tensor {
        let c = x.dim(-1), positions = x.dim(-3) * x.dim(-2), images = x.count / max(positions * c, 1)
        let parts = qkv(norm(x)).reshaped([images, positions, 1, 3 * c]).split([c, c, c], axis: -1)
        let a = Tensor.attention(query: parts[0], key: parts[1], value: parts[2])
        return x + proj(a.reshaped(x.shape))
    }
}

/// The middle of the encoder or decoder at the top width: residual block, optional per-frame attention,
/// residual block. Keys: `block1.…`, `attention.…` (when `mid_attention`), `block2.…`.
public final class MiddleBlock: Module {
    public let block1: ResidualBlock
    public let attention: FrameAttention?
    public let block2: ResidualBlock

    public init(_ channels: Int, attention: Bool) {
        block1 = ResidualBlock(channels, channels)
        self.attention = attention ? FrameAttention(channels) : nil
        block2 = ResidualBlock(channels, channels)
    }

    func callAsFunction(_ x: Tensor, _ caches: inout CausalFrameCaches) -> Tensor {
        var h = block1(x, &caches)
        if let attention { h = attention(h) }
        return block2(h, &caches)
    }
}
