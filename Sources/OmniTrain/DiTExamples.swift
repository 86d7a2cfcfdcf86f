import Foundation
import OmniMedia
import OmniModel
import OmniTensor
import OmniWorld

/// The DiT trainers' data (the curriculum's `DiTObjective` and `GuidanceDistillationObjective` alike): sample `i`
/// of step `n` is a window of `segmentFrames` frames of a 2 s puppet clip — its target latents (the frozen VAE's
/// normalised posterior mean, read from a `LatentCache` or encoded now), the reference picture's latent, the
/// caption's MiniLM states, the window's audio rows and pose maps — and its draws: which conditions are on (by
/// `ratios`), σ (logit-normal) and the noise. Everything is a function of (seed, step, index).
public final class DiTExamples {
    /// One example's tensors (no gradients): everything the DiT and the pose guider read.
    struct Example {
        var target: Tensor          // [1, T', h, w, z] normalised latents
        var reference: Tensor       // [1, 1, h, w, z]
        var textStates: Tensor      // [1, L, 384]
        var audio: Tensor           // [1, segmentFrames, featureWidth]
        var poseMaps: Tensor        // [segmentFrames, H, W, 35]
        /// The motion latents `[1, T'm, h, w, z]` of the reference picture held still (only with
        /// `ratios.referenceStart` > 0).
        var referenceStart: Tensor?
        /// The loss weights `[1, T', h, w, 1]` favouring the mouth (only with `ratios.mouthWeight` > 0).
        var lossWeights: Tensor?
    }

    /// The switchboard, σ and noise of one sample.
    struct Draws {
        var referenceOn: Bool, textOn: Bool, audioOn: Bool, poseOn: Bool, motionOn: Bool
        var sigma: Float
        var noise: RandomStream
        /// Motion frames are the reference held still (with `motionOn` and `referenceOn`).
        var referenceStart = false
        /// The fraction of noise mixed into the motion latents.
        var motionNoise: Float = 0
        /// The motion latents are the model's own one-step estimate from σ = `selfSigma` (`ConditionRatios.selfMotion`).
        var selfMotion = false
        var selfSigma: Float = 0
    }

    let vae: CausalVAE
    let config: ModelConfig
    let samples: PuppetSamples
    /// The ratios with the stage's masks applied (`ConditionRatios.forStage`).
    let ratios: ConditionRatios
    let text: (String) throws -> Tensor
    let latents: LatentCache?
    /// Whether the cache's VAE was checked against this model's. Checked at the first example, not at init: a
    /// resumed run's weights arrive from its checkpoint after the objective is made.
    private var latentsChecked = false

    init(vae: CausalVAE, config: ModelConfig, samples: PuppetSamples, ratios: ConditionRatios, latents: LatentCache?,
         text: @escaping (String) throws -> Tensor) throws {
        if let latents {
            if latents.manifest.realSpeech == true && !EspeakSpeech.isAvailable {
                throw TrainingError.runMismatch(path: latents.folder, reason: "the cache's clips speak through espeak-ng, which is not installed (make bootstrap)")
            }
            guard latents.manifest.segmentFrames == config.video.segmentFrames, latents.manifest.fps == config.video.fps else {
                throw TrainingError.runMismatch(path: latents.folder, reason: "the cache holds \(latents.manifest.segmentFrames)-frame windows at \(latents.manifest.fps) fps; the model uses \(config.video.segmentFrames) at \(config.video.fps)")
            }
        }
        self.vae = vae; self.config = config; self.samples = samples; self.ratios = ratios; self.latents = latents; self.text = text
    }

    var motionLatentFrames: Int { 1 + (config.video.motionFrames - 1) / config.vae.temporalFactor }

    /// The example of sample `index` of `step`; the frozen VAE's time goes to `.encoding`, the rest (with the
    /// latent cache's reads) to `.data`. Conditions the stage never switches on (audio before stage 2, pose before
    /// stage 3) are zeros, not computed: with a latent cache, a stage-1 example then needs only the clip's plan
    /// for its caption, not the rendered clip.
    func example(step: Int, index: Int, perStep batch: Int, profile: inout TrainingProfile) throws -> Example {
        var rng = samples.stream(step: step).split(PuppetSamples.Purpose.ditWindow.rawValue).split(UInt64(index))
        if let latents {
            // The step's bucket when the cache has it, else one of the cache's (still one bucket per step).
            var fallback = samples.stream(step: step).split(PuppetSamples.Purpose.bucket.rawValue).split(1)
            let b = latents.bucketIndex(samples.bucket(step: step))
                ?? Int(fallback.nextUInt64() % UInt64(latents.manifest.buckets.count))
            let count = latents.manifest.buckets[b].windows.count
            let window = Int(rng.nextUInt64() % UInt64(count))
            return try example(bucket: b, window: window, step: step, index: index, perStep: batch, profile: &profile, rng: &rng)
        }
        return try example(bucket: nil, window: nil, step: step, index: index, perStep: batch, profile: &profile, rng: &rng)
    }

    /// The example of the latent cache's window `window` of bucket `bucket` (every window in turn, for a probe).
    func example(cachedBucket bucket: Int, window: Int) throws -> Example {
        var profile = TrainingProfile()
        var unused = RandomStream(seed: 1)   // a cached window's start is the cache's: nothing is drawn
        return try example(bucket: bucket, window: window, step: 0, index: 0, perStep: 1, profile: &profile, rng: &unused)
    }

    /// The cache's window (`bucket`, `window`) or, without a cache, a window of the clip drawn for (step, index) at
    /// a start drawn from `rng`.
    private func example(bucket: Int?, window: Int?, step: Int, index: Int, perStep batch: Int, profile: inout TrainingProfile,
                         rng: inout RandomStream) throws -> Example {
        let frames = config.video.segmentFrames
        let needsAudio = ratios.audio > 0, needsPose = ratios.pose > 0, needsPicture = ratios.referenceStart > 0
        let needsMouth = ratios.mouthWeight > 0
        // What the conditions read of the clip: a cached window needs its pictures only for the held reference
        // (decided per run, not per sample: with reference-start samples on, every cached window renders its clip).
        let spec: ClipSpec, tracks: (audio: AudioClip, pose: PoseTrack)?, picture: RGBImage?
        let start: Int, target: Tensor, reference: Tensor
        var cachedAudio: Tensor?
        if let latents, !latentsChecked {
            guard latents.manifest.vaeFingerprint == LatentCache.fingerprint(vae) else {
                throw TrainingError.runMismatch(path: latents.folder, reason: "the cache was encoded with another VAE than this model's (rebuild it with omnistudio train cache --model of this model)")
            }
            latentsChecked = true
        }
        do {
            if let latents, let b = bucket, let window {
                let cached = profile.measure(.data) { latents.window(bucket: b, index: window) }
                if latents.manifest.audioEncoder == config.audio.encoder { cachedAudio = cached.audio }
                spec = PuppetSamples.spec(seed: cached.window.clipSeed, size: latents.manifest.buckets[b].size, fps: config.video.fps,
                                          realSpeech: latents.manifest.realSpeech ?? false,
                                          alignedReference: latents.manifest.alignedReference ?? false)
                if needsPicture {
                    let clip = profile.measure(.data) { Clip.render(spec) }
                    (tracks, picture) = ((clip.audio, clip.pose), clip.reference)
                } else if needsPose || needsMouth || (needsAudio && cachedAudio == nil) {
                    let clip = profile.measure(.data) { ClipTracks.render(spec) }
                    (tracks, picture) = ((clip.audio, clip.pose), nil)
                } else {
                    (tracks, picture) = (nil, nil)
                }
                start = cached.window.start
                (target, reference) = (cached.target.reshaped(Array(cached.target.shape.dropFirst())),
                                       cached.reference.reshaped(Array(cached.reference.shape.dropFirst())))
            } else {
                let rendered = profile.measure(.data) { samples.clip(step: step, index: index, perStep: batch, seconds: 2) }
                (spec, tracks, picture) = (rendered.spec, (rendered.audio, rendered.pose), rendered.reference)
                start = Int(rng.nextUInt64() % UInt64(rendered.frames.count - frames + 1))
                let vae = self.vae
                (target, reference) = try profile.measure(.encoding) { () throws -> (Tensor, Tensor) in
                    let video = FrameTensor.tensor(Array(rendered.frames[start..<(start + frames)]))
                    return (vae.normalize(try vae.encode(video).mean), vae.normalize(try vae.encode(FrameTensor.tensor([rendered.reference])).mean))
                }
            }
        } catch let error as ModelError {
            throw TrainingError.model(error)
        }
        let w = spec.size.width, h = spec.size.height
        do {
            let dataStart = DispatchTime.now().uptimeNanoseconds
            defer { profile.add(.data, Double(DispatchTime.now().uptimeNanoseconds - dataStart) / 1e9) }
            let audio: Tensor
            if let cachedAudio {
                audio = cachedAudio
            } else if needsAudio, let tracks {
                audio = try AudioConditioning.features(of: tracks.audio, fps: Double(spec.fps), config: config.audio).windowRows(start: start, count: frames)
            } else {
                audio = Tensor(zeros: [1, frames, config.audio.featureWidth])
            }
            let maps: Tensor
            if needsPose, let tracks {
                maps = PoseGuider.input((0..<frames).map { tracks.pose.maps(frame: start + $0, width: w, height: h) })
            } else {
                maps = Tensor(zeros: [frames, h, w, PoseMaps.channelCount])
            }
            let states = try text(spec.caption)
            var held: Tensor?
            if needsPicture, let picture {
                let vae = self.vae, frames = Array(repeating: picture, count: config.video.motionFrames)
                let latents = try profile.measure(.encoding) { () throws -> Tensor in try vae.motionLatents(of: frames) }
                held = latents.reshaped([1] + latents.shape)
            }
            let mouth = needsMouth ? tracks.map { tracks in
                MouthLossWeights.weights(poses: Array(tracks.pose.frames[start..<(start + frames)]), width: w, height: h,
                                         latentFrames: target.shape[0], temporalFactor: config.vae.temporalFactor,
                                         spatialFactor: config.vae.spatialFactor, weight: Float(ratios.mouthWeight))
            } : nil
            return Example(target: target.reshaped([1] + target.shape), reference: reference.reshaped([1] + reference.shape),
                           textStates: states.reshaped([1] + states.shape), audio: audio, poseMaps: maps, referenceStart: held,
                           lossWeights: mouth)
        } catch let error as ModelError {
            throw TrainingError.model(error)
        }
    }

    /// Sample `index` of `step`'s switchboard (by `ratios`), σ = sigmoid(n), n ~ N(0, 1), and noise stream.
    func draws(step: Int, index: Int) -> Draws {
        let stepStream = samples.stream(step: step)
        var draw = stepStream.split(PuppetSamples.Purpose.ditDropout.rawValue).split(UInt64(index))
        let referenceOn = Double(draw.uniform()) < ratios.reference
        let textOn = Double(draw.uniform()) < ratios.text
        let audioOn = Double(draw.uniform()) < ratios.audio
        let poseOn = Double(draw.uniform()) < ratios.pose
        let motionOn = Double(draw.uniform()) < ratios.motion
        // Drawn after the others, so runs without these options draw as before.
        let referenceStart = Double(draw.uniform()) < ratios.referenceStart
        let motionNoise = Float(ratios.motionNoise) * draw.uniform()
        let selfMotion = Double(draw.uniform()) < ratios.selfMotion
        let selfSigma = 0.3 + 0.4 * draw.uniform()
        var sigmaStream = stepStream.split(PuppetSamples.Purpose.ditSigma.rawValue).split(UInt64(index))
        let sigma = 1 / (1 + exp(-sigmaStream.normal()))
        return Draws(referenceOn: referenceOn, textOn: textOn, audioOn: audioOn, poseOn: poseOn, motionOn: motionOn, sigma: sigma,
                     noise: stepStream.split(PuppetSamples.Purpose.ditNoise.rawValue).split(UInt64(index)),
                     referenceStart: referenceStart, motionNoise: motionNoise, selfMotion: selfMotion, selfSigma: selfSigma)
    }

    /// The clean latents a `motionOn` sample's motion frames come from (before `motionNoise`): the reference held
    /// still for a reference-start sample, else `override` (`selfMotionLatents`) or the window's own; the first
    /// `motionLatentFrames` of them are used. x's motion slot stays on their flow path, as in the sampler.
    func givenMotion(_ ex: Example, _ d: Draws, override: Tensor? = nil) -> Tensor {
        d.referenceOn && d.referenceStart ? ex.referenceStart ?? ex.target : override ?? ex.target
    }

    /// Puts the motion slot of `x` (its first `motionLatentFrames`, `[1, T', h, w, z]`) on the flow path of `given`
    /// (`givenMotion`) at σ: (1 − σ)·given + σ·noise, as the sampler does. `given` may hold only the motion frames
    /// (the held reference).
    func pinMotionSlot(_ x: Tensor, given: Tensor, noise: Tensor, sigma: Float) {
        let count = motionLatentFrames * x.shape[2] * x.shape[3] * x.shape[4]
        precondition(given.count >= count && noise.count >= count && x.count >= count, "motion slot of \(x.shape)")
        for i in 0..<count { x.data[i] = (1 - sigma) * given.data[i] + sigma * noise.data[i] }
    }

    /// The DiT's channel-concatenated input `[1, T', h, w, inputChannels]` for `ex` noised to `d.sigma` with
    /// `d.noise`: noisy latents, motion latents and mask (the first motion latent frames with `motionOn` — or the
    /// reference held still with `referenceStart` — mixed with `motionNoise` of noise), pose
    /// features through `poseGuider` (zeros with pose off), and with `dit.reference_input` the reference latent
    /// in every frame (zeros with the reference off). `motion` replaces the window's own first latent frames as the
    /// given motion latents (`selfMotionLatents`). Also returns the noise and the first latent frame the loss counts
    /// (motion frames are given, not predicted).
    func inputs(_ ex: Example, _ d: Draws, poseGuider: PoseGuider, motion override: Tensor? = nil) -> (inputs: Tensor, noise: Tensor, lossFrom: Int) {
        let x0 = ex.target
        let (t, h, w, z) = (x0.shape[1], x0.shape[2], x0.shape[3], x0.shape[4])
        let noise = Tensor(uninitialized: x0.shape)
        d.noise.fillNormal(noise.buffer)
        let noisy = FlowMatchSampler.noised(x0, noise: noise, sigma: d.sigma)
        let motion = Tensor(zeros: x0.shape), mask = Tensor(zeros: [1, t, h, w, 1])
        if d.motionOn {
            let count = motionLatentFrames * h * w * z, given = givenMotion(ex, d, override: override)
            // The sampler noises the motion slot of x from the given latents, not from the truth: so must training,
            // or a reference-start sample would see the truth's first frames through x at small σ.
            pinMotionSlot(noisy, given: given, noise: noise, sigma: d.sigma)
            motion.data.update(from: given.data, count: count)
            mask.data.update(repeating: 1, count: motionLatentFrames * h * w)
            if d.motionNoise > 0 {
                FlowMatchSampler.noiseInPlace(motion, count: count, amount: d.motionNoise, stream: d.noise.split(1))
            }
        }
        let pose = d.poseOn ? poseGuider(ex.poseMaps).reshaped([1, t, h, w, config.pose.featureChannels])
                            : Tensor(zeros: [1, t, h, w, config.pose.featureChannels])
        let parts = [noisy, motion, mask, pose]
            + [MMDiT.referenceInput(d.referenceOn ? ex.reference : nil, config: config, frames: t, height: h, width: w)].compactMap { $0 }
        return (Tensor.concat(parts, axis: -1), noise, d.motionOn ? motionLatentFrames : 0)
    }
}
