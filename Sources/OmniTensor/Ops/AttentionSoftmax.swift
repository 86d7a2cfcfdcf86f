import Foundation

/// Row kernels of `Tensor.attention`: masked softmax with logsumexp (forward) and probability recomputation
/// (backward), written as plain loops that the compiler vectorises, with the branch-free polynomial `fastExp` (Cephes `expf`, ≈ 1 ulp on the range used).

/// How one row of a query block is masked within the block's compact key columns.
enum AttentionRowBias {
    /// Reads every column.
    case open
    /// Reads none: output 0, gradient 0.
    case closed
    /// Adds these `columns` values (−∞ forbids a column).
    case additive(UnsafePointer<Float>)
}

/// eˣ for the softmax rows: `fastExp` (exactly 0 at −∞, branch-free so row loops vectorise).
@inline(__always)
func attentionExp(_ x: Float) -> Float { fastExp(x) }

/// The largest of `n` values (−∞ when n = 0), with eight independent accumulators.
@inline(__always)
private func rowMax(_ s: UnsafePointer<Float>, _ n: Int) -> Float {
    var m0 = -Float.infinity, m1 = m0, m2 = m0, m3 = m0, m4 = m0, m5 = m0, m6 = m0, m7 = m0
    let full = n & ~7
    var i = 0
    while i < full {
        m0 = s[i] > m0 ? s[i] : m0; m1 = s[i + 1] > m1 ? s[i + 1] : m1
        m2 = s[i + 2] > m2 ? s[i + 2] : m2; m3 = s[i + 3] > m3 ? s[i + 3] : m3
        m4 = s[i + 4] > m4 ? s[i + 4] : m4; m5 = s[i + 5] > m5 ? s[i + 5] : m5
        m6 = s[i + 6] > m6 ? s[i + 6] : m6; m7 = s[i + 7] > m7 ? s[i + 7] : m7
        i += 8
    }
    while i < n { m0 = s[i] > m0 ? s[i] : m0; i += 1 }
    return max(max(max(m0, m1), max(m2, m3)), max(max(m4, m5), max(m6, m7)))
}

/// The sum of `n` values, with eight independent accumulators.
@inline(__always)
private func rowSum(_ s: UnsafePointer<Float>, _ n: Int) -> Float {
    var a0: Float = 0, a1: Float = 0, a2: Float = 0, a3: Float = 0, a4: Float = 0, a5: Float = 0, a6: Float = 0, a7: Float = 0
    let full = n & ~7
    var i = 0
    while i < full {
        a0 += s[i]; a1 += s[i + 1]; a2 += s[i + 2]; a3 += s[i + 3]
        a4 += s[i + 4]; a5 += s[i + 5]; a6 += s[i + 6]; a7 += s[i + 7]
        i += 8
    }
    while i < n { a0 += s[i]; i += 1 }
    return ((a0 + a1) + (a2 + a3)) + ((a4 + a5) + (a6 + a7))
}

/// In place: `s ← exp(s + bias − max)`, the unnormalised softmax of `n` logits. Returns the row's logsumexp and
/// 1 / Σ (the factor that normalises the row), or (−∞, 0) for a row whose every logit is −∞ (which becomes
/// zeros).
@inline(__always)
func attentionSoftmaxRow(_ s: UnsafeMutablePointer<Float>, _ n: Int,
                         bias: AttentionRowBias) -> (logSumExp: Float, inverseSum: Float) {
    switch bias {
    case .closed:
        s.update(repeating: 0, count: n)
        return (-.infinity, 0)
    case .open:
        break
    case .additive(let b):
        for i in 0..<n { s[i] += b[i] }
    }
    let m = rowMax(s, n)
    if m == -.infinity {
        s.update(repeating: 0, count: n)
        return (-.infinity, 0)
    }
    for i in 0..<n { s[i] = attentionExp(s[i] - m) }
    let sum = rowSum(s, n)
    return (m + log(sum), 1 / sum)
}

/// In place: `s ← exp(s + bias − logSumExp)`, the probabilities `attentionSoftmaxRow` produced (zeros for a
/// fully masked row).
@inline(__always)
func attentionProbabilityRow(_ s: UnsafeMutablePointer<Float>, _ n: Int, bias: AttentionRowBias, logSumExp: Float) {
    if logSumExp == -.infinity {
        s.update(repeating: 0, count: n)
        return
    }
    switch bias {
    case .closed:
        s.update(repeating: 0, count: n)
    case .open:
        for i in 0..<n { s[i] = attentionExp(s[i] - logSumExp) }
    case .additive(let b):
        for i in 0..<n { s[i] = attentionExp(s[i] + b[i] - logSumExp) }
    }
}
