import Foundation

/// adaLN modulation as single passes (docs/ARCHITECTURE.md §4.3): the DiT's `LN(x)·(1 + scale) + shift` and
/// gated residual `x + gate·update` each read and write the token tensor once, where the unfused ops take three
/// passes (normalise, scale, shift) and two (multiply, add) with a temporary each.
///
/// Shapes: tokens `[B, L, C]`; `shift`, `scale`, `gate` `[B, 1, C]` (one vector per batch row, broadcast over
/// the L tokens). Results equal the unfused ops' up to float rounding order.
extension Tensor {
    /// `layerNorm(self, ε) · (1 + scale) + shift` (no affine weights), tokens `[B, L, C]`, shift/scale `[B, 1, C]`.
    public func modulatedLayerNorm(shift: Tensor, scale: Tensor, epsilon: Float = 1e-6) -> Tensor {
        precondition(rank == 3, "modulatedLayerNorm wants tokens [B, L, C], got \(shape)")
        let (b, l, c) = (shape[0], shape[1], shape[2])
        precondition(shift.shape == [b, 1, c] && scale.shape == [b, 1, c],
                     "modulatedLayerNorm: shift \(shift.shape) and scale \(scale.shape) must be [\(b), 1, \(c)]")
        let x = self, rows = b * l
        let out = Tensor(uninitialized: shape)
        // Per row: mean and 1/std, so backward recomputes x̂ instead of keeping a second tensor.
        let stats = Tensor(uninitialized: [rows, 2])
        let xd = x.data, yd = out.data, sd = stats.data, shd = shift.data, scd = scale.data
        ComputeThreads.parallelFor(rows, grain: max(1, 8192 / max(c, 1))) { r in
            for row in r {
                let xr = xd + row * c, yr = yd + row * c
                let sh = shd + (row / l) * c, sc = scd + (row / l) * c
                let (mean, s) = layerNormMoments(xr, count: c, epsilon: epsilon)
                sd[2 * row] = mean; sd[2 * row + 1] = s
                for i in 0..<c { yr[i] = (xr[i] - mean) * s * (1 + sc[i]) + sh[i] }
            }
        }
        Tape.record(Tape.shouldRecord(x, shift, scale), output: out) { g in
            // Read through the tensors, so the closure keeps their buffers alive (the pool reuses freed ones).
            let gd = g.data, xd = x.data, sd = stats.data, scd = scale.data
            let gShift = shift.requiresGrad ? shift.gradData() : nil
            let gScale = scale.requiresGrad ? scale.gradData() : nil
            let gx = x.requiresGrad ? x.gradData() : nil
            for row in 0..<rows {
                let gr = gd + row * c, xr = xd + row * c, batch = row / l
                let mean = sd[2 * row], s = sd[2 * row + 1], sc = scd + batch * c
                if let gShift { for i in 0..<c { gShift[batch * c + i] += gr[i] } }
                if let gScale { for i in 0..<c { gScale[batch * c + i] += gr[i] * (xr[i] - mean) * s } }
                guard let gx else { continue }
                // dx = istd · (ĝ − mean(ĝ) − x̂·mean(ĝ·x̂)), ĝ = g·(1 + scale).
                var meanG: Float = 0, meanGN: Float = 0
                for i in 0..<c {
                    let gh = gr[i] * (1 + sc[i])
                    meanG += gh; meanGN += gh * (xr[i] - mean) * s
                }
                meanG /= Float(c); meanGN /= Float(c)
                let dst = gx + row * c
                for i in 0..<c {
                    let gh = gr[i] * (1 + sc[i])
                    dst[i] += s * (gh - meanG - (xr[i] - mean) * s * meanGN)
                }
            }
        }
        return out
    }

    /// `self + gate · update`: tokens and update `[B, L, C]`, gate `[B, 1, C]`.
    public func gatedResidual(gate: Tensor, update: Tensor) -> Tensor {
        precondition(rank == 3 && update.shape == shape,
                     "gatedResidual: tokens \(shape) and update \(update.shape) must both be [B, L, C]")
        let (b, l, c) = (shape[0], shape[1], shape[2])
        precondition(gate.shape == [b, 1, c], "gatedResidual: gate \(gate.shape) must be [\(b), 1, \(c)]")
        let x = self, rows = b * l
        let out = Tensor(uninitialized: shape)
        let xd = x.data, ud = update.data, gtd = gate.data, yd = out.data
        ComputeThreads.parallelFor(rows, grain: max(1, 16384 / max(c, 1))) { r in
            for row in r {
                let xr = xd + row * c, ur = ud + row * c, yr = yd + row * c, gt = gtd + (row / l) * c
                for i in 0..<c { yr[i] = xr[i] + gt[i] * ur[i] }
            }
        }
        Tape.record(Tape.shouldRecord(x, gate, update), output: out) { g in
            let gd = g.data, n = g.count, ud = update.data, gtd = gate.data
            if x.requiresGrad {
                let gx = x.gradData()
                for i in 0..<n { gx[i] += gd[i] }
            }
            let gGate = gate.requiresGrad ? gate.gradData() : nil
            let gUpdate = update.requiresGrad ? update.gradData() : nil
            for row in 0..<rows {
                let gr = gd + row * c, ur = ud + row * c, batch = row / l, gt = gtd + batch * c
                if let gGate { for i in 0..<c { gGate[batch * c + i] += gr[i] * ur[i] } }
                if let gUpdate { let dst = gUpdate + row * c; for i in 0..<c { dst[i] += gr[i] * gt[i] } }
            }
        }
        return out
    }
}
