/// Causal 3-D convolution over channels-last video activations, with a frame cache for chunked inference.
///
/// Layouts (OmniStudio's own checkpoint layout, not PyTorch's):
/// - activations `[T, H, W, C]` or batched `[B, T, H, W, C]`; T counts the frames at the convolution's own
///   temporal resolution (video frames or latent frames — the op does not care);
/// - weight `[kT, kH, kW, Cin, Cout]` (a PyTorch Conv3d weight `[Cout, Cin, kT, kH, kW]` permuted by
///   (2, 3, 4, 1, 0)); bias `[Cout]`.
///
/// Causal padding: all kT − 1 temporal padding frames go in front (output frame t sees input frames ≤ t),
/// spatial zero padding is symmetric kH/2, kW/2 (odd spatial kernels), stride 1: the output has the input's
/// T, H, W. Kernels (3,3,3), (1,3,3), (3,1,1) and (1,1,1) are the ones the Wan VAE uses; any sizes work.
///
/// Cost: the forward runs direct rows in C where the CPU has AVX2 + FMA, else GEMMs per tap or per temporal tap
/// over gathered frames; the backward always the GEMMs (`ConvolutionGeometry.rule`, docs/ARCHITECTURE.md §12).
extension Tensor {
    /// Causal 3-D convolution of `[T, H, W, Cin]` or `[B, T, H, W, Cin]` with weight `[kT, kH, kW, Cin, Cout]`
    /// and optional bias `[Cout]` → `[T, H, W, Cout]` (or `[B, T, H, W, Cout]`). The first frames see zeros
    /// before them (the causal zero padding). Differentiable in the input, weight and bias.
    public func causalConv3d(_ weight: Tensor, bias: Tensor? = nil) -> Tensor {
        precondition(weight.rank == 5, "causalConv3d weight must be [kT, kH, kW, Cin, Cout], got \(weight.shape)")
        return conv3d(weight, bias: bias, framesBefore: weight.shape[0] - 1, spatialPadding: .same)
    }

    /// Causal 3-D convolution of one chunk of a longer sequence. `cache` holds the last kT − 1 input frames
    /// of the previous chunks (zeros before the first chunk, i.e. the causal padding) and is updated to the
    /// last kT − 1 frames of (previous frames ++ this chunk). Processing a sequence in chunks of any sizes
    /// (e.g. frames [0], [1–4], [5–8], …, or one frame at a time) with one cache per convolution gives the
    /// same result as `causalConv3d` over the whole sequence, up to float rounding.
    ///
    /// Meant for inference: if a tape records it, gradients flow into this chunk's input, the weight and the
    /// bias, but not into the cached frames (they are treated as constants).
    public func causalConv3d(_ weight: Tensor, bias: Tensor? = nil, cache: inout CausalConv3dCache) -> Tensor {
        precondition(weight.rank == 5, "causalConv3d weight must be [kT, kH, kW, Cin, Cout], got \(weight.shape)")
        precondition(rank == 4 || rank == 5, "causalConv3d input must be [T, H, W, C] or [B, T, H, W, C], got \(shape)")
        let history = weight.shape[0] - 1
        let batch = rank == 5 ? shape[0] : 1
        let t = dim(-4), h = dim(-3), w = dim(-2), c = dim(-1)
        let frameSize = h * w * c
        if let old = cache.frames {
            precondition(old.shape == [batch, history, h, w, c],
                         "causalConv3d cache holds \(old.shape), this chunk needs [\(batch), \(history), \(h), \(w), \(c)]")
        }
        let front = cache.frames
        let out = conv3d(weight, bias: bias, framesBefore: history, spatialPadding: .same, front: front)
        if history > 0 {
            // New cache: the last `history` frames of (old cache or zeros) ++ this chunk, per batch element.
            let next = Tensor(uninitialized: [batch, history, h, w, c])
            for b in 0..<batch {
                for j in 0..<history {
                    let s = t + j   // index into the concatenated sequence of history + t frames
                    let dst = next.data + (b * history + j) * frameSize
                    if s >= history {
                        dst.update(from: data + (b * t + s - history) * frameSize, count: frameSize)
                    } else if let front {
                        dst.update(from: front.data + (b * history + s) * frameSize, count: frameSize)
                    } else {
                        dst.update(repeating: 0, count: frameSize)
                    }
                }
            }
            cache.frames = next
        }
        return out
    }

    /// General 3-D convolution over `[T, H, W, Cin]` or `[B, T, H, W, Cin]` with weight
    /// `[kT, kH, kW, Cin, Cout]`: `framesBefore`/`framesAfter` zero frames are added in time, `spatialPadding`
    /// in space, then the kernel slides with `temporalStride` and `spatialStride` (same stride for H and W).
    /// Output `[To, Ho, Wo, Cout]` (batched if the input is) with To = (T + before + after − kT)/sT + 1 and
    /// likewise Ho, Wo. `causalConv3d` is `framesBefore: kT − 1, spatialPadding: .same`; Wan's temporal
    /// down-sampling conv is a (3,1,1) kernel with `temporalStride: 2, framesBefore: 0` over the chunk with one
    /// cached frame prepended by the caller. Differentiable in the input, weight and bias.
    public func conv3d(_ weight: Tensor, bias: Tensor? = nil, temporalStride: Int = 1, spatialStride: Int = 1,
                       framesBefore: Int, framesAfter: Int = 0, spatialPadding: SpatialPadding = .same) -> Tensor {
        conv3d(weight, bias: bias, temporalStride: temporalStride, spatialStride: spatialStride,
               framesBefore: framesBefore, framesAfter: framesAfter, spatialPadding: spatialPadding, front: nil)
    }

    /// `conv3d` whose `framesBefore` front frames are taken from `front` `[B, framesBefore, H, W, Cin]` instead
    /// of zeros (no gradient flows into `front`).
    func conv3d(_ weight: Tensor, bias: Tensor?, temporalStride: Int = 1, spatialStride: Int = 1,
                framesBefore: Int, framesAfter: Int = 0, spatialPadding: SpatialPadding, front: Tensor?) -> Tensor {
        precondition(rank == 4 || rank == 5, "conv3d input must be [T, H, W, C] or [B, T, H, W, C], got \(shape)")
        precondition(weight.rank == 5, "conv3d weight must be [kT, kH, kW, Cin, Cout], got \(weight.shape)")
        let (kT, kH, kW, cin, cout) = (weight.shape[0], weight.shape[1], weight.shape[2], weight.shape[3], weight.shape[4])
        precondition(dim(-1) == cin, "conv3d input \(shape) has \(dim(-1)) channels, weight \(weight.shape) wants \(cin)")
        let batch = rank == 5 ? shape[0] : 1
        let pad = spatialPadding.resolved(kernelHeight: kH, kernelWidth: kW)
        let geometry = ConvolutionGeometry(
            batch: batch, frames: dim(-4), height: dim(-3), width: dim(-2), inChannels: cin, outChannels: cout,
            kernel: (kT, kH, kW), stride: (temporalStride, spatialStride, spatialStride),
            padFront: framesBefore, padBack: framesAfter,
            padTop: pad.top, padBottom: pad.bottom, padLeft: pad.left, padRight: pad.right)
        let outShape = (rank == 5 ? [batch] : []) + [geometry.outT, geometry.outH, geometry.outW, cout]
        return Tensor.convolution(self, weight: weight, bias: bias, geometry: geometry, front: front, outputShape: outShape)
    }
}

/// The frame cache of one causal convolution for chunked (streaming) inference: the last kT − 1 input frames
/// seen, `[B, kT − 1, H, W, Cin]` (B = 1 for unbatched inputs). Starts empty, which stands for the causal zero
/// padding. Keep one cache per convolution layer and reuse it across the chunks of one sequence; `reset()`
/// before a new sequence. Inference-only: gradients never flow into the cached frames.
public struct CausalConv3dCache: Sendable {
    /// The cached input frames, or nil before the first chunk.
    public internal(set) var frames: Tensor?

    public init() {}

    /// Forgets the cached frames (the next chunk starts a new sequence).
    public mutating func reset() { frames = nil }
}
