import Foundation
import OmniMedia
import OmniModel
import OmniTensor
import OmniWorld

/// Stage 0: the causal 3-D VAE on puppet clips. A batch is `batch` windows of `frames` consecutive frames
/// (1 + 4k, so the first frame's separate path is always trained), cropped to `crop × crop` pixels (the VAE is
/// convolutional; crops make a step 4× cheaper at 64×64 and the model sees every bucket).
///
/// Loss = L1(x̂, x) + `edgeWeight` · L1 of the horizontal and vertical pixel differences (sharp outlines; there are
/// no perceptual-loss weights to use) + `klWeight` · KL(q(z|x) ‖ N(0, I)) (mean per latent element), where x̂
/// decodes a reparameterised sample. `finish` computes the latents' per-channel mean and std on `statisticsClips`
/// fresh clips and fits the latent preview.
public final class VAEObjective: TrainingObjective {
    public let weights: OmniModelWeights
    public let parameters: [(key: String, tensor: Tensor)]
    public let samples: PuppetSamples
    public var batch: Int
    public var frames: Int
    public var crop: Int
    public var edgeWeight: Float = 0.5
    public var klWeight: Float = 1e-4
    public var statisticsClips = 64
    let tape = Tape()

    public init(weights: OmniModelWeights, samples: PuppetSamples, batch: Int, frames: Int = 9, crop: Int = 32) {
        self.weights = weights
        self.samples = samples
        self.batch = batch; self.frames = frames; self.crop = crop
        let vae = weights.vae
        weights.setTrainable(false)
        parameters = vae.encoder.namedTensors().map { ("vae.encoder." + $0.key, $0.tensor) }
            + vae.decoder.namedTensors().map { ("vae.decoder." + $0.key, $0.tensor) }
        for (_, t) in parameters { t.requiresGrad = true }
    }

    public func accumulateGradients(step: Int, profile: inout TrainingProfile) throws -> [String: Double] {
        let x = profile.measure(.data) { samples.vaeBatch(step: step, batch: batch, frames: frames, crop: crop) }
        var rng = samples.stream(step: step).split(PuppetSamples.Purpose.vaeNoise.rawValue)
        let vae = weights.vae
        let (loss, l1, edge, kl) = try profile.measure(.forward) { () throws -> (Tensor, Tensor, Tensor, Tensor) in
            try tape.recording { () throws -> (Tensor, Tensor, Tensor, Tensor) in
                let posterior: VAEEncoding
                do throws(ModelError) { posterior = try vae.encode(x) } catch { throw TrainingError.model(error) }
                let y = vae.decode(posterior.sample(&rng), clamp: false)
                let l1 = y.l1Loss(x)
                let edge = Self.edges(y, axis: 2).l1Loss(Self.edges(x, axis: 2)) + Self.edges(y, axis: 3).l1Loss(Self.edges(x, axis: 3))
                let kl = posterior.klDivergence()
                return (l1 + edge.scaled(edgeWeight) + kl.scaled(klWeight), l1, edge, kl)
            }
        }
        profile.measure(.backward) { tape.backward(from: loss) }
        return ["loss": Double(loss.item), "l1": Double(l1.item), "edge": Double(edge.item), "kl": Double(kl.item),
                "psnr_estimate": Self.psnrEstimate(l1: Double(l1.item))]
    }

    /// Differences of neighbouring pixels along `axis` of `[B, T, H, W, 3]` (2: rows, 3: columns).
    static func edges(_ x: Tensor, axis: Int) -> Tensor {
        let n = x.shape[axis]
        return x.slice(axis: axis, 1..<n) - x.slice(axis: axis, 0..<(n - 1))
    }

    /// A rough PSNR for the log from the L1 error in [−1, 1] units (Laplacian errors: RMSE ≈ 1.41·L1); eval
    /// measures the real one.
    static func psnrEstimate(l1: Double) -> Double {
        let rmse = max(1e-6, 1.41 * l1 / 2)   // to [0, 1] units
        return 20 * log10(1 / rmse)
    }

    /// Latent statistics on fresh clips (whole frames, the model's buckets) and a refitted preview.
    public func finish(config: ModelConfig) throws -> ModelConfig {
        let vae = weights.vae
        let z = vae.zChannels
        var sum = [Double](repeating: 0, count: z), squares = [Double](repeating: 0, count: z)
        var count = 0.0
        var previewFrames: Tensor?
        let statistics = PuppetSamples(seed: samples.seed ^ 0x5A5A, sizes: samples.sizes, fps: samples.fps)
        for i in 0..<statisticsClips {
            let video = statistics.vaeBatch(step: i, batch: 1, frames: 1 + 4 * vae.temporalFactor, crop: 0)
            if previewFrames == nil { previewFrames = video.reshaped(Array(video.shape.dropFirst())) }
            let mean: Tensor
            do throws(ModelError) { mean = try vae.encodeChunked(video).mean } catch { throw TrainingError.model(error) }
            for j in 0..<mean.count {
                let v = Double(mean.data[j])
                sum[j % z] += v; squares[j % z] += v * v
            }
            count += Double(mean.count / z)
        }
        var out = config
        out.vae.latentMean = (0..<z).map { Float(sum[$0] / count) }
        out.vae.latentStd = (0..<z).map { c -> Float in
            let mean = sum[c] / count
            return Float(max(1e-3, (squares[c] / count - mean * mean).squareRoot()))
        }
        // The preview reads normalised latents: fit it with the new statistics.
        if let previewFrames {
            let mean: Tensor
            do throws(ModelError) { mean = try vae.encodeChunked(previewFrames).mean } catch { throw TrainingError.model(error) }
            let normalised = (mean - Tensor(out.vae.latentMean, shape: [z])) * Tensor(out.vae.latentStd.map { 1 / $0 }, shape: [z])
            let targets = LatentPreview.cellAverages(previewFrames, spatialFactor: vae.spatialFactor, temporalFactor: vae.temporalFactor)
            vae.preview.fit(latents: normalised, targets: targets)
        }
        return out
    }
}
