/// Matrix products: `linear` (PyTorch layout: weight `[out, in]`, y = x·Wᵀ + b over the last dimension),
/// `matmul` of 2-D tensors with optional transposes, and batched `matmul` over a leading dimension.
/// Forward and backward are single sgemm calls per matrix (per batch element for batched products); a linear's
/// forward with a weight prepared by the `LinearRows` in effect runs on the direct rows instead.
extension Tensor {
    /// `x[…, in] → [… , out]`. `bias` is `[out]` or nil. A fused QKV projection is one `linear` with weight
    /// `[3·d, d]` followed by `split`.
    public func linear(_ weight: Tensor, _ bias: Tensor? = nil) -> Tensor {
        let x = self
        precondition(weight.rank == 2, "linear weight must be [out, in], got \(weight.shape)")
        let inFeatures = weight.shape[1], outFeatures = weight.shape[0]
        precondition(x.shape.last == inFeatures, "linear: input \(x.shape) does not end in \(inFeatures)")
        if let bias { precondition(bias.shape == [outFeatures], "linear bias \(bias.shape) ≠ [\(outFeatures)]") }
        if let rows = LinearRows.active, let columns = rows.columns(for: weight), Tape.shouldRecord(x, weight, bias) == nil {
            return x.linearRows(columns: columns, bias: bias, outFeatures: outFeatures)
        }
        let rows = x.count / max(inFeatures, 1)
        let out = Tensor(uninitialized: Array(x.shape.dropLast()) + [outFeatures])
        if let bias {
            for r in 0..<rows { (out.data + r * outFeatures).update(from: bias.data, count: outFeatures) }
        }
        GEMM.sgemm(transposeB: true, m: rows, n: outFeatures, k: inFeatures, a: x.data, lda: inFeatures,
                   b: weight.data, ldb: inFeatures, beta: bias == nil ? 0 : 1, c: out.data, ldc: outFeatures)
        Tape.record(Tape.shouldRecord(x, weight, bias), output: out) { g in
            if x.requiresGrad {   // dX += dY · W
                GEMM.sgemm(m: rows, n: inFeatures, k: outFeatures, a: g.data, lda: outFeatures,
                           b: weight.data, ldb: inFeatures, beta: 1, c: x.gradData(), ldc: inFeatures)
            }
            if weight.requiresGrad {   // dW += dYᵀ · X
                GEMM.sgemm(transposeA: true, m: outFeatures, n: inFeatures, k: rows, a: g.data, lda: outFeatures,
                           b: x.data, ldb: inFeatures, beta: 1, c: weight.gradData(), ldc: inFeatures)
            }
            if let bias, bias.requiresGrad {
                let gb = bias.gradData(), gd = g.data
                for r in 0..<rows { for j in 0..<outFeatures { gb[j] += gd[r * outFeatures + j] } }
            }
        }
        return out
    }

    /// `op(self) · op(other)` for 2-D tensors, or batched over the first dimension for 3-D tensors
    /// (`[B, m, k] · [B, k, n]`; a 2-D `other` is shared by every batch element).
    public func matmul(_ other: Tensor, transposeSelf: Bool = false, transposeOther: Bool = false) -> Tensor {
        let a = self, b = other
        precondition(a.rank == 2 || a.rank == 3, "matmul wants 2-D or 3-D tensors, got \(a.shape)")
        let batch = a.rank == 3 ? a.shape[0] : 1
        let sharedB = b.rank == 2
        precondition(sharedB || (b.rank == 3 && b.shape[0] == batch), "matmul batch mismatch \(a.shape) · \(b.shape)")
        let ar = a.shape[a.rank - 2], ac = a.shape[a.rank - 1]
        let br = b.shape[b.rank - 2], bc = b.shape[b.rank - 1]
        let m = transposeSelf ? ac : ar, k = transposeSelf ? ar : ac
        let k2 = transposeOther ? bc : br, n = transposeOther ? br : bc
        precondition(k == k2, "matmul inner dimensions differ: \(a.shape)\(transposeSelf ? "ᵀ" : "") · \(b.shape)\(transposeOther ? "ᵀ" : "")")
        let out = Tensor(uninitialized: a.rank == 3 ? [batch, m, n] : [m, n])
        let aStride = ar * ac, bStride = sharedB ? 0 : br * bc, cStride = m * n
        for i in 0..<batch {
            GEMM.sgemm(transposeA: transposeSelf, transposeB: transposeOther, m: m, n: n, k: k,
                       a: a.data + i * aStride, lda: ac, b: b.data + i * bStride, ldb: bc, c: out.data + i * cStride, ldc: n)
        }
        Tape.record(Tape.shouldRecord(a, b), output: out) { g in
            for i in 0..<batch {
                let gi = g.data + i * cStride
                if a.requiresGrad {
                    // C = A·B → dA = dC·Bᵀ; with A stored transposed, dAᵀ = B·dCᵀ.
                    let ga = a.gradData() + i * aStride
                    if !transposeSelf {
                        GEMM.sgemm(transposeB: !transposeOther, m: ar, n: ac, k: n, a: gi, lda: n,
                                   b: b.data + i * bStride, ldb: bc, beta: 1, c: ga, ldc: ac)
                    } else {
                        GEMM.sgemm(transposeA: transposeOther, transposeB: true, m: ar, n: ac, k: n,
                                   a: b.data + i * bStride, lda: bc, b: gi, ldb: n, beta: 1, c: ga, ldc: ac)
                    }
                }
                if b.requiresGrad {
                    // dB = Aᵀ·dC; with B stored transposed, dBᵀ = dCᵀ·A.
                    let gb = b.gradData() + i * bStride
                    if !transposeOther {
                        GEMM.sgemm(transposeA: !transposeSelf, m: br, n: bc, k: m, a: a.data + i * aStride, lda: ac,
                                   b: gi, ldb: n, beta: 1, c: gb, ldc: bc)
                    } else {
                        GEMM.sgemm(transposeA: true, transposeB: transposeSelf, m: br, n: bc, k: m, a: gi, lda: n,
                                   b: a.data + i * aStride, ldb: ac, beta: 1, c: gb, ldc: bc)
                    }
                }
            }
        }
        return out
    }
}
