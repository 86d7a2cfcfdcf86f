import COmniKernels

extension Tensor {
    /// Query, key and value heads from a fused projection, in one pass over the tokens: `self` is `[B, L, 3d]`
    /// (query ⧺ key ⧺ value along the last axis); query and key are RMS-normalised over the width d (weights
    /// `queryNorm`, `keyNorm` `[d]`, like `rmsNorm`) and rotated by `rope` (like `rope3D`), the value is copied.
    /// Results `[B, L, H, d/H]`, the same bits as `split` → `rmsNorm` → `reshaped` → `rope3D` (tested), which
    /// made five passes and three copies per attention layer where this makes one (docs/ARCHITECTURE.md §4.3).
    /// Gradients flow into `self` and both weights. One `epsilon` serves both norms (the DiT's `normQ` and `normK`
    /// are built with the same).
    public func qkvHeads(heads: Int, queryNorm: Tensor, keyNorm: Tensor, epsilon: Float,
                         rope: RoPETable) -> (query: Tensor, key: Tensor, value: Tensor) {
        let x = self
        precondition(x.rank == 3 && x.shape[2] % 3 == 0, "qkvHeads wants [B, L, 3d], got \(x.shape)")
        let (b, l, d) = (x.shape[0], x.shape[1], x.shape[2] / 3)
        precondition(heads > 0 && d % heads == 0, "qkvHeads: width \(d) is not a multiple of \(heads) heads")
        let hd = d / heads, half = hd / 2
        precondition(queryNorm.shape == [d] && keyNorm.shape == [d], "qkvHeads norm weights \(queryNorm.shape), \(keyNorm.shape) for width \(d)")
        precondition(rope.length == l && rope.headDimension == hd, "qkvHeads: RoPE table for L = \(rope.length), D = \(rope.headDimension) on \(x.shape) with \(heads) heads")
        let shape = [b, l, heads, hd]
        let q = Tensor(uninitialized: shape), k = Tensor(uninitialized: shape), v = Tensor(uninitialized: shape)
        let inverseRMS = Tensor(uninitialized: [b * l, 2])
        let xd = x.data, irms = inverseRMS.data
        let tokens = b * l
        rope.cos.withUnsafeBufferPointer { cosTable in
            rope.sin.withUnsafeBufferPointer { sinTable in
                let ct = cosTable.baseAddress!, st = sinTable.baseAddress!
                // Per part (query, key): its weight and output; built once, not per token.
                let parts = [(queryNorm.data, q.data), (keyNorm.data, k.data)]
                ComputeThreads.parallelFor(tokens, grain: max(1, 8192 / (3 * d))) { range in
                    for token in range {
                        let row = xd + token * 3 * d
                        let c = ct + (token % l) * half, s = st + (token % l) * half
                        for (part, (wd, outData)) in parts.enumerated() {
                            let src = row + part * d, dst = outData + token * d
                            let r = 1 / (omni_sum_squared_deviations(src, d, 0) / Float(d) + epsilon).squareRoot()
                            irms[token * 2 + part] = r
                            for h in 0..<heads {
                                let a = src + h * hd, aw = wd + h * hd, y = dst + h * hd
                                for j in 0..<half {
                                    // The normalised pair exactly as rmsNorm writes it, then rotated as rope3D does.
                                    let x0 = a[2 * j] * r * aw[2 * j], x1 = a[2 * j + 1] * r * aw[2 * j + 1]
                                    let cj = c[j], sj = s[j]
                                    y[2 * j] = x0 * cj - x1 * sj
                                    y[2 * j + 1] = x0 * sj + x1 * cj
                                }
                            }
                        }
                        (v.data + token * d).update(from: row + 2 * d, count: d)
                    }
                }
            }
        }

        // Backward, per output: un-rotate the gradient (rotation by −angle), then rmsNorm's backward (the same
        // function) into the part's columns of `self` and its weight.
        for (part, (w, out)) in [(queryNorm, q), (keyNorm, k)].enumerated() {
            Tape.record(Tape.shouldRecord(x, w), output: out) { g in
                let gy = Tensor(zeros: [tokens, d])
                Self.rotatePairs(g.data, gy.data, tokens: tokens, length: l, heads: heads, d: hd, table: rope,
                                 sign: -1, accumulate: true)
                Self.rmsNormBackward(rows: tokens, channels: d, x: xd + part * d, xStride: 3 * d, g: gy.data, gStride: d,
                                     inverseRMS: irms + part, inverseRMSStride: 2, weight: w.data,
                                     weightGrad: w.requiresGrad ? w.gradData() : nil,
                                     inputGrad: x.requiresGrad ? x.gradData() + part * d : nil, inputGradStride: 3 * d)
                withExtendedLifetime((inverseRMS, gy)) {}
            }
        }
        Tape.record(Tape.shouldRecord(x), output: v) { g in
            let gx = x.gradData(), gd = g.data
            for token in 0..<tokens {
                let dst = gx + token * 3 * d + 2 * d, src = gd + token * d
                for i in 0..<d { dst[i] += src[i] }
            }
        }
        return (q, k, v)
    }
}
