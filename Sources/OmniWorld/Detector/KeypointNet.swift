import OmniTensor

/// One 3×3 (or k×k) convolution with bias, channels-last. Keys: `weight` `[k, k, Cin, Cout]`, `bias` `[Cout]`.
final class ConvLayer: Module {
    let weight: Tensor
    let bias: Tensor
    let stride: Int

    init(_ cin: Int, _ cout: Int, kernel: Int = 3, stride: Int = 1) {
        weight = Tensor(zeros: [kernel, kernel, cin, cout])
        bias = Tensor(zeros: [cout])
        weight.requiresGrad = true
        bias.requiresGrad = true
        self.stride = stride
    }

    func callAsFunction(_ x: Tensor) -> Tensor {
        // Stride 2 (3×3): one zero row/column before, none after, so even sides halve exactly.
        let padding: SpatialPadding = stride == 2 ? .explicit(top: 1, bottom: 0, left: 1, right: 0) : .same
        return x.conv2d(weight, bias: bias, stride: stride, padding: padding)
    }
}

/// The keypoint network: a small channels-last CNN over a 64×64 RGB frame in [−1, 1].
///
///     64×64×3 ─c1 s2→ 32×32×16 ─c2 s2→ 16×16×32 ─c3 s2→ 8×8×64 ─c4→ 8×8×64 ─up×2─┐
///                                          └──────────────── skip ────────────────┴→ concat 16×16×96 ─c5→ 16×16×48
///     c5 ─1×1→ 18 heatmap logits at 16×16 (soft-argmax → joint x, y);
///     mean-pool(c4) = the 64-d "penultimate" features; features ─linear→ 18 presence logits.
///
/// Activations are SiLU after every convolution.
final class KeypointNet: Module {
    static let inputSide = 64
    static let heatmapSide = 16
    static let joints = 18
    static let featureWidth = 64

    let c1 = ConvLayer(3, 16, stride: 2)
    let c2 = ConvLayer(16, 32, stride: 2)
    let c3 = ConvLayer(32, 64, stride: 2)
    let c4 = ConvLayer(64, 64)
    let c5 = ConvLayer(96, 48)
    let head = ConvLayer(48, KeypointNet.joints, kernel: 1)
    let presence = Linear(KeypointNet.featureWidth, KeypointNet.joints)
    /// `[2, 256]`: the pixel (x, y) of each heatmap cell's centre in the 64×64 input (not a parameter).
    private let grid: Tensor

    init() {
        let side = Self.heatmapSide, cell = Float(Self.inputSide / side)
        var values = [Float](repeating: 0, count: 2 * side * side)
        for y in 0..<side {
            for x in 0..<side {
                values[y * side + x] = (Float(x) + 0.5) * cell - 0.5
                values[side * side + y * side + x] = (Float(y) + 0.5) * cell - 0.5
            }
        }
        grid = Tensor(values, shape: [2, side * side])
    }

    /// Seeded He-normal weights, zero biases.
    func initialize(seed: UInt64) {
        let rng = RandomStream(seed: seed, stream: 0xDE7EC7)
        for (key, t) in namedTensors() where key.hasSuffix("weight") {
            let fanIn = t.rank == 4 ? t.shape[0] * t.shape[1] * t.shape[2] : t.shape[1]
            let gain: Float = key.hasPrefix("head") || key.hasPrefix("presence") ? 0.5 : 2
            Initialization.normal(t, std: (gain / Float(fanIn)).squareRoot(), Initialization.stream(for: key, rng))
        }
    }

    struct Output {
        /// `[N, 18, 2]` joint (x, y) in pixels of the 64×64 input.
        let coordinates: Tensor
        /// `[N, 18]` presence logits.
        let presenceLogits: Tensor
        /// `[N, 64]` pooled deep features.
        let features: Tensor
        /// `[N, 18, 256]` heatmap probabilities.
        let heatmaps: Tensor
    }

    /// `images` `[N, 64, 64, 3]` in [−1, 1].
    func callAsFunction(_ images: Tensor) -> Output {
        let n = images.dim(0)
        let a1 = c1(images).silu()
        let a2 = c2(a1).silu()
        let a3 = c3(a2).silu()
        let a4 = c4(a3).silu()
        let up = a4.upsampleNearest2x()
        let a5 = c5(Tensor.concat([up, a2], axis: 3)).silu()
        let cells = Self.heatmapSide * Self.heatmapSide
        let logits = head(a5).reshaped([n, cells, Self.joints]).permuted([0, 2, 1])
        let probabilities = logits.softmax()
        let coordinates = probabilities.linear(grid)
        let features = a4.reshaped([n, 64, Self.featureWidth]).mean(axis: 1)
        return Output(coordinates: coordinates, presenceLogits: presence(features), features: features, heatmaps: probabilities)
    }
}
