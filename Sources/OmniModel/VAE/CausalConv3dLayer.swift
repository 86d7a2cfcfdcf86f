import OmniTensor

/// A causal 3-D convolution layer over channels-last activations `[B, T, H, W, Cin]` (T counts frames at the
/// layer's own temporal resolution: video frames or latent frames). Keys: `weight` `[kT, kH, kW, Cin, Cout]`,
/// `bias` `[Cout]`. All kT − 1 temporal padding frames go in front, spatial padding is `.same`, so the output
/// has the input's T, H, W and output frame t sees input frames ≤ t.
///
/// The layer itself is stateless: when a sequence is processed in chunks, the last kT − 1 input frames of the
/// previous chunks live in the `CausalFrameCaches` of that sequence (one cache per layer, keyed by identity),
/// so two streams over the same weights never share state.
public final class CausalConv3dLayer: Module {
    public let weight: Tensor
    public let bias: Tensor

    /// Zero-initialised; fill with `RandomWeights.fill` or load a checkpoint.
    public init(_ inChannels: Int, _ outChannels: Int, kernel: (t: Int, h: Int, w: Int) = (3, 3, 3)) {
        weight = Tensor(zeros: [kernel.t, kernel.h, kernel.w, inChannels, outChannels])
        bias = Tensor(zeros: [outChannels])
        weight.requiresGrad = true
        bias.requiresGrad = true
    }

    public var inChannels: Int { weight.shape[3] }
    public var outChannels: Int { weight.shape[4] }
    /// Frames of history the convolution reads (kT − 1).
    public var history: Int { weight.shape[0] - 1 }

    /// The whole sequence at once (zero frames before the first). Differentiable.
    public func callAsFunction(_ x: Tensor) -> Tensor { x.causalConv3d(weight, bias: bias) }

    /// One chunk of a sequence: with streaming caches the layer's frame cache supplies the frames before the
    /// chunk and is updated; without (whole-sequence mode) this is `callAsFunction(_:)`.
    func callAsFunction(_ x: Tensor, _ caches: inout CausalFrameCaches) -> Tensor {
        guard caches.streaming, history > 0 else { return x.causalConv3d(weight, bias: bias) }
        let id = ObjectIdentifier(self)
        var cache = caches.convolutions[id] ?? CausalConv3dCache()
        let y = x.causalConv3d(weight, bias: bias, cache: &cache)
        caches.convolutions[id] = cache
        return y
    }
}

/// A 2-D convolution applied to every frame of `[…, H, W, Cin]` (leading dimensions flattened). Keys: `weight`
/// `[kH, kW, Cin, Cout]`, `bias` `[Cout]`. `stride` and `padding` are fixed at construction (stride 2 with
/// `.wanDownsample` halves even sizes; stride 1 with `.same` keeps them).
public final class Conv2dLayer: Module {
    public let weight: Tensor
    public let bias: Tensor
    public let stride: Int
    public let padding: SpatialPadding

    public init(_ inChannels: Int, _ outChannels: Int, kernel: Int = 3, stride: Int = 1, padding: SpatialPadding = .same) {
        weight = Tensor(zeros: [kernel, kernel, inChannels, outChannels])
        bias = Tensor(zeros: [outChannels])
        weight.requiresGrad = true
        bias.requiresGrad = true
        self.stride = stride
        self.padding = padding
    }

    public var inChannels: Int { weight.shape[2] }
    public var outChannels: Int { weight.shape[3] }

    public func callAsFunction(_ x: Tensor) -> Tensor { x.conv2d(weight, bias: bias, stride: stride, padding: padding) }
}

/// The streaming state of one sequence through a causal network (the VAE's encoder or decoder, the pose
/// guider): each causal convolution's last frames, each temporal down-sampler's last frame, and which
/// temporal resamplers have already seen the sequence's first frame. Entries are keyed by the layer's
/// identity. `streaming == false` is whole-sequence mode: convolutions pad with zeros and keep nothing.
/// Memory: at most kT − 1 (≤ 2) frames per convolution at that convolution's resolution.
struct CausalFrameCaches {
    let streaming: Bool
    var convolutions: [ObjectIdentifier: CausalConv3dCache] = [:]
    var lastFrames: [ObjectIdentifier: Tensor] = [:]
    var started: Set<ObjectIdentifier> = []

    init(streaming: Bool) { self.streaming = streaming }

    /// Whether `layer` sees the sequence's first frame now (and marks it as started).
    mutating func begin(_ layer: AnyObject) -> Bool {
        started.insert(ObjectIdentifier(layer)).inserted
    }
}

extension Tensor {
    /// Frames `range` of a `[B, T, …]` tensor (no copy for the full range).
    func causalFrames(_ range: Range<Int>) -> Tensor {
        range == 0..<shape[1] ? self : slice(axis: 1, range)
    }

    /// Joins `[B, Tᵢ, …]` parts along time (no copy for a single part).
    static func joiningFrames(_ parts: [Tensor]) -> Tensor {
        parts.count == 1 ? parts[0] : Tensor.concat(parts, axis: 1)
    }
}
