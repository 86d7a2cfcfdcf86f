import Foundation
import OmniMedia
import OmniTensor
import Synchronization

/// One generation run (docs/ARCHITECTURE.md §3): inputs → condition caches → segment-wise flow-matching sampling with
/// guidance → streamed VAE decode → MP4 written frame by frame → `outputs/<run-id>/` with `video.mp4`,
/// `recipe.toml`, `poster.png`, `run.log`.
///
/// Two layers: `frames(_:deliver:)` is the generator — it makes the video's frames in memory and hands each one
/// over as soon as it is decoded, touching no file — and `run` is the run-folder sink around it (MP4, recipe,
/// poster, log). Both are synchronous (call them on a background queue) and report `GenerationEvent`s through
/// `emit`, including a `.frame` for every frame as it is decoded.
/// `cancel()` may be called from any thread; the run stops within one denoising step (the flag is checked
/// between blocks, steps and VAE chunks). A cancelled or failed run leaves no folder that looks finished;
/// with `keepPartial`, a cancelled run keeps the frames written so far as `video.partial.mp4` (with the matching
/// audio span) plus `recipe.toml` and `run.log`.
public final class Generation: @unchecked Sendable {
    public let request: GenerationRequest
    public let model: LoadedModel
    public let outputRoot: URL
    public let outputFolder: URL?
    public let keepPartial: Bool
    private let cancelled = Atomic<Bool>(false)
    /// The run's condition cache; it also carries the cancellation flag the DiT checks between blocks.
    private let cache = ConditionCache()
    private var log: [String] = []
    /// Observation points for tests: the passes of every DiT call, each segment's motion latents, and each
    /// segment's final raw latents `[T', h, w, z]` with the pixels `[n, H, W, 3]` its decode produced.
    var observePasses: (([GuidancePlan.Pass]) -> Void)?
    var observeMotionLatents: ((Int, Tensor) -> Void)?
    var observeDecode: ((Int, Tensor, Tensor) -> Void)?
    /// Where the time went (complete once `run` returns).
    public private(set) var timings = PhaseTimings()

    /// - Parameters:
    ///   - outputRoot: where run folders are created (`outputs`).
    ///   - outputFolder: an explicit run folder (`--out`); it must not exist yet.
    public init(request: GenerationRequest, model: LoadedModel, outputRoot: URL = URL(fileURLWithPath: "outputs"),
                outputFolder: URL? = nil, keepPartial: Bool = false) {
        self.request = request
        self.model = model
        self.outputRoot = outputRoot
        self.outputFolder = outputFolder
        self.keepPartial = keepPartial
    }

    public func cancel() {
        cancelled.store(true, ordering: .relaxed)
        cache.cancel()
    }
    public var isCancelled: Bool { cancelled.load(ordering: .relaxed) }

    /// Runs to completion, failure or cancellation; returns the run folder when it finished.
    @discardableResult
    public func run(_ emit: (GenerationEvent) -> Void) -> URL? {
        model.inferenceRows().run { runWithRows(emit) }
    }

    private func runWithRows(_ emit: (GenerationEvent) -> Void) -> URL? {
        let start = Date()
        defer { timings.total = Date().timeIntervalSince(start) }
        var folder: RunFolder?
        var writer: VideoWriter?
        var segmentsDone = 0
        var inputs: GenerationInputs?
        do throws(ModelError) {
            let (prepared, cache) = try prepare(emit)
            inputs = prepared
            try checkCancelled()

            if let outputFolder {
                folder = try RunFolder(final: outputFolder)
            } else {
                folder = try RunFolder.make(root: outputRoot, seed: prepared.request.seed)
            }
            let videoPath = folder!.file("video.mp4").path
            // Errors of the video being written name where it will land and how it was opened, not the hidden
            // working folder the user never asked for.
            let finalVideo = "\(folder!.final.appendingPathComponent("video.mp4").path) (\(prepared.width)×\(prepared.height) at \(prepared.fps) fps)"
            do {
                writer = try VideoWriter(path: videoPath, width: prepared.width, height: prepared.height, fps: prepared.fps,
                                         audio: prepared.audio)
            } catch { throw .media(error.withPath(finalVideo)) }

            record("model \(model.source); \(prepared.totalFrames) frames at \(prepared.fps) fps, \(prepared.width)×\(prepared.height), \(plan(prepared).segments.count) segment(s)")
            for note in prepared.notes { record("note: " + note) }
            var poster: RGBImage?
            try frames(prepared, cache: cache, emit, segmentDone: { segmentsDone += 1 }) { (_, frame) throws(ModelError) in
                do throws(MediaError) { try writer!.append(frame) } catch { throw .media(error.withPath(finalVideo)) }
                if poster == nil { poster = frame }
            }
            do { try writer!.finish() } catch { throw .media(error.withPath(finalVideo)) }
            writer = nil
            try writeSidecars(folder!, inputs: prepared, poster: poster, seconds: Date().timeIntervalSince(start), status: "finished")
            try folder!.commit()
            emit(.finished(folder!.final))
            return folder!.final
        } catch {
            if error == .cancelled {
                let partial = keepPartialOutput(folder: folder, writer: writer, segmentsDone: segmentsDone, inputs: inputs,
                                                seconds: Date().timeIntervalSince(start))
                emit(.cancelled(partial: partial))
            } else {
                writer?.cancel()
                folder?.discard()
                emit(.failed(error))
            }
            return nil
        }
    }

    // MARK: - The generator

    /// The in-memory generator: the video's frames in order, each handed to `deliver(index, frame)` as soon as it
    /// is decoded (no files; `run` writes them). Events as for `run`, without `finished`: inputs' notes, condition
    /// encodings, steps, a `.frame` per frame and `segmentDone` per segment. Throws `.cancelled` after `cancel()`.
    public func frames(_ emit: (GenerationEvent) -> Void, deliver: (Int, RGBImage) throws(ModelError) -> Void) throws(ModelError) {
        try model.inferenceRows().run { () throws(ModelError) in
            let (prepared, cache) = try prepare(emit)
            try frames(prepared, cache: cache, emit, deliver: deliver)
        }
    }

    /// The decoded inputs and the run's condition cache (reference and text keys/values), for `run` and `frames`.
    private func prepare(_ emit: (GenerationEvent) -> Void) throws(ModelError) -> (GenerationInputs, ConditionCache) {
        emit(.loading("inputs"))
        let prepared = try GenerationInputs(request: request, config: model.config)
        timings.audioFeatures += prepared.audioFeatureSeconds
        return (prepared, try prepareConditions(prepared, emit))
    }

    private func plan(_ inputs: GenerationInputs) -> SegmentPlan {
        SegmentPlan(totalFrames: inputs.totalFrames, segmentFrames: model.config.video.segmentFrames, motionFrames: model.config.video.motionFrames)
    }

    /// The segment loop: each segment sampled, its new latent frames decoded one by one through the video's one
    /// decoder stream, and every decoded frame inside the segment's kept range delivered at once.
    private func frames(_ inputs: GenerationInputs, cache: ConditionCache, _ emit: (GenerationEvent) -> Void,
                        segmentDone: () -> Void = {}, deliver: (Int, RGBImage) throws(ModelError) -> Void) throws(ModelError) {
        let plan = plan(inputs)
        for note in inputs.notes { emit(.note(note)) }
        // The video's last `motionFrames` delivered frames: the next segment's motion frames.
        var motion: [RGBImage] = []
        // One decoder stream for the whole video: each segment's new latent frames continue the caches of the
        // frames before them, so the decoder itself adds no seam at a segment boundary.
        var decoder = model.vae.decoderStream()
        for segment in plan.segments {
            var kept: [RGBImage] = []
            // Decoded frames start at the segment's first new frame (after its motion frames).
            var index = segment.firstFrame + (segment.hasMotion ? plan.motionFrames : 0)
            try generateSegment(segment, plan: plan, inputs: inputs, cache: cache, motion: motion, decoder: &decoder, emit) { (frame) throws(ModelError) in
                defer { index += 1 }
                guard segment.kept.contains(index - segment.firstFrame) else { return }
                try deliver(index, frame)
                emit(.frame(index, of: inputs.totalFrames, image: frame))
                kept.append(frame)
            }
            motion = Array((motion + kept).suffix(model.config.video.motionFrames))
            segmentDone()
            emit(.segmentDone(segment.index + 1, of: plan.segments.count, frames: kept))
        }
    }

    // MARK: - Conditions

    /// Reference and text keys/values for the whole run (memoised on the model across runs).
    private func prepareConditions(_ inputs: GenerationInputs, _ emit: (GenerationEvent) -> Void) throws(ModelError) -> ConditionCache {
        let dit = model.dit, vae = model.vae
        if let reference = inputs.reference {
            emit(.encodingConditions("reference"))
            let key = "reference|\(inputs.request.reference.path)|\(fileStamp(inputs.request.reference.path))|\(inputs.width)x\(inputs.height)|\(inputs.request.fit.rawValue)"
            let encoding = try model.conditionEncoding(key) { () throws(ModelError) -> ConditionEncoding in
                let latent = try timings.measure(.vae) { () throws(ModelError) in try vae.encodeChunked(FrameTensor.tensor([reference])).mean }
                let normalized = vae.normalize(latent)
                let batched = normalized.reshaped([1] + normalized.shape)
                return ConditionEncoding(keysValues: timings.measure(.encoders) { dit.referenceKeysValues(latent: batched) }, latent: batched)
            }
            cache.setReference(encoding.keysValues, latent: encoding.latent)
        }
        if inputs.request.text.enabled {
            emit(.encodingConditions("text"))
            let prompt = inputs.request.text.prompt
            let maxTokens = model.config.text.maxTokens
            let model = self.model
            cache.setText(try model.conditionKeysValues("text|\(prompt)|\(maxTokens)") { () throws(ModelError) -> [DiTBlock.External] in
                try self.timings.measure(.encoders) { () throws(ModelError) in
                    let states = try model.text().tokenStates(prompt, maxTokens: maxTokens)
                    return dit.textKeysValues(states: states.reshaped([1] + states.shape))
                }
            })
        }
        return cache
    }

    private func fileStamp(_ path: String) -> String {
        let attributes = try? FileManager.default.attributesOfItem(atPath: path)
        let date = (attributes?[.modificationDate] as? Date)?.timeIntervalSince1970 ?? 0
        let size = (attributes?[.size] as? NSNumber)?.intValue ?? 0
        return "\(size)@\(date)"
    }

    // MARK: - One segment

    /// Samples one segment and decodes its new latent frames through the video's decoder stream, handing each
    /// decoded frame to `decoded` from the segment's first new frame on (all `segmentFrames` for the first segment;
    /// the frames after the motion frames for a continuation, whose motion frames the stream has already decoded).
    private func generateSegment(_ segment: SegmentPlan.Segment, plan: SegmentPlan, inputs: GenerationInputs,
                                 cache: ConditionCache, motion: [RGBImage], decoder stream: inout VAEDecoderStream,
                                 _ emit: (GenerationEvent) -> Void, decoded deliver: (RGBImage) throws(ModelError) -> Void) throws(ModelError) {
        let config = model.config, vae = model.vae, dit = model.dit
        let s = config.vae.spatialFactor, z = config.vae.zChannels
        let (h, w) = (inputs.height / s, inputs.width / s)
        let latentFrames = try vae.latentFrameCount(frames: plan.segmentFrames)
        let motionLatentFrames = try vae.latentFrameCount(frames: plan.motionFrames)
        let shape = [1, latentFrames, h, w, z]

        // Audio keys/values of this segment's frames (memoised per audio file and segment).
        if let rows = inputs.audioRows(first: segment.firstFrame, count: plan.segmentFrames) {
            emit(.encodingConditions("audio"))
            let key = "audio|\(inputs.request.audio.path)|\(fileStamp(inputs.request.audio.path))|\(inputs.fps)|\(inputs.duration)|\(segment.firstFrame)|\(plan.segmentFrames)"
            cache.setAudio(try model.conditionKeysValues(key) { () throws(ModelError) -> [DiTBlock.External] in
                timings.measure(.encoders) { dit.audioKeysValues(features: rows, latentFrames: latentFrames) }
            }, frames: rows.shape[1], frameInput: timings.measure(.encoders) { dit.audioFrameInput(features: rows, latentFrames: latentFrames) })
        } else {
            cache.setAudio(nil, frames: 0)
        }

        // Noise: a stream per segment, so segment n's noise never depends on earlier segments' draws.
        let noise = Tensor(uninitialized: shape)
        RandomStream(seed: inputs.request.seed).split(UInt64(segment.index)).fillNormal(noise.buffer)

        // Motion latents and mask (channels-last, broadcast over the grid).
        let motionLatents = Tensor(zeros: shape)
        let mask = Tensor(zeros: [1, latentFrames, h, w, 1])
        // The first segment of a video that starts on the reference continues from the picture held for the motion
        // frames (decoded with the rest, so the video's first frames are the reference as the VAE carries it).
        let startsOnReference = segment.index == 0 && inputs.request.reference.startsVideo && inputs.reference != nil
        let motion = startsOnReference ? Array(repeating: inputs.reference!, count: plan.motionFrames) : motion
        let hasMotion = segment.hasMotion || startsOnReference
        if hasMotion {
            let encoded = try timings.measure(.vae) { () throws(ModelError) in try motionLatentsOf(motion) }
            observeMotionLatents?(segment.index, encoded)
            precondition(encoded.shape == [motionLatentFrames, h, w, z])
            motionLatents.data.update(from: encoded.data, count: encoded.count)
            mask.data.update(repeating: 1, count: motionLatentFrames * h * w)
        }
        // What the DiT is given as motion latents: a continuation's mixed with `motion_noise` of noise (its own
        // stream), so it leans less on the previous segment's blur; x's motion slot stays on the clean latents' path.
        var givenMotion = motionLatents
        let motionNoise = Float(inputs.request.motionNoise!)
        if segment.hasMotion && motionNoise > 0 {
            givenMotion = Tensor(zeros: shape)
            givenMotion.data.update(from: motionLatents.data, count: motionLatentFrames * h * w * z)
            FlowMatchSampler.noiseInPlace(givenMotion, count: motionLatentFrames * h * w * z, amount: motionNoise,
                                          stream: RandomStream(seed: inputs.request.seed).split(UInt64(segment.index)).split(1))
        }
        let pose: Tensor
        if let maps = inputs.poseMaps(first: segment.firstFrame, count: plan.segmentFrames) {
            pose = timings.measure(.encoders) { model.poseGuider(maps) }.reshaped([1, latentFrames, h, w, config.pose.featureChannels])
        } else {
            pose = Tensor(zeros: [1, latentFrames, h, w, config.pose.featureChannels])
        }

        // The pixel-aligned reference (dit.reference_input), the same in every pass: the reference is not guided.
        let referenceChannels = [MMDiT.referenceInput(cache.referenceLatent, config: config, frames: latentFrames, height: h, width: w)].compactMap { $0 }

        let steps = inputs.request.steps!
        let schedule = FlowSchedule(steps: steps, shift: inputs.request.shift!)
        let guidance = GuidancePlan(hasText: cache.textTokens > 0, hasAudio: cache.audioTokens > 0,
                                    textScale: inputs.request.text.guidance!, audioStart: inputs.request.audio.guidance!,
                                    audioEnd: inputs.request.audio.guidanceEnd!, annealing: inputs.request.audio.annealing,
                                    distilled: dit.samplingEmbedding != nil)
        let motionCount = hasMotion ? motionLatentFrames * h * w * z : 0

        /// A distilled student's controls at step k: the plan's guidance scales, and a shortcut student's step size.
        func controls(step k: Int) -> SamplingControls {
            var c = guidance.controls(step: k, of: steps)
            if config.dit.stepEmbedding { c.stepSize = 1 / Float(steps) }
            return c
        }

        /// The guided velocity at `x` and σ.
        func velocity(_ x: Tensor, sigma: Float, step k: Int) throws(ModelError) -> Tensor {
            let passes = guidance.passes(step: k, of: steps)
            observePasses?(passes)
            let batch = GuidancePlan.stacked(Tensor.concat([x, givenMotion, mask, pose] + referenceChannels, axis: -1), passes: passes)
            let v = try timings.measure(.dit) { () throws(ModelError) in
                try dit.velocity(inputs: batch, sigmas: Array(repeating: sigma, count: passes.count),
                                 passes: passes.map { ($0.textOn, $0.audioOn) },
                                 controls: guidance.distilled ? [controls(step: k)] : nil, cache: cache)
            }
            timings.ditCalls += 1
            timings.ditPasses += passes.count
            return GuidancePlan.combined(v, passes: passes)
        }

        let sampler = FlowMatchSampler(schedule: schedule, kind: inputs.request.sampler)
        let frameSize = h * w * z, last = (latentFrames - 1) * frameSize
        let x = try sampler.run(from: noise, velocity: { (x, sigma, k) throws(ModelError) in
            try checkCancelled()
            return try velocity(x, sigma: sigma, step: k)
        }, afterStep: { (k, x, v) throws(ModelError) in
            // Preview: the predicted clean latent x₀ = x − σ·v of the segment's last latent frame.
            let next = Float(schedule.sigmas[k + 1])
            let clean = Tensor(uninitialized: [h, w, z])
            for j in 0..<frameSize { clean.data[j] = x.data[last + j] - next * v.data[last + j] }
            let preview = vae.preview.image(latentFrame: clean)
            // Motion frames are known: keep them on the flow path x_σ = (1 − σ)·m + σ·ε.
            for j in 0..<motionCount { x.data[j] = (1 - next) * motionLatents.data[j] + next * noise.data[j] }
            emit(.step(k + 1, of: steps, segment: segment.index + 1, segments: plan.segments.count, preview: preview))
        })

        // Streamed decode, one latent frame at a time, continuing the video's stream (a continuation's motion
        // latent frames were decoded as the end of the previous segment).
        let raw = vae.denormalize(x.reshaped(Array(shape.dropFirst())))
        var decoded: [Tensor] = []
        for f in (segment.hasMotion ? motionLatentFrames : 0)..<latentFrames {
            try checkCancelled()
            let one = Tensor(uninitialized: [h, w, z])
            one.data.update(from: raw.data + f * frameSize, count: frameSize)
            let pixels = timings.measure(.vae) { stream.decode(latentFrame: one) }
            for frame in FrameTensor.frames(pixels) { try deliver(frame) }
            if observeDecode != nil { decoded.append(pixels) }
        }
        observeDecode?(segment.index, raw, Tensor.concat(decoded, axis: 0))
    }

    /// Normalised latents `[motionLatentFrames, h, w, z]` of the previous segment's last motion frames, encoded
    /// from scratch (fresh causal caches) as the model saw them in training.
    func motionLatentsOf(_ frames: [RGBImage]) throws(ModelError) -> Tensor { try model.vae.motionLatents(of: frames) }

    private func checkCancelled() throws(ModelError) { if isCancelled { throw .cancelled } }

    // MARK: - Files

    private func record(_ line: String) { log.append(line) }

    private func writeSidecars(_ folder: RunFolder, inputs: GenerationInputs, poster: RGBImage?, seconds: Double, status: String) throws(ModelError) {
        var recipe = inputs.request
        recipe.model = model.source
        for (path, set) in [(recipe.reference.path, { (p: String) in recipe.reference.path = p }),
                            (recipe.audio.path, { (p: String) in recipe.audio.path = p }),
                            (recipe.pose.path, { (p: String) in recipe.pose.path = p })] where !path.isEmpty {
            set(URL(fileURLWithPath: path).standardizedFileURL.path)
        }
        if recipe.duration == nil { recipe.duration = inputs.duration }
        do {
            try PendingFile.write(Data(recipe.tomlText().utf8), to: folder.file("recipe.toml").path)
            if let poster { try ImageFile.writePNG(poster, to: folder.file("poster.png").path) }
            var lines = log
            lines.append(String(format: "%@ after %.2f s", status, seconds))
            // The total is the run's wall time so far (the deferred final assignment comes after this file).
            timings.total = seconds
            lines.append(timings.summary)
            lines += FFmpegLog.recentLines.map { "ffmpeg: " + $0 }
            try PendingFile.write(Data((lines.joined(separator: "\n") + "\n").utf8), to: folder.file("run.log").path)
        } catch { throw .media(error) }
    }

    /// On cancellation: with `keepPartial` and at least one frame written, closes the MP4 as
    /// `video.partial.mp4` and keeps the folder; otherwise removes everything.
    private func keepPartialOutput(folder: RunFolder?, writer: VideoWriter?, segmentsDone: Int, inputs: GenerationInputs?, seconds: Double) -> URL? {
        guard let folder else { return nil }
        guard keepPartial, let writer, writer.frameCount > 0, let inputs else {
            writer?.cancel()
            folder.discard()
            return nil
        }
        do {
            try writer.finish()
            try FileManager.default.moveItem(at: folder.file("video.mp4"), to: folder.file("video.partial.mp4"))
            record("cancelled after \(segmentsDone) segment(s); kept \(writer.frameCount) frames as video.partial.mp4")
            try writeSidecars(folder, inputs: inputs, poster: nil, seconds: seconds, status: "cancelled")
            try folder.commit()
            return folder.final.appendingPathComponent("video.partial.mp4")
        } catch {
            folder.discard()
            return nil
        }
    }
}
