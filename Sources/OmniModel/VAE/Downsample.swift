import OmniTensor

/// Wan's down-sampling between encoder stages, on `[B, T, H, W, Cin]`:
/// - spatial (always): pad one zero column on the right and one zero row at the bottom, then a stride-2 3×3
///   convolution of every frame (`spatial`): H × W → H/2 × W/2 (even sizes), Cin → Cout;
/// - temporal (when built with `temporal: true`): a (3,1,1) convolution with temporal stride 2 (`time`). The
///   first frame of the sequence passes through unchanged; every later pair of frames (2j+1, 2j+2) is read
///   together with the frame before it (window 2j, 2j+1, 2j+2), so frames 1 + 2m → 1 + m and output frame
///   1 + j depends on input frames ≤ 2j + 2 only (causal).
///
/// In chunks: the first chunk must hold an odd number of frames (1 at the VAE's first temporal stage), every
/// later chunk an even number; the last frame of the previous chunk is kept as the front of the next window.
/// Keys: `spatial.{weight,bias}` `[3, 3, Cin, Cout]`, `time.{weight,bias}` `[3, 1, 1, Cout, Cout]`.
public final class Downsample: Module {
    public let spatial: Conv2dLayer
    public let time: CausalConv3dLayer?

    public init(_ inChannels: Int, _ outChannels: Int, temporal: Bool) {
        spatial = Conv2dLayer(inChannels, outChannels, kernel: 3, stride: 2, padding: .wanDownsample)
        time = temporal ? CausalConv3dLayer(outChannels, outChannels, kernel: (3, 1, 1)) : nil
    }

    /// Whether time is halved (frames 1 + 2m → 1 + m).
    public var isTemporal: Bool { time != nil }

    /// The whole sequence at once. Differentiable.
    public func callAsFunction(_ x: Tensor) -> Tensor {
        var caches = CausalFrameCaches(streaming: false)
        return self(x, &caches)
    }

    func callAsFunction(_ x: Tensor, _ caches: inout CausalFrameCaches) -> Tensor {
        let y = spatial(x)
        guard let time else { return y }
        let t = y.shape[1]
        var parts: [Tensor] = []
        var rest = y
        var previous: Tensor?
        if caches.begin(self) {
            let first = y.causalFrames(0..<1)
            parts.append(first)
            previous = first
            rest = y.causalFrames(1..<t)
        } else {
            previous = caches.lastFrames[ObjectIdentifier(self)]
        }
        let n = rest.shape[1]
        precondition(n % 2 == 0, "temporal down-sampling needs an even number of frames after the first, got \(n) (a chunk of \(t) frames)")
        if n > 0, let previous {
            let window = Tensor.concat([previous, rest], axis: 1)
            parts.append(window.conv3d(time.weight, bias: time.bias, temporalStride: 2, framesBefore: 0, spatialPadding: .valid))
        }
        if caches.streaming { caches.lastFrames[ObjectIdentifier(self)] = y.causalFrames((t - 1)..<t) }
        return Tensor.joiningFrames(parts)
    }
}
