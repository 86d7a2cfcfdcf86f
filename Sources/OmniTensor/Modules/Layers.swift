/// `y = x·Wᵀ + b` over the last dimension. Keys: `weight` `[out, in]`, `bias` `[out]`.
public final class Linear: Module {
    public let weight: Tensor
    public let bias: Tensor?

    /// Zero-initialised; call `Initializer` functions or load a checkpoint to fill it.
    public init(_ inFeatures: Int, _ outFeatures: Int, bias: Bool = true) {
        weight = Tensor(zeros: [outFeatures, inFeatures])
        self.bias = bias ? Tensor(zeros: [outFeatures]) : nil
        weight.requiresGrad = true
        self.bias?.requiresGrad = true
    }

    public var inFeatures: Int { weight.shape[1] }
    public var outFeatures: Int { weight.shape[0] }

    public func callAsFunction(_ x: Tensor) -> Tensor { x.linear(weight, bias) }
}

/// LayerNorm over the last dimension. Keys: `weight`, `bias` (absent when not affine).
public final class LayerNorm: Module {
    public let weight: Tensor?
    public let bias: Tensor?
    public let epsilon: Float

    public init(_ channels: Int, epsilon: Float = 1e-5, affine: Bool = true) {
        weight = affine ? Tensor(repeating: 1, shape: [channels]) : nil
        bias = affine ? Tensor(zeros: [channels]) : nil
        weight?.requiresGrad = true
        bias?.requiresGrad = true
        self.epsilon = epsilon
    }

    public func callAsFunction(_ x: Tensor) -> Tensor { x.layerNorm(weight: weight, bias: bias, epsilon: epsilon) }
}

/// RMSNorm over the last dimension (channels-last). Key: `weight` (γ).
public final class RMSNorm: Module {
    public let weight: Tensor
    public let epsilon: Float

    public init(_ channels: Int, epsilon: Float = 1e-6) {
        weight = Tensor(repeating: 1, shape: [channels])
        weight.requiresGrad = true
        self.epsilon = epsilon
    }

    public func callAsFunction(_ x: Tensor) -> Tensor { x.rmsNorm(weight: weight, epsilon: epsilon) }
}

/// A lookup table of `count` rows of `width`. Key: `weight` `[count, width]`.
public final class Embedding: Module {
    public let weight: Tensor

    public init(_ count: Int, _ width: Int) {
        weight = Tensor(zeros: [count, width])
        weight.requiresGrad = true
    }

    public func callAsFunction(_ indices: [Int], shape: [Int]? = nil) -> Tensor { weight.gather(indices, shape: shape) }
}
