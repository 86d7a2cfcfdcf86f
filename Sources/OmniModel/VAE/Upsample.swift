import OmniTensor

/// Wan's up-sampling between decoder stages, on `[B, T, H, W, Cin]`:
/// - temporal (when built with `temporal: true`): the first frame of the sequence passes through unchanged;
///   the later frames go through a causal (3,1,1) convolution Cin → 2·Cin (`time`, zero frames before the
///   sequence's second frame) whose two channel halves become two consecutive frames (`channelsToFrames(2)`),
///   so frames 1 + m → 1 + 2m;
/// - spatial (always): nearest-neighbour ×2, then a 3×3 convolution of every frame (`spatial`) Cin → Cout
///   (Wan halves the channels here).
///
/// In chunks any frame counts work (the first chunk starts with the sequence's first frame); the time
/// convolution keeps its last two input frames in the sequence's caches.
/// Keys: `time.{weight,bias}` `[3, 1, 1, Cin, 2·Cin]`, `spatial.{weight,bias}` `[3, 3, Cin, Cout]`.
public final class Upsample: Module {
    public let time: CausalConv3dLayer?
    public let spatial: Conv2dLayer

    public init(_ inChannels: Int, _ outChannels: Int, temporal: Bool) {
        time = temporal ? CausalConv3dLayer(inChannels, 2 * inChannels, kernel: (3, 1, 1)) : nil
        spatial = Conv2dLayer(inChannels, outChannels, kernel: 3, stride: 1, padding: .same)
    }

    /// Whether time is doubled (frames 1 + m → 1 + 2m).
    public var isTemporal: Bool { time != nil }

    /// The whole sequence at once. Differentiable.
    public func callAsFunction(_ x: Tensor) -> Tensor {
        var caches = CausalFrameCaches(streaming: false)
        return self(x, &caches)
    }

    func callAsFunction(_ x: Tensor, _ caches: inout CausalFrameCaches) -> Tensor {
        var y = x
        if let time {
            let t = x.shape[1]
            var parts: [Tensor] = []
            var rest = x
            if caches.begin(self) {
                parts.append(x.causalFrames(0..<1))
                rest = x.causalFrames(1..<t)
            }
            if rest.shape[1] > 0 { parts.append(time(rest, &caches).channelsToFrames(2)) }
            y = Tensor.joiningFrames(parts)
        }
        return spatial(y.upsampleNearest2x())
    }
}
