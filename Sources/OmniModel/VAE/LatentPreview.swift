import Foundation
import OmniMedia
import OmniTensor

/// A cheap latent → RGB projection for step previews: an affine map of each latent position's z channels
/// to R, G, B, `rgb = weight · z + bias`, applied to *normalised* latents (the DiT's space, e.g. the predicted
/// x₀ at a sampling step). The result is a small picture on the latent grid (one pixel per latent position,
/// H/s × W/s), pixels in about [−1, 1]; the caller upscales it. Keys (inside `CausalVAE`): `preview.weight`
/// `[3, z]`, `preview.bias` `[3]`.
///
/// `fit(vae:frames:)` sets the map by least squares from the VAE's own latents of some frames against those
/// frames averaged over each latent cell, so even a random model gets a fitted (not random) preview. Its tensors
/// do not require gradients (they are fitted, not trained), but they load and save with the checkpoint.
public final class LatentPreview: Module {
    public let weight: Tensor
    public let bias: Tensor

    public init(zChannels: Int) {
        weight = Tensor(zeros: [3, zChannels])
        bias = Tensor(zeros: [3])
    }

    public var zChannels: Int { weight.shape[1] }

    /// Normalised latents `[…, z]` → RGB `[…, 3]` (pixel units, not clamped).
    public func callAsFunction(_ latents: Tensor) -> Tensor {
        precondition(latents.dim(-1) == zChannels, "LatentPreview wants latents [..., \(zChannels)], got \(latents.shape)")
        return latents.linear(weight, bias)
    }

    /// One normalised latent frame `[h, w, z]` → an `w × h` picture (one pixel per latent position).
    public func image(latentFrame: Tensor) -> RGBImage {
        precondition(latentFrame.rank == 3, "LatentPreview.image wants one latent frame [h, w, z], got \(latentFrame.shape)")
        let rgb = self(latentFrame)
        let h = latentFrame.shape[0], w = latentFrame.shape[1]
        var bytes = [UInt8](repeating: 0, count: h * w * 3)
        for i in 0..<bytes.count {
            let v = (min(1, max(-1, rgb.data[i])) + 1) * 127.5
            bytes[i] = UInt8(v.rounded())
        }
        return RGBImage(width: w, height: h, pixels: bytes)
    }

    /// Least-squares fit of `weight` and `bias` so that `self(latents) ≈ targets`: latents `[…, z]` and
    /// targets `[…, 3]` with the same leading shape (one row per latent position). Solves the normal equations
    /// in Double with a tiny ridge (`ridge` × the mean diagonal of the latents' Gram matrix, not applied to the
    /// bias), so degenerate latents still give a finite map. Returns the root-mean-square error of the fit.
    @discardableResult
    public func fit(latents: Tensor, targets: Tensor, ridge: Double = 1e-6) -> Double {
        let z = zChannels, n = latents.count / max(z, 1)
        precondition(latents.dim(-1) == z && targets.dim(-1) == 3 && targets.count == 3 * n && n > 0,
                     "LatentPreview.fit wants latents [..., \(z)] and targets [..., 3] with the same rows, got \(latents.shape) and \(targets.shape)")
        let d = z + 1   // features: z channels, then 1 for the bias
        var gram = [Double](repeating: 0, count: d * d)
        var moment = [Double](repeating: 0, count: d * 3)
        var row = [Double](repeating: 0, count: d)
        for r in 0..<n {
            for c in 0..<z { row[c] = Double(latents.data[r * z + c]) }
            row[z] = 1
            for i in 0..<d {
                let ri = row[i]
                for j in i..<d { gram[i * d + j] += ri * row[j] }
                for k in 0..<3 { moment[i * 3 + k] += ri * Double(targets.data[r * 3 + k]) }
            }
        }
        for i in 0..<d { for j in 0..<i { gram[i * d + j] = gram[j * d + i] } }
        var trace = 0.0
        for i in 0..<z { trace += gram[i * d + i] }
        let lambda = ridge * max(trace / Double(max(z, 1)), 1e-12)
        for i in 0..<z { gram[i * d + i] += lambda }
        gram[z * d + z] += 1e-12 * Double(n)
        let solution = LatentPreview.solveSymmetric(gram, moment, size: d, rightHandSides: 3)
        for k in 0..<3 {
            for c in 0..<z { weight.data[k * z + c] = Float(solution[c * 3 + k]) }
            bias.data[k] = Float(solution[z * 3 + k])
        }
        let fitted = self(latents)
        var squared = 0.0
        for i in 0..<fitted.count { let e = Double(fitted.data[i] - targets.data[i]); squared += e * e }
        return (squared / Double(fitted.count)).squareRoot()
    }

    /// Fits the preview of `vae` to `frames` `[T, H, W, 3]` (or `[B, T, H, W, 3]`, T = 1 + tf·k, pixels in
    /// [−1, 1]): encodes them (posterior mean, normalised), averages the frames over each latent cell
    /// (`cellAverages`), and solves `fit(latents:targets:)`. Returns the fit's RMS error in pixel units.
    @discardableResult
    public func fit(vae: CausalVAE, frames: Tensor, ridge: Double = 1e-6) throws(ModelError) -> Double {
        let latents = vae.normalize(try vae.encodeChunked(frames).mean)
        let targets = LatentPreview.cellAverages(frames, spatialFactor: vae.spatialFactor, temporalFactor: vae.temporalFactor)
        return fit(latents: latents, targets: targets, ridge: ridge)
    }

    /// The video frames `[T, H, W, C]` (or batched) averaged over each latent cell → `[1 + k, H/s, W/s, C]`:
    /// latent frame 0 averages frame 0's s × s blocks, latent frame j ≥ 1 the blocks of frames
    /// 1 + tf·(j−1) … tf·j (the frames it encodes).
    public static func cellAverages(_ frames: Tensor, spatialFactor s: Int, temporalFactor tf: Int) -> Tensor {
        precondition(frames.rank == 4 || frames.rank == 5, "cellAverages wants [T, H, W, C] or [B, T, H, W, C], got \(frames.shape)")
        let t = frames.dim(-4), h = frames.dim(-3), w = frames.dim(-2), c = frames.dim(-1)
        precondition((t - 1) % tf == 0 && h % s == 0 && w % s == 0, "cellAverages: \(frames.shape) is not 1 + \(tf)k frames of multiples of \(s)")
        let batch = frames.rank == 5 ? frames.shape[0] : 1
        let lt = 1 + (t - 1) / tf, gh = h / s, gw = w / s
        let out = Tensor(zeros: (frames.rank == 5 ? [batch] : []) + [lt, gh, gw, c])
        for b in 0..<batch {
            for j in 0..<lt {
                let range = j == 0 ? 0..<1 : (1 + tf * (j - 1))..<(1 + tf * j)
                let scale = 1 / Float(range.count * s * s)
                for f in range {
                    for y in 0..<h {
                        for x in 0..<w {
                            let src = frames.data + (((b * t + f) * h + y) * w + x) * c
                            let dst = out.data + (((b * lt + j) * gh + y / s) * gw + x / s) * c
                            for k in 0..<c { dst[k] += src[k] * scale }
                        }
                    }
                }
            }
        }
        return out
    }

    /// Solves `A·X = B` for a symmetric positive definite `A` (`size`²) by Cholesky; B and X are `size × m`
    /// row-major. Falls back to the zero solution along directions with no positive pivot.
    static func solveSymmetric(_ a: [Double], _ b: [Double], size n: Int, rightHandSides m: Int) -> [Double] {
        var l = [Double](repeating: 0, count: n * n)
        for i in 0..<n {
            for j in 0...i {
                var s = a[i * n + j]
                for k in 0..<j { s -= l[i * n + k] * l[j * n + k] }
                if i == j { l[i * n + i] = s > 0 ? s.squareRoot() : 0 }
                else { l[i * n + j] = l[j * n + j] > 0 ? s / l[j * n + j] : 0 }
            }
        }
        var y = b
        for i in 0..<n {
            for k in 0..<m {
                var s = y[i * m + k]
                for j in 0..<i { s -= l[i * n + j] * y[j * m + k] }
                y[i * m + k] = l[i * n + i] > 0 ? s / l[i * n + i] : 0
            }
        }
        var x = y
        for i in stride(from: n - 1, through: 0, by: -1) {
            for k in 0..<m {
                var s = x[i * m + k]
                for j in (i + 1)..<n { s -= l[j * n + i] * x[j * m + k] }
                x[i * m + k] = l[i * n + i] > 0 ? s / l[i * n + i] : 0
            }
        }
        return x
    }
}
