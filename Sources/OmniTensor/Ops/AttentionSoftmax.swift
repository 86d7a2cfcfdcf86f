import COmniKernels

/// Row kernels of `Tensor.attention`: masked softmax with logsumexp (forward) and probability recomputation
/// (backward), through COmniKernels' 16-lane loops with the branch-free polynomial exp of `fastExp` (Cephes
/// `expf`, ≈ 1 ulp on the range used).

/// How one row of a query block is masked within the block's compact key columns.
enum AttentionRowBias {
    /// Reads every column.
    case open
    /// Reads none: output 0, gradient 0.
    case closed
    /// Adds these `columns` values (−∞ forbids a column).
    case additive(UnsafePointer<Float>)
}

/// In place: `s ← exp(s + bias − max)`, the unnormalised softmax of `n` logits. Returns the row's logsumexp and
/// 1 / Σ (the factor that normalises the row), or (−∞, 0) for a row whose every logit is −∞ (which becomes
/// zeros). The row loops are `omni_softmax_row` (COmniKernels, vectorised for the machine's x86-64 level).
@inline(__always)
func attentionSoftmaxRow(_ s: UnsafeMutablePointer<Float>, _ n: Int,
                         bias: AttentionRowBias) -> (logSumExp: Float, inverseSum: Float) {
    var logSumExp: Float = 0, inverseSum: Float = 0
    switch bias {
    case .closed:
        s.update(repeating: 0, count: n)
        return (-.infinity, 0)
    case .open:
        omni_softmax_row(s, n, nil, &logSumExp, &inverseSum)
    case .additive(let b):
        omni_softmax_row(s, n, b, &logSumExp, &inverseSum)
    }
    return (logSumExp, inverseSum)
}

/// In place: `s ← exp(s + bias − logSumExp)`, the probabilities `attentionSoftmaxRow` produced (zeros for a
/// fully masked row).
@inline(__always)
func attentionProbabilityRow(_ s: UnsafeMutablePointer<Float>, _ n: Int, bias: AttentionRowBias, logSumExp: Float) {
    switch bias {
    case .closed: s.update(repeating: 0, count: n)
    case .open: omni_probability_row(s, n, nil, logSumExp)
    case .additive(let b): omni_probability_row(s, n, b, logSumExp)
    }
}
