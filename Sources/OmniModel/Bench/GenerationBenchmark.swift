import Foundation
import OmniMedia
import OmniTensor

/// `omnistudio bench generate`: the engine's speed on a model, with generated inputs (a reference picture,
/// speech-like audio, a prompt when the text encoder is installed) at the model's default settings. Every
/// comparison is taken in the same run: DiT GFLOP/s against raw sgemm on the DiT's own GEMM shapes, the
/// condition cache against the uncached path, peak memory of a 5 s against a 30 s video.
public enum GenerationBenchmark {
    public struct Report: Sendable {
        public var model: String
        public var settings: String
        public var videoSeconds: Double
        public var timings: PhaseTimings
        /// Seconds from the start of the run (model already loaded) to its first decoded frame.
        public var firstFrameSeconds: Double
        public var steps: Int
        public var segments: Int
        public var ditGflops: Double
        public var sgemmGflops: Double
        public var cachedStepSeconds: Double
        public var uncachedStepSeconds: Double
        /// Median, lowest and highest of the per-round ratios uncached ÷ cached (interleaved rounds).
        public var cacheSpeedup: Double
        public var cacheSpeedupRange: ClosedRange<Double>
        public var peak5: (rss: Int, tensors: Int)
        public var peak30: (rss: Int, tensors: Int)

        public var secondsPerStep: Double { timings.dit / Double(max(1, steps * segments)) }
        public var secondsPerVideoSecond: Double { timings.total / videoSeconds }
    }

    public static func run(model source: String, seconds: Double = 5, longSeconds: Double = 30, memorySteps: Int = 2,
                           speed: SamplingSpeed? = nil, log: (String) -> Void = { _ in }) throws -> Report {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("omnistudio-bench-gen-\(getpid())")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        log("loading \(source)")
        let model = try LoadedModel.load(source)
        let size = model.config.video.sizes.first ?? [64, 64]
        let request = try inputs(in: dir, model: model, seconds: max(seconds, longSeconds), width: size[0], height: size[1])

        // 1. A full run at the default settings.
        var short = request
        short.duration = seconds
        short.speed = speed
        log("generating \(seconds) s at the default settings")
        let (timings, resolved, firstFrame) = try generate(short, model: model, out: dir.appendingPathComponent("short"))
        let plan = SegmentPlan(totalFrames: Int((seconds * Double(resolved.fps!)).rounded()),
                               segmentFrames: model.config.video.segmentFrames, motionFrames: model.config.video.motionFrames)
        let passesPerStep = Double(timings.ditPasses) / Double(max(1, timings.ditCalls))

        // 2. DiT GFLOP/s against sgemm on its own shapes, and the condition cache against the uncached path.
        log("timing the DiT step, cached and uncached")
        let step = try ditStep(model: model, request: resolved, passes: Int(passesPerStep.rounded()))
        let flopsPerCall = ditFlops(model.config, request: resolved, passes: passesPerStep, cache: step.cache)
        let ditGflops = flopsPerCall * Double(timings.ditCalls) / timings.dit / 1e9
        let d = model.config.dit.width
        let tokens = Int(passesPerStep.rounded()) * step.tokens
        let sgemm = KernelBenchmark.sgemmRate([(tokens, 3 * d, d, false, true), (tokens, model.config.dit.mlpRatio * d, d, false, true),
                                               (tokens, d, model.config.dit.mlpRatio * d, false, true)], seconds: 0.3)

        // 3. Peak memory, 5 s against 30 s (few steps: memory does not depend on the step count).
        log("peak memory: \(seconds) s and \(longSeconds) s of video at \(memorySteps) steps")
        var memoryRequest = request
        memoryRequest.steps = memorySteps
        func peak(_ duration: Double, _ name: String) throws -> (Int, Int) {
            var r = memoryRequest
            r.duration = duration
            resetPeakRSS()
            BufferPool.shared.resetPeak()
            _ = try generate(r, model: model, out: dir.appendingPathComponent(name))
            return (peakRSS(), BufferPool.shared.statistics.peakLiveBytes)
        }
        let p5 = try peak(seconds, "m5")
        let p30 = try peak(longSeconds, "m30")

        let settings = "\(resolved.width!)×\(resolved.height!) @ \(resolved.fps!) fps, \(resolved.steps!) \(resolved.sampler.rawValue) steps (\(resolved.speed!.rawValue)), shift \(resolved.shift!), "
            + "audio CFG \(resolved.audio.guidance!)→\(resolved.audio.guidanceEnd!) (\(resolved.audio.annealing.rawValue))"
            + (resolved.text.enabled ? ", text CFG \(resolved.text.guidance!)" : ", text off (MiniLM not installed)")
            + String(format: ", %.1f passes/step", passesPerStep)
        return Report(model: source, settings: settings, videoSeconds: seconds, timings: timings, firstFrameSeconds: firstFrame, steps: resolved.steps!,
                      segments: plan.segments.count, ditGflops: ditGflops, sgemmGflops: sgemm,
                      cachedStepSeconds: step.cached, uncachedStepSeconds: step.uncached,
                      cacheSpeedup: step.speedup, cacheSpeedupRange: step.range, peak5: p5, peak30: p30)
    }

    /// Reference picture, speech-like audio of `seconds`, and a prompt when MiniLM is installed.
    static func inputs(in dir: URL, model: LoadedModel, seconds: Double, width: Int, height: Int) throws -> GenerationRequest {
        let ref = dir.appendingPathComponent("ref.png").path
        try ImageFile.writePNG(RGBImage(width: width, height: height) { x, y in
            let dx = x - width / 2, dy = y - height / 3
            return dx * dx + dy * dy < width * width / 25 ? RGB(225, 180, 150) : RGB(40 + UInt8(y), 70, 120)
        }, to: ref)
        let n = Int(seconds * 16_000)
        var samples = [Float](repeating: 0, count: n)
        for i in 0..<n {
            let t = Double(i) / 16_000
            let syllable = max(0, sin(2 * .pi * 4.5 * t)), pitch = 140 + 30 * sin(2 * .pi * 0.3 * t)
            samples[i] = Float(0.3 * syllable * (sin(2 * .pi * pitch * t) + 0.5 * sin(4 * .pi * pitch * t)))
        }
        let audio = dir.appendingPathComponent("voice.wav").path
        try AudioClip(samples: samples).writeWAV(to: audio)
        var request = GenerationRequest(model: model.source, seed: 1)
        request.reference = .init(enabled: true, path: ref)
        request.audio.enabled = true
        request.audio.path = audio
        if (try? model.text()) != nil { request.text = .init(enabled: true, prompt: "a person talks and waves") }
        return request
    }

    static func generate(_ request: GenerationRequest, model: LoadedModel, out: URL) throws -> (PhaseTimings, GenerationRequest, firstFrame: Double) {
        let generation = Generation(request: request, model: model, outputFolder: out)
        var failure: ModelError?
        let start = DispatchTime.now().uptimeNanoseconds
        var firstFrame: Double?
        generation.run { event in
            if case .failed(let e) = event { failure = e }
            if case .frame = event, firstFrame == nil { firstFrame = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9 }
        }
        if let failure { throw failure }
        return (generation.timings, request.resolved(for: model.config), firstFrame ?? .nan)
    }

    /// Median seconds of one guided DiT call, cached and uncached, on one segment's shapes, and the speed-up:
    /// the median of per-round ratios, each round timing both paths back to back so a change in the machine's
    /// load hits both alike (this machine is shared; single timings vary by ±20 %).
    static func ditStep(model: LoadedModel, request: GenerationRequest, passes: Int, rounds: Int = 9)
        throws -> (cached: Double, uncached: Double, speedup: Double, range: ClosedRange<Double>, tokens: Int, cache: ConditionCache) {
        let c = model.config, s = c.vae.spatialFactor
        let (h, w) = (request.height! / s, request.width! / s)
        let t = try model.vae.latentFrameCount(frames: c.video.segmentFrames)
        let rng = RandomStream(seed: 5)
        let inputs = Tensor(uninitialized: [passes, t, h, w, model.dit.inputChannels]); rng.fillNormal(inputs.buffer)
        let reference = Tensor(uninitialized: [1, 1, h, w, c.vae.zChannels]); rng.split(1).fillNormal(reference.buffer)
        let text = request.text.enabled ? Tensor(uninitialized: [1, 12, c.text.encoderWidth]) : nil
        text.map { rng.split(2).fillNormal($0.buffer) }
        let audio = Tensor(uninitialized: [1, c.video.segmentFrames, c.audio.featureWidth]); rng.split(3).fillNormal(audio.buffer)
        let passList: [(textOn: Bool, audioOn: Bool)] = [(true, true), (true, false), (false, false)].prefix(passes).map { ($0.0 && text != nil, $0.1) }
        let cache = ConditionCache()
        let rows = model.inferenceRows()
        cache.setReference(model.dit.referenceKeysValues(latent: reference))
        if let text { cache.setText(model.dit.textKeysValues(states: text)) }
        cache.setAudio(model.dit.audioKeysValues(features: audio, latentFrames: t), frames: audio.shape[1])
        let sigmas = [Float](repeating: 0.5, count: passes)
        // Both with the linears as generation runs them (`LoadedModel.inferenceRows`).
        func cached() { _ = rows.run { try? model.dit.velocity(inputs: inputs, sigmas: sigmas, passes: passList, cache: cache) } }
        func uncached() {
            _ = rows.run {
                model.dit.velocityUncached(inputs: inputs, sigmas: sigmas, passes: passList, referenceLatent: reference,
                                               textStates: text, audioFeatures: audio)
            }
        }
        cached(); uncached()  // warm the buffer pool and the cache's joined keys
        var cachedTimes: [Double] = [], uncachedTimes: [Double] = [], ratios: [Double] = []
        for round in 0..<rounds {
            // Alternate which path goes first, so neither always runs on a cache the other warmed.
            let order = round % 2 == 0 ? [true, false] : [false, true]
            var a = 0.0, b = 0.0
            for isCached in order {
                let seconds = Stopwatch.median(minimumRuns: 1, minimumSeconds: 0) { isCached ? cached() : uncached() }
                if isCached { a = seconds } else { b = seconds }
            }
            cachedTimes.append(a); uncachedTimes.append(b); ratios.append(b / a)
        }
        func median(_ x: [Double]) -> Double { x.sorted()[x.count / 2] }
        let p = c.dit.patchSize
        return (median(cachedTimes), median(uncachedTimes), median(ratios), ratios.min()!...ratios.max()!, t * (h / p) * (w / p), cache)
    }

    /// Useful FLOPs of one guided DiT call: every block's linears and attention for `passes` passes (keys: own
    /// tokens + reference + text + the audio band), plus input embedding and head.
    static func ditFlops(_ c: ModelConfig, request: GenerationRequest, passes: Double, cache: ConditionCache) -> Double {
        let s = c.vae.spatialFactor * c.dit.patchSize
        let grid = Double((request.height! / s) * (request.width! / s))
        let t = Double(1 + (c.video.segmentFrames - 1) / c.vae.temporalFactor)
        let l = t * grid, d = Double(c.dit.width), r = Double(c.dit.mlpRatio)
        let band = Double(min(c.video.segmentFrames, c.vae.temporalFactor + 2 * c.audio.band))
        let keys = l + Double(cache.referenceTokens) + Double(cache.textTokens) + band
        let perBlock = 2 * l * d * (4 * d + 2 * r * d) + 4 * l * keys * d
        let p2 = Double(c.dit.patchSize * c.dit.patchSize)
        let inputChannels = p2 * Double(c.ditInputChannels)
        return passes * (Double(c.dit.depth) * perBlock + 2 * l * inputChannels * d + 2 * l * d * p2 * Double(c.vae.zChannels))
    }

    /// Resets the kernel's peak-RSS counter (VmHWM) for this process.
    static func resetPeakRSS() {
        if let f = fopen("/proc/self/clear_refs", "w") { fputs("5", f); fclose(f) }
    }

    /// Peak resident set size in bytes since the last reset (VmHWM).
    static func peakRSS() -> Int {
        guard let text = try? String(contentsOfFile: "/proc/self/status", encoding: .utf8) else { return 0 }
        for line in text.split(separator: "\n") where line.hasPrefix("VmHWM:") {
            return (Int(line.split(separator: " ").dropFirst().first ?? "0") ?? 0) * 1024
        }
        return 0
    }
}
