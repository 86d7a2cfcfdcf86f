import COmniKernels
import Foundation

/// Normalisations over the last dimension (channels-last): LayerNorm (with optional affine weight and bias)
/// and RMSNorm (x / √(mean(x²) + ε) · γ — Wan's "L2-normalise · √C · γ" up to where ε sits).
extension Tensor {
    public func layerNorm(weight: Tensor? = nil, bias: Tensor? = nil, epsilon: Float = 1e-5) -> Tensor {
        let x = self, c = shape.last!, rows = count / max(c, 1)
        if let weight { precondition(weight.shape == [c]) }
        if let bias { precondition(bias.shape == [c]) }
        let out = Tensor(uninitialized: shape)
        let normalized = Tensor(uninitialized: shape)   // x̂, kept for backward
        var inverseStd = [Float](repeating: 0, count: rows)
        inverseStd.withUnsafeMutableBufferPointer { istd in
            let istd = istd.baseAddress!
            ComputeThreads.parallelFor(rows, grain: max(1, 8192 / max(c, 1))) { r in
                for row in r {
                    let xr = x.data + row * c, nr = normalized.data + row * c, yr = out.data + row * c
                    let (mean, s) = layerNormMoments(xr, count: c, epsilon: epsilon)
                    istd[row] = s
                    for i in 0..<c {
                        let n = (xr[i] - mean) * s
                        nr[i] = n
                        yr[i] = n * (weight?.data[i] ?? 1) + (bias?.data[i] ?? 0)
                    }
                }
            }
        }
        Tape.record(Tape.shouldRecord(x, weight, bias), output: out) { g in
            let gd = g.data
            if let weight, weight.requiresGrad {
                let gw = weight.gradData()
                for row in 0..<rows { for i in 0..<c { gw[i] += gd[row * c + i] * normalized.data[row * c + i] } }
            }
            if let bias, bias.requiresGrad {
                let gb = bias.gradData()
                for row in 0..<rows { for i in 0..<c { gb[i] += gd[row * c + i] } }
            }
            guard x.requiresGrad else { return }
            let gx = x.gradData()
            // dx = istd · (ĝ − mean(ĝ) − x̂·mean(ĝ·x̂)), ĝ = g·γ.
            for row in 0..<rows {
                let gr = gd + row * c, nr = normalized.data + row * c, dst = gx + row * c
                var meanG: Float = 0, meanGN: Float = 0
                for i in 0..<c {
                    let gh = gr[i] * (weight?.data[i] ?? 1)
                    meanG += gh; meanGN += gh * nr[i]
                }
                meanG /= Float(c); meanGN /= Float(c)
                let s = inverseStd[row]
                for i in 0..<c {
                    let gh = gr[i] * (weight?.data[i] ?? 1)
                    dst[i] += s * (gh - meanG - nr[i] * meanGN)
                }
            }
        }
        return out
    }

    public func rmsNorm(weight: Tensor? = nil, epsilon: Float = 1e-6) -> Tensor {
        let x = self, c = shape.last!, rows = count / max(c, 1)
        if let weight { precondition(weight.shape == [c], "rmsNorm weight \(weight.shape) for channels \(c)") }
        let out = Tensor(uninitialized: shape)
        var inverseRMS = [Float](repeating: 0, count: rows)
        inverseRMS.withUnsafeMutableBufferPointer { irms in
            let irms = irms.baseAddress!
            ComputeThreads.parallelFor(rows, grain: max(1, 8192 / max(c, 1))) { r in
                for row in r {
                    let xr = x.data + row * c, yr = out.data + row * c
                    let s = 1 / (omni_sum_squared_deviations(xr, c, 0) / Float(c) + epsilon).squareRoot()
                    irms[row] = s
                    if let w = weight?.data { for i in 0..<c { yr[i] = xr[i] * s * w[i] } }
                    else { for i in 0..<c { yr[i] = xr[i] * s } }
                }
            }
        }
        Tape.record(Tape.shouldRecord(x, weight), output: out) { g in
            inverseRMS.withUnsafeBufferPointer { irms in
                Self.rmsNormBackward(rows: rows, channels: c, x: x.data, xStride: c, g: g.data, gStride: c,
                                     inverseRMS: irms.baseAddress!, inverseRMSStride: 1, weight: weight?.data,
                                     weightGrad: weight?.requiresGrad == true ? weight!.gradData() : nil,
                                     inputGrad: x.requiresGrad ? x.gradData() : nil, inputGradStride: c)
            }
        }
        return out
    }

    /// `rmsNorm`'s backward over `rows` rows of `channels`, each operand read with its own row stride (so a norm
    /// over columns of a wider row, as `qkvHeads` does, shares it): `weightGrad += Σ g·x·s`, then
    /// `inputGrad += s·ĝ − x·s³·mean(ĝ·x)` with ĝ = g·γ and s the row's saved inverse RMS. Either gradient may be nil.
    static func rmsNormBackward(rows: Int, channels c: Int, x: UnsafePointer<Float>, xStride: Int,
                                g: UnsafePointer<Float>, gStride: Int, inverseRMS: UnsafePointer<Float>, inverseRMSStride: Int,
                                weight: UnsafePointer<Float>?, weightGrad: UnsafeMutablePointer<Float>?,
                                inputGrad: UnsafeMutablePointer<Float>?, inputGradStride: Int) {
        if let gw = weightGrad {
            for row in 0..<rows {
                let s = inverseRMS[row * inverseRMSStride], xr = x + row * xStride, gr = g + row * gStride
                for i in 0..<c { gw[i] += gr[i] * xr[i] * s }
            }
        }
        guard let gx = inputGrad else { return }
        // y = x·s·γ with s = (mean(x²)+ε)^-½ → dx = s·ĝ − x·s³·mean(ĝ·x), ĝ = g·γ.
        for row in 0..<rows {
            let xr = x + row * xStride, gr = g + row * gStride, dst = gx + row * inputGradStride
            let s = inverseRMS[row * inverseRMSStride]
            var dot: Float = 0
            for i in 0..<c { dot += gr[i] * (weight?[i] ?? 1) * xr[i] }
            let k = s * s * s * dot / Float(c)
            for i in 0..<c { dst[i] += s * gr[i] * (weight?[i] ?? 1) - xr[i] * k }
        }
    }

    /// Softmax over the last dimension. Rows that are entirely −∞ give all zeros (and zero gradient).
    public func softmax() -> Tensor {
        let x = self, c = shape.last!, rows = count / max(c, 1)
        let out = Tensor(uninitialized: shape)
        ComputeThreads.parallelFor(rows, grain: max(1, 8192 / max(c, 1))) { r in
            for row in r { softmaxRow(x.data + row * c, out.data + row * c, c) }
        }
        Tape.record(Tape.shouldRecord(x), output: out) { g in
            let gx = x.gradData()
            for row in 0..<rows {
                let y = out.data + row * c, gr = g.data + row * c, dst = gx + row * c
                var dot: Float = 0
                for i in 0..<c { dot += gr[i] * y[i] }
                for i in 0..<c { dst[i] += y[i] * (gr[i] - dot) }
            }
        }
        return out
    }
}

/// Numerically stable softmax of one row of `n` values; an all −∞ row becomes zeros.
@inline(__always)
func softmaxRow(_ x: UnsafePointer<Float>, _ y: UnsafeMutablePointer<Float>, _ n: Int) {
    var m = -Float.infinity
    for i in 0..<n { m = max(m, x[i]) }
    if m == -.infinity { y.update(repeating: 0, count: n); return }
    var s: Float = 0
    for i in 0..<n { let e = exp(x[i] - m); y[i] = e; s += e }
    let inv = 1 / s
    for i in 0..<n { y[i] *= inv }
}

/// Mean and 1/√(variance + ε) of `count` values (two passes, as layer norm's forward needs both).
@inline(__always)
func layerNormMoments(_ x: UnsafeMutablePointer<Float>, count c: Int, epsilon: Float) -> (mean: Float, inverseStd: Float) {
    let mean = omni_sum(x, c) / Float(c)
    let variance = omni_sum_squared_deviations(x, c, mean) / Float(c)
    return (mean, 1 / (variance + epsilon).squareRoot())
}
