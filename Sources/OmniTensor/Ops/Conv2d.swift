/// Zero padding around the spatial dimensions of a convolution, in input pixels per side.
public enum SpatialPadding: Sendable, Equatable {
    /// Symmetric kH/2, kW/2 on every side (odd kernels): with stride 1 the output keeps the input's H × W.
    case same
    /// No padding.
    case valid
    /// `pixels` zeros on the right and at the bottom only. `.padRightBottom(1)` followed by a stride-2 3×3
    /// convolution is Wan's spatial down-sampling (H × W → H/2 × W/2 for even sizes).
    case padRightBottom(Int)
    case explicit(top: Int, bottom: Int, left: Int, right: Int)

    /// Wan's down-sampling padding: one zero column on the right and one zero row at the bottom.
    public static let wanDownsample = SpatialPadding.padRightBottom(1)

    /// Pixels per side for a kernel of the given size.
    public func resolved(kernelHeight kH: Int, kernelWidth kW: Int) -> (top: Int, bottom: Int, left: Int, right: Int) {
        switch self {
        case .same:
            precondition(kH % 2 == 1 && kW % 2 == 1, "SpatialPadding.same needs odd kernels, got \(kH)×\(kW)")
            return (kH / 2, kH / 2, kW / 2, kW / 2)
        case .valid: return (0, 0, 0, 0)
        case .padRightBottom(let p): return (0, p, 0, p)
        case let .explicit(top, bottom, left, right): return (top, bottom, left, right)
        }
    }
}

extension Tensor {
    /// 2-D convolution of channels-last images `[N, H, W, Cin]` (any number of leading dimensions, flattened
    /// into N — e.g. the frames of a `[T, H, W, C]` video convolved one by one) with weight `[kH, kW, Cin, Cout]`
    /// (a PyTorch Conv2d weight `[Cout, Cin, kH, kW]` permuted by (2, 3, 1, 0)) and optional bias `[Cout]`.
    /// Output `[N, Ho, Wo, Cout]` with Ho = (H + top + bottom − kH)/stride + 1, likewise Wo.
    /// `padding: .same, stride: 1` keeps H × W; `padding: .wanDownsample, stride: 2` halves even sizes.
    /// Differentiable in the input, weight and bias.
    public func conv2d(_ weight: Tensor, bias: Tensor? = nil, stride: Int = 1, padding: SpatialPadding = .same) -> Tensor {
        precondition(rank >= 3, "conv2d input must be [N, H, W, C], got \(shape)")
        precondition(weight.rank == 4, "conv2d weight must be [kH, kW, Cin, Cout], got \(weight.shape)")
        let (kH, kW, cin, cout) = (weight.shape[0], weight.shape[1], weight.shape[2], weight.shape[3])
        precondition(dim(-1) == cin, "conv2d input \(shape) has \(dim(-1)) channels, weight \(weight.shape) wants \(cin)")
        let leading = Array(shape.dropLast(3))
        let pad = padding.resolved(kernelHeight: kH, kernelWidth: kW)
        let geometry = ConvolutionGeometry(
            batch: leading.reduce(1, *), frames: 1, height: dim(-3), width: dim(-2), inChannels: cin, outChannels: cout,
            kernel: (1, kH, kW), stride: (1, stride, stride),
            padTop: pad.top, padBottom: pad.bottom, padLeft: pad.left, padRight: pad.right)
        return Tensor.convolution(self, weight: weight, bias: bias, geometry: geometry, front: nil,
                                  outputShape: leading + [geometry.outH, geometry.outW, cout])
    }
}
