import Foundation
import OmniMedia
import OmniModel
import OmniTensor
import OmniWorld

/// Stages 1–3: flow matching for the MMDiT (and, in stage 3, the pose guider) on puppet clips, through the
/// uncached path (`MMDiT.velocityUncached`, tape on) — the same module code as inference.
///
/// One sample: a 2 s clip, a window of `segmentFrames` frames at a random start; target x₀ = the frozen VAE's
/// normalised latent mean of the window; the reference picture's latent; the caption's MiniLM states; the
/// window's audio rows; its pose maps. With probability `ratios.motion` the first `motionFrames` frames are given
/// as motion latents (mask 1) — as the sampler gives the previous segment's last frames — and drop out of the loss.
/// σ = sigmoid(n), n ~ N(0, 1) (logit-normal); x_σ = (1 − σ)·x₀ + σ·ε; loss = mean (v − (ε − x₀))². All samples of
/// a step share one aspect bucket; each is its own forward/backward (gradients summed, scaled by 1/batch), so
/// prompts of different lengths need no padding.
public final class DiTObjective: TrainingObjective {
    public let weights: OmniModelWeights
    public let parameters: [(key: String, tensor: Tensor)]
    public let samples: PuppetSamples
    public let stage: Int
    public let ratios: ConditionRatios
    public var batch: Int
    let config: ModelConfig
    let text: (String) throws -> Tensor
    /// Pre-encoded target windows (`LatentCache`); nil: the frozen VAE encodes each window at each step.
    public let latents: LatentCache?
    /// Whether the cache's VAE was checked against this model's. Checked at the first example, not at init: a
    /// resumed run's weights arrive from its checkpoint after the objective is made.
    private var latentsChecked = false
    let tape = Tape()

    /// `text` maps a caption to MiniLM token states `[L, 384]` (the real encoder in training; tests may pass
    /// another deterministic map).
    public init(weights: OmniModelWeights, config: ModelConfig, samples: PuppetSamples, stage: Int, ratios: ConditionRatios,
                batch: Int, latents: LatentCache? = nil, text: @escaping (String) throws -> Tensor) throws {
        if let latents {
            if latents.manifest.realSpeech == true && !EspeakSpeech.isAvailable {
                throw TrainingError.runMismatch(path: latents.folder, reason: "the cache's clips speak through espeak-ng, which is not installed (make bootstrap)")
            }
            guard latents.manifest.segmentFrames == config.video.segmentFrames, latents.manifest.fps == config.video.fps else {
                throw TrainingError.runMismatch(path: latents.folder, reason: "the cache holds \(latents.manifest.segmentFrames)-frame windows at \(latents.manifest.fps) fps; the model uses \(config.video.segmentFrames) at \(config.video.fps)")
            }
        }
        self.latents = latents
        self.weights = weights
        self.config = config
        self.samples = samples
        self.stage = stage
        self.ratios = ratios.forStage(stage)
        self.batch = batch
        self.text = text
        weights.setTrainable(false)
        var trained = weights.dit.namedTensors().map { ("dit." + $0.key, $0.tensor) }
        if stage < 2 {   // audio projections get no gradient before stage 2: keep them out of weight decay too
            trained = trained.filter { !$0.0.contains("audio") }
        }
        if stage >= 3 { trained += weights.poseGuider.namedTensors().map { ("poseGuider." + $0.key, $0.tensor) } }
        for (_, t) in trained { t.requiresGrad = true }
        parameters = trained
    }

    /// One training example's tensors (no gradients): everything the DiT and the pose guider read.
    struct Example {
        var target: Tensor          // [1, T', h, w, z] normalised latents
        var reference: Tensor       // [1, 1, h, w, z]
        var textStates: Tensor      // [1, L, 384]
        var audio: Tensor           // [1, segmentFrames, featureWidth]
        var poseMaps: Tensor        // [segmentFrames, H, W, 35]
    }

    func example(step: Int, index: Int) throws -> Example {
        var profile = TrainingProfile()
        return try example(step: step, index: index, profile: &profile)
    }

    /// The example of sample `index` of `step`; the frozen VAE's time goes to `.encoding`, the rest (with the
    /// latent cache's reads) to `.data`. Conditions the stage never switches on (audio before stage 2, pose before
    /// stage 3) are zeros, not computed: with a latent cache, a stage-1 example then needs only the clip's plan
    /// for its caption, not the rendered clip.
    func example(step: Int, index: Int, profile: inout TrainingProfile) throws -> Example {
        let frames = config.video.segmentFrames
        let needsAudio = ratios.audio > 0, needsPose = ratios.pose > 0
        var rng = samples.stream(step: step).split(PuppetSamples.Purpose.ditWindow.rawValue).split(UInt64(index))
        let spec: ClipSpec, clip: Clip?, start: Int, target: Tensor, reference: Tensor
        var cachedAudio: Tensor?
        if let latents, !latentsChecked {
            guard latents.manifest.vaeFingerprint == LatentCache.fingerprint(weights.vae) else {
                throw TrainingError.runMismatch(path: latents.folder, reason: "the cache was encoded with another VAE than this model's (rebuild it with omnistudio train cache --model of this model)")
            }
            latentsChecked = true
        }
        do {
            if let latents {
                // The step's bucket when the cache has it, else one of the cache's (still one bucket per step).
                var fallback = samples.stream(step: step).split(PuppetSamples.Purpose.bucket.rawValue).split(1)
                let b = latents.bucketIndex(samples.bucket(step: step))
                    ?? Int(fallback.nextUInt64() % UInt64(latents.manifest.buckets.count))
                let count = latents.manifest.buckets[b].windows.count
                let cached = profile.measure(.data) { latents.window(bucket: b, index: Int(rng.nextUInt64() % UInt64(count))) }
                if latents.manifest.audioEncoder == config.audio.encoder { cachedAudio = cached.audio }
                spec = PuppetSamples.spec(seed: cached.window.clipSeed, size: latents.manifest.buckets[b].size, fps: config.video.fps,
                                          realSpeech: latents.manifest.realSpeech ?? false)
                clip = needsPose || (needsAudio && cachedAudio == nil) ? profile.measure(.data) { Clip.render(spec) } : nil
                start = cached.window.start
                (target, reference) = (cached.target.reshaped(Array(cached.target.shape.dropFirst())),
                                       cached.reference.reshaped(Array(cached.reference.shape.dropFirst())))
            } else {
                let rendered = profile.measure(.data) { samples.clip(step: step, index: index, perStep: batch, seconds: 2) }
                (spec, clip) = (rendered.spec, rendered)
                start = Int(rng.nextUInt64() % UInt64(rendered.frames.count - frames + 1))
                let vae = weights.vae
                (target, reference) = try profile.measure(.encoding) { () throws -> (Tensor, Tensor) in
                    let video = FrameTensor.tensor(Array(rendered.frames[start..<(start + frames)]))
                    return (vae.normalize(try vae.encode(video).mean), vae.normalize(try vae.encode(FrameTensor.tensor([rendered.reference])).mean))
                }
            }
        } catch let error as ModelError {
            throw TrainingError.model(error.description)
        }
        let w = spec.size.width, h = spec.size.height
        do {
            let dataStart = DispatchTime.now().uptimeNanoseconds
            defer { profile.add(.data, Double(DispatchTime.now().uptimeNanoseconds - dataStart) / 1e9) }
            let audio: Tensor
            if let cachedAudio {
                audio = cachedAudio
            } else if needsAudio, let clip {
                audio = try AudioConditioning.features(of: clip.audio, fps: Double(spec.fps), config: config.audio).windowRows(start: start, count: frames)
            } else {
                audio = Tensor(zeros: [1, frames, config.audio.featureWidth])
            }
            let maps: Tensor
            if needsPose, let clip {
                maps = PoseGuider.input((0..<frames).map { clip.pose.maps(frame: start + $0, width: w, height: h) })
            } else {
                maps = Tensor(zeros: [frames, h, w, PoseMaps.channelCount])
            }
            let states = try text(spec.caption)
            return Example(target: target.reshaped([1] + target.shape), reference: reference.reshaped([1] + reference.shape),
                           textStates: states.reshaped([1] + states.shape), audio: audio, poseMaps: maps)
        } catch let error as ModelError {
            throw TrainingError.model(error.description)
        }
    }

    public func accumulateGradients(step: Int, profile: inout TrainingProfile) throws -> [String: Double] {
        let stepStream = samples.stream(step: step)
        var total = 0.0
        for i in 0..<batch {
            let ex = try example(step: step, index: i, profile: &profile)
            var draw = stepStream.split(PuppetSamples.Purpose.ditDropout.rawValue).split(UInt64(i))
            let referenceOn = Double(draw.uniform()) < ratios.reference
            let textOn = Double(draw.uniform()) < ratios.text
            let audioOn = Double(draw.uniform()) < ratios.audio
            let poseOn = Double(draw.uniform()) < ratios.pose
            let motionOn = Double(draw.uniform()) < ratios.motion
            var sigmaStream = stepStream.split(PuppetSamples.Purpose.ditSigma.rawValue).split(UInt64(i))
            let sigma = 1 / (1 + exp(-sigmaStream.normal()))
            let loss = profile.measure(.forward) { () -> Tensor in
                tape.recording {
                    self.loss(ex, sigma: sigma, noise: stepStream.split(PuppetSamples.Purpose.ditNoise.rawValue).split(UInt64(i)),
                              referenceOn: referenceOn, textOn: textOn, audioOn: audioOn, poseOn: poseOn, motionOn: motionOn)
                        .scaled(1 / Float(batch))
                }
            }
            profile.measure(.backward) { tape.backward(from: loss) }
            total += Double(loss.item)
        }
        return ["loss": total]
    }

    /// The flow-matching loss of one example under the given switchboard.
    func loss(_ ex: Example, sigma: Float, noise stream: RandomStream, referenceOn: Bool, textOn: Bool, audioOn: Bool,
              poseOn: Bool, motionOn: Bool) -> Tensor {
        let x0 = ex.target
        let (t, h, w, z) = (x0.shape[1], x0.shape[2], x0.shape[3], x0.shape[4])
        let noise = Tensor(uninitialized: x0.shape)
        stream.fillNormal(noise.buffer)
        let noisy = FlowMatchSampler.noised(x0, noise: noise, sigma: sigma)
        let motionLatentFrames = 1 + (config.video.motionFrames - 1) / config.vae.temporalFactor
        let motion = Tensor(zeros: x0.shape), mask = Tensor(zeros: [1, t, h, w, 1])
        if motionOn {
            motion.data.update(from: x0.data, count: motionLatentFrames * h * w * z)
            mask.data.update(repeating: 1, count: motionLatentFrames * h * w)
        }
        let pose = poseOn ? weights.poseGuider(ex.poseMaps).reshaped([1, t, h, w, config.pose.featureChannels])
                          : Tensor(zeros: [1, t, h, w, config.pose.featureChannels])
        let inputs = Tensor.concat([noisy, motion, mask, pose], axis: -1)
        let v = weights.dit.velocityUncached(inputs: inputs, sigmas: [sigma], passes: [(textOn, audioOn)],
                                             referenceLatent: referenceOn ? ex.reference : nil,
                                             textStates: textOn ? ex.textStates : nil, audioFeatures: audioOn ? ex.audio : nil)
        let target = FlowMatchSampler.velocityTarget(clean: x0, noise: noise)
        let first = motionOn ? motionLatentFrames : 0
        return v.slice(axis: 1, first..<t).mseLoss(target.slice(axis: 1, first..<t))
    }

    public func finish(config: ModelConfig) throws -> ModelConfig { config }
}

extension AudioFeatures {
    /// Rows `start ..< start + count` as `[1, count, featureWidth]`; rows past the end repeat the last one.
    func windowRows(start: Int, count: Int) -> Tensor {
        let out = Tensor(uninitialized: [1, count, featureWidth])
        values.withUnsafeBufferPointer { src in
            for i in 0..<count {
                let row = min(start + i, videoFrameCount - 1)
                (out.data + i * featureWidth).update(from: src.baseAddress! + row * featureWidth, count: featureWidth)
            }
        }
        return out
    }
}
