import OmniModel
import OmniTensor

/// How much the DiT's velocity at the mouth improves when it hears the audio — whether it has learned lips that
/// follow the voice, measured without generating a frame (`omnistudio probe lips`).
///
/// For each window of a latent cache (best one built with `train cache --talking-heads 1`), at each σ with one fixed
/// noise, the velocity error Σ (v − (ε − x₀))² / C on the latent positions of the mouth box (`MouthLossWeights`)
/// and on the rest, once with the audio on and once off; the reference on, the window's own motion frames given (a
/// later segment of ref+audio generation), text and pose off. Gain = 1 − on ÷ off: 0 for a model that ignores the
/// audio at the mouth, larger the more the audio tells it. Deterministic, and one probe covers every window at
/// every σ, so a change between checkpoints can be told apart from noise where ten generated clips' Sync cannot.
public enum MouthAudioGain {
    /// One σ's errors, mean per latent position and channel over the windows whose mouth is in view.
    public struct Row: Sendable, Equatable {
        public var sigma: Float
        public var windows: Int
        public var mouthOff: Double, mouthOn: Double
        public var restOff: Double, restOn: Double
        /// 1 − mouthOn ÷ mouthOff.
        public var mouthGain: Double { 1 - mouthOn / mouthOff }
        /// 1 − restOn ÷ restOff: the audio's help away from the mouth (head nods, breathing), for scale.
        public var restGain: Double { 1 - restOn / restOff }
        /// How much the clean mouth changes from one latent frame to the next, ½ (x₀[k] − x₀[k−1])² at the mouth
        /// positions of frame k (per value, in x₀ units, the same at every σ): the scale of what hearing the audio
        /// could explain. The velocity errors above are x₀ errors ÷ σ², so `mouthOn`·σ² compares with it.
        public var mouthMotion: Double
    }

    /// The rows for `sigmas` over every window of `objective`'s latent cache (a window whose mouth is out of view
    /// counts in no row). `objective` supplies the examples and the velocity, so the probe sees what training sees;
    /// its ratios must ask for mouth weights (`mouthWeight` > 0) and audio (stage ≥ 2).
    public static func measure(_ objective: DiTObjective, sigmas: [Float], seed: UInt64) throws -> [Row] {
        guard let cache = objective.latents else { preconditionFailure("the mouth probe reads a latent cache") }
        precondition(objective.ratios.mouthWeight > 0 && objective.ratios.audio > 0, "the probe needs mouth weights and audio")
        var rows = sigmas.map { Row(sigma: $0, windows: 0, mouthOff: 0, mouthOn: 0, restOff: 0, restOn: 0, mouthMotion: 0) }
        var id: UInt64 = 0
        for b in cache.manifest.buckets.indices {
            for w in cache.manifest.buckets[b].windows.indices {
                id += 1
                let ex = try objective.examples.example(cachedBucket: b, window: w)
                // lossWeights are 1 + λ at the mouth, 1 elsewhere; a mouth seen only in the motion frames (given, not
                // predicted) counts in no row.
                guard let weights = ex.lossWeights else { continue }
                let peak: Float = 1 + Float(objective.ratios.mouthWeight)
                let first = objective.examples.motionLatentFrames, perFrame = weights.count / weights.shape[1]
                guard weights.values[(first * perFrame)...].contains(peak) else { continue }
                let motion = mouthMotion(ex.target, weights: weights, peak: peak)
                for (k, sigma) in sigmas.enumerated() {
                    let errors = [false, true].map { audioOn in
                        let draws = DiTExamples.Draws(referenceOn: true, textOn: false, audioOn: audioOn, poseOn: false, motionOn: true,
                                                      sigma: sigma, noise: RandomStream(seed: seed, stream: 0x11B5).split(id).split(UInt64(k)))
                        let (inputs, noise, from) = objective.examples.inputs(ex, draws, poseGuider: objective.weights.poseGuider)
                        let v = objective.velocity(inputs, ex, draws)
                        return positionErrors(v, FlowMatchSampler.velocityTarget(clean: ex.target, noise: noise), weights: weights,
                                              peak: peak, from: from)
                    }
                    rows[k].windows += 1
                    rows[k].mouthMotion += motion
                    rows[k].mouthOff += errors[0].mouth; rows[k].mouthOn += errors[1].mouth
                    rows[k].restOff += errors[0].rest; rows[k].restOn += errors[1].rest
                }
            }
        }
        for k in rows.indices where rows[k].windows > 0 {
            let n = Double(rows[k].windows)
            rows[k].mouthOff /= n; rows[k].mouthOn /= n; rows[k].restOff /= n; rows[k].restOn /= n; rows[k].mouthMotion /= n
        }
        return rows
    }

    /// Mean squared error per channel of `v` against `target` (`[1, T', h, w, C]`) over latent frames `from…`, on the
    /// positions whose weight is `peak` (the mouth, which must be there) and on the others.
    static func positionErrors(_ v: Tensor, _ target: Tensor, weights: Tensor, peak: Float, from: Int) -> (mouth: Double, rest: Double) {
        let c = v.shape[4], perFrame = v.shape[2] * v.shape[3]
        var mouth = 0.0, rest = 0.0, mouthCount = 0, restCount = 0
        for p in (from * perFrame)..<weights.count {
            var e = 0.0
            for j in 0..<c { let d = Double(v.data[p * c + j] - target.data[p * c + j]); e += d * d }
            if weights.data[p] == peak { mouth += e; mouthCount += 1 } else { rest += e; restCount += 1 }
        }
        precondition(mouthCount > 0, "no mouth position after the motion frames")
        return (mouth / Double(mouthCount * c), rest / Double(max(restCount, 1) * c))
    }

    /// ½ (x₀[k] − x₀[k−1])² per value over the mouth positions of latent frames k ≥ 2 (frame 1 follows the causal
    /// VAE's single-frame latent 0, a different kind of latent).
    static func mouthMotion(_ x0: Tensor, weights: Tensor, peak: Float) -> Double {
        let c = x0.shape[4], perFrame = x0.shape[2] * x0.shape[3]
        var sum = 0.0, count = 0
        for k in 2..<max(2, x0.shape[1]) {
            for q in 0..<perFrame where weights.data[k * perFrame + q] == peak {
                let p = k * perFrame + q
                for j in 0..<c { let d = Double(x0.data[p * c + j] - x0.data[(p - perFrame) * c + j]); sum += 0.5 * d * d }
                count += c
            }
        }
        return count > 0 ? sum / Double(count) : 0
    }
}
