import Foundation
import OmniMedia
import OmniModel
import OmniTensor
import OmniWorld
@testable import OmniTrain
import XCTest

/// The DiT trainer's latent cache: what it stores is the frozen VAE's encoding of each window, the trainer's
/// examples from it match examples it would have encoded itself, and a cache of another VAE is refused.
final class LatentCacheTests: XCTestCase {
    var folder: String!

    override func setUpWithError() throws {
        folder = FileManager.default.temporaryDirectory.appendingPathComponent("latent-cache-\(UUID().uuidString)").path
    }

    override func tearDownWithError() throws { try? FileManager.default.removeItem(atPath: folder) }

    func relativeDifference(_ a: Tensor, _ b: Tensor) -> Float {
        XCTAssertEqual(a.shape, b.shape)
        let num = zip(a.values, b.values).map { ($0 - $1) * ($0 - $1) }.reduce(0, +)
        let den = b.values.map { $0 * $0 }.reduce(0, +)
        return (num / max(den, 1e-20)).squareRoot()
    }

    func testCachedWindowsAreTheVAEsEncodingOfTheirClipWindows() throws {
        let config = ModelConfig.tiny
        let weights = TrainingInitialization.fresh(config: config, seed: 1)
        let manifest = try LatentCache.build(vae: weights.vae, config: config, seed: 5, windows: 6, folder: folder)
        XCTAssertEqual(manifest.windowCount, 6)
        let cache = try LatentCache(folder: folder)
        XCTAssertEqual(cache.manifest.vaeFingerprint, LatentCache.fingerprint(weights.vae))
        for b in cache.manifest.buckets.indices {
            for i in cache.manifest.buckets[b].windows.indices {
                let (window, target, reference, audio) = cache.window(bucket: b, index: i)
                XCTAssertNil(audio, "log-mel features are not cached")
                let clip = PuppetSamples.render(seed: window.clipSeed, size: cache.manifest.buckets[b].size, fps: config.video.fps)
                let frames = Array(clip.frames[window.start..<(window.start + config.video.segmentFrames)])
                let expected = weights.vae.normalize(try weights.vae.encode(FrameTensor.tensor(frames)).mean)
                let expectedReference = weights.vae.normalize(try weights.vae.encode(FrameTensor.tensor([clip.reference])).mean)
                // Stored as F16: about 3 decimal digits.
                XCTAssertLessThan(relativeDifference(target.reshaped(expected.shape), expected), 2e-3)
                XCTAssertLessThan(relativeDifference(reference.reshaped(expectedReference.shape), expectedReference), 2e-3)
            }
        }
    }

    func testTalkingHeadWindowsComeFromTalkingHeadFramedClipsAndLeaveTheOthersAsBefore() throws {
        let config = ModelConfig.tiny
        let weights = TrainingInitialization.fresh(config: config, seed: 1)
        let plain = try LatentCache.build(vae: weights.vae, config: config, seed: 5, windows: 8, folder: folder)
        XCTAssertNil(plain.talkingHeads)
        let mixedFolder = folder + "-mixed"
        defer { try? FileManager.default.removeItem(atPath: mixedFolder) }
        let mixed = try LatentCache.build(vae: weights.vae, config: config, seed: 5, windows: 8, folder: mixedFolder, talkingHeads: 0.5)
        XCTAssertEqual(mixed.talkingHeads, 0.5)
        let plainWindows = Dictionary(uniqueKeysWithValues: plain.buckets.flatMap(\.windows).map { ($0.clipSeed & 0xFFFF_FFFF, $0) })
        var talking = 0
        for bucket in mixed.buckets {
            for window in bucket.windows {
                let spec = PuppetSamples.spec(seed: window.clipSeed, size: bucket.size, fps: config.video.fps)
                if window.clipSeed & (1 << 31) != 0 {
                    talking += 1
                    XCTAssertEqual(spec.framing, .head)
                    XCTAssertEqual(spec.audio.kind, .speech)
                } else {
                    // A window not drawn as a talking head is the plain cache's window of the same index.
                    XCTAssertEqual(plainWindows[window.clipSeed & 0xFFFF_FFFF], window)
                }
            }
        }
        XCTAssertGreaterThan(talking, 0)
        XCTAssertLessThan(talking, 8)
        // By the world's odds 8 % of the plain ids are talking heads (about 19 of 240).
        let heads = (0..<240).filter { i in
            let s = PuppetSamples.spec(seed: (5 << 32) | UInt64(i), size: .square, fps: 25)
            return s.framing == .head && s.audio.kind == .speech
        }.count
        XCTAssertLessThan(heads, 40)
    }

    /// An aligned-reference cache records it, stores the references taken with each clip's camera, and the trainer's
    /// re-render of a window is that clip (its reference-start samples hold the same picture the cache encoded).
    func testAlignedReferenceCachesRecordItAndTheTrainerRendersTheSameClips() throws {
        let config = ModelConfig.tiny
        let weights = TrainingInitialization.fresh(config: config, seed: 1)
        let manifest = try LatentCache.build(vae: weights.vae, config: config, seed: 5, windows: 3, folder: folder, alignedReference: true)
        XCTAssertEqual(manifest.alignedReference, true)
        let cache = try LatentCache(folder: folder)
        XCTAssertEqual(cache.manifest.alignedReference, true, "read back from the manifest")
        let samples = PuppetSamples(seed: 3, sizes: config.video.sizes, fps: config.video.fps)
        let objective = try DiTObjective(weights: weights, config: config, samples: samples, stage: 3,
                                         ratios: ConditionRatios(reference: 1, motion: 1, referenceStart: 1), batch: 1, latents: cache,
                                         text: TrainerTests.text)
        let b = cache.manifest.buckets.firstIndex { !$0.windows.isEmpty }!
        let (window, _, reference, _) = cache.window(bucket: b, index: 0)
        let size = cache.manifest.buckets[b].size
        let aligned = PuppetSamples.render(seed: window.clipSeed, size: size, fps: config.video.fps, alignedReference: true)
        let own = PuppetSamples.render(seed: window.clipSeed, size: size, fps: config.video.fps)
        XCTAssertNotEqual(aligned.reference, own.reference, "the reference moves to the clip's camera")
        XCTAssertEqual(aligned.frames, own.frames, "and nothing else changes")
        let expected = weights.vae.normalize(try weights.vae.encode(FrameTensor.tensor([aligned.reference])).mean)
        XCTAssertLessThan(relativeDifference(reference.reshaped(expected.shape), expected), 2e-3)
        let example = try objective.examples.example(cachedBucket: b, window: 0)
        let held = try weights.vae.motionLatents(of: Array(repeating: aligned.reference, count: config.video.motionFrames))
        XCTAssertEqual(example.referenceStart?.values, held.values, "the held reference is the aligned picture")
    }

    func testTrainerExamplesFromTheCacheCarryTheWindowsConditions() throws {
        let config = ModelConfig.tiny
        let weights = TrainingInitialization.fresh(config: config, seed: 1)
        try LatentCache.build(vae: weights.vae, config: config, seed: 5, windows: 4, folder: folder)
        let cache = try LatentCache(folder: folder)
        let samples = PuppetSamples(seed: 3, sizes: config.video.sizes, fps: config.video.fps)
        let objective = try DiTObjective(weights: weights, config: config, samples: samples, stage: 3, ratios: ConditionRatios(),
                                         batch: 2, latents: cache, text: TrainerTests.text)
        var profile = TrainingProfile()
        let example = try objective.example(step: 0, index: 0, profile: &profile)
        XCTAssertEqual(profile.seconds[.encoding] ?? 0, 0, "the cached path encodes nothing")
        // Which window was read: the one whose latents equal the example's target.
        var matched = false
        for b in cache.manifest.buckets.indices {
            for i in cache.manifest.buckets[b].windows.indices {
                let (window, target, _, _) = cache.window(bucket: b, index: i)
                guard target.values == example.target.values else { continue }
                matched = true
                let clip = PuppetSamples.render(seed: window.clipSeed, size: cache.manifest.buckets[b].size, fps: config.video.fps)
                let size = cache.manifest.buckets[b].size
                let maps = PoseGuider.input((0..<config.video.segmentFrames).map {
                    clip.pose.maps(frame: window.start + $0, width: size.width, height: size.height)
                })
                XCTAssertEqual(example.poseMaps.values, maps.values, "pose maps of the cached window")
                let audio = try AudioConditioning.features(of: clip.audio, fps: Double(config.video.fps), config: config.audio)
                XCTAssertEqual(example.audio.values, audio.windowRows(start: window.start, count: config.video.segmentFrames).values,
                               "audio rows of the cached window")
                XCTAssertEqual(example.textStates.values, TrainerTests.text(clip.caption).values, "caption of the cached clip")
            }
        }
        XCTAssertTrue(matched, "the example's target is one of the cached windows")
        // And a training step on it runs and gives a finite loss.
        let loss = try objective.accumulateGradients(step: 0, profile: &profile)["loss"]!
        XCTAssertTrue(loss.isFinite)
    }

    /// A stage never switches audio on before stage 2 nor pose before stage 3: those inputs are zeros, not
    /// computed (a stage-1 example from the cache needs only its clip's caption), and the loss cannot read them.
    func testStageOneExamplesCarryOnlyTheConditionsItTrains() throws {
        let config = ModelConfig.tiny
        let weights = TrainingInitialization.fresh(config: config, seed: 1)
        try LatentCache.build(vae: weights.vae, config: config, seed: 5, windows: 3, folder: folder)
        let cache = try LatentCache(folder: folder)
        let samples = PuppetSamples(seed: 3, sizes: config.video.sizes, fps: config.video.fps)
        let stage1 = try DiTObjective(weights: weights, config: config, samples: samples, stage: 1, ratios: ConditionRatios(),
                                      batch: 1, latents: cache, text: TrainerTests.text)
        let stage3 = try DiTObjective(weights: weights, config: config, samples: samples, stage: 3, ratios: ConditionRatios(),
                                      batch: 1, latents: cache, text: TrainerTests.text)
        for index in 0..<3 {
            let lean = try stage1.example(step: 2, index: index), full = try stage3.example(step: 2, index: index)
            XCTAssertEqual(lean.target.values, full.target.values, "the same cached window")
            XCTAssertEqual(lean.reference.values, full.reference.values)
            XCTAssertEqual(lean.textStates.values, full.textStates.values, "the caption comes from the clip's plan")
            XCTAssertTrue(lean.audio.values.allSatisfy { $0 == 0 } && lean.poseMaps.values.allSatisfy { $0 == 0 })
            XCTAssertEqual(lean.audio.shape, full.audio.shape)
            XCTAssertEqual(lean.poseMaps.shape, full.poseMaps.shape)
            XCTAssertTrue(full.poseMaps.values.contains { $0 != 0 }, "stage 3 computes the pose maps")
            // With audio and pose off (always, in stage 1) the loss is the same whichever inputs it is given.
            for sigma: Float in [0.2, 0.8] {
                func draws() -> DiTExamples.Draws {
                    .init(referenceOn: true, textOn: true, audioOn: false, poseOn: false, motionOn: index == 1, sigma: sigma,
                          noise: RandomStream(seed: 9))
                }
                let a = stage1.loss(lean, draws()).item, b = stage1.loss(full, draws()).item
                XCTAssertEqual(a, b)
            }
        }
    }

    /// With Whisper features (a 30 s encoder window per clip) the cache also holds each window's feature rows, and
    /// the trainer reads them instead of running the encoder.
    func testWhisperFeaturesAreCachedAndUsed() throws {
        let config = try XCTUnwrap(ModelConfig.preset("tiny-whisper"))
        let weights = TrainingInitialization.fresh(config: config, seed: 1)
        try LatentCache.build(vae: weights.vae, config: config, seed: 5, windows: 2, folder: folder)
        let cache = try LatentCache(folder: folder)
        XCTAssertEqual(cache.manifest.audioEncoder, "whisper-tiny.en")
        let b = cache.manifest.buckets.indices.first!
        let (window, _, _, audio) = cache.window(bucket: b, index: 0)
        let stored = try XCTUnwrap(audio)
        XCTAssertEqual(stored.shape, [1, config.video.segmentFrames, config.audio.featureWidth])
        let clip = PuppetSamples.render(seed: window.clipSeed, size: cache.manifest.buckets[b].size, fps: config.video.fps)
        let fresh = try AudioConditioning.features(of: clip.audio, fps: Double(config.video.fps), config: config.audio)
            .windowRows(start: window.start, count: config.video.segmentFrames)
        XCTAssertLessThan(relativeDifference(stored, fresh), 2e-3)
        // The trainer's example carries one of the cached windows' rows (no encoder run needed).
        let samples = PuppetSamples(seed: 3, sizes: config.video.sizes, fps: config.video.fps)
        let objective = try DiTObjective(weights: weights, config: config, samples: samples, stage: 2, ratios: ConditionRatios(),
                                         batch: 1, latents: cache, text: TrainerTests.text)
        let example = try objective.example(step: 0, index: 0)
        let all = cache.manifest.buckets.indices.flatMap { bb in cache.manifest.buckets[bb].windows.indices.map { cache.window(bucket: bb, index: $0).audio!.values } }
        XCTAssertTrue(all.contains(example.audio.values))
    }

    /// `--real-speech`: the cache's clips (and the trainer's re-rendered ones) draw espeak-ng voices for half the
    /// talking clips; the manifest records it so training re-renders the same audio.
    func testRealSpeechCachesRecordItAndRenderEspeakVoices() throws {
        XCTAssertTrue(EspeakSpeech.isAvailable, "make bootstrap installs espeak-ng")
        let config = ModelConfig.tiny
        let weights = TrainingInitialization.fresh(config: config, seed: 1)
        try LatentCache.build(vae: weights.vae, config: config, seed: 5, windows: 12, folder: folder, realSpeech: true)
        let cache = try LatentCache(folder: folder)
        XCTAssertEqual(cache.manifest.realSpeech, true)
        let kinds = cache.manifest.buckets.flatMap { bucket in
            bucket.windows.map { ClipSpec.random(seed: $0.clipSeed, size: bucket.size, duration: 2, fps: config.video.fps, realSpeech: true).audio.kind }
        }
        XCTAssertTrue(kinds.contains(.espeak), "some windows speak through espeak-ng: \(kinds)")
        // A trainer reading the cache accepts it (espeak-ng is there) and makes an example from it.
        let samples = PuppetSamples(seed: 3, sizes: config.video.sizes, fps: config.video.fps)
        let objective = try DiTObjective(weights: weights, config: config, samples: samples, stage: 2, ratios: ConditionRatios(),
                                         batch: 1, latents: cache, text: TrainerTests.text)
        XCTAssertNoThrow(try objective.example(step: 0, index: 0))
    }

    /// The trainers' caption memo gives the encoder's states, encodes a repeated caption once, and forgets everything
    /// when full rather than growing.
    func testCaptionStatesEncodeEachCaptionOnceAndStayBounded() {
        let states = CaptionStates(capacity: 2, encode: TrainerTests.text)
        XCTAssertEqual(states("a red puppet waves").values, TrainerTests.text("a red puppet waves").values)
        _ = states("a red puppet waves")
        XCTAssertEqual(states.encoded, 1, "a repeated caption is not encoded again")
        _ = states("a blue puppet talks")
        _ = states("a green puppet jumps")   // the third caption: the memo of two starts afresh
        XCTAssertEqual(states.encoded, 3)
        _ = states("a red puppet waves")
        XCTAssertEqual(states.encoded, 4, "forgotten when the memo was full")
        _ = states("a green puppet jumps")
        XCTAssertEqual(states.encoded, 4, "kept after the fresh start")
    }

    /// The fingerprint follows the encoder only: a decoder fine-tuned alone keeps the latents (and caches) valid.
    func testFingerprintCoversTheEncoderNotTheDecoder() {
        let vae = TrainingInitialization.fresh(config: .tiny, seed: 1).vae
        let before = LatentCache.fingerprint(vae)
        vae.decoder.convOut.weight.data[0] += 1
        XCTAssertEqual(LatentCache.fingerprint(vae), before)
        vae.encoder.convOut.weight.data[0] += 1
        XCTAssertNotEqual(LatentCache.fingerprint(vae), before)
    }

    func testACacheOfAnotherVAEIsRefused() throws {
        let config = ModelConfig.tiny
        try LatentCache.build(vae: TrainingInitialization.fresh(config: config, seed: 1).vae, config: config, seed: 5, windows: 2, folder: folder)
        let other = TrainingInitialization.fresh(config: config, seed: 2)
        let samples = PuppetSamples(seed: 3, sizes: config.video.sizes, fps: config.video.fps)
        let objective = try DiTObjective(weights: other, config: config, samples: samples, stage: 1, ratios: ConditionRatios(),
                                         batch: 1, latents: try LatentCache(folder: folder), text: TrainerTests.text)
        var profile = TrainingProfile()
        XCTAssertThrowsError(try objective.accumulateGradients(step: 0, profile: &profile)) { error in
            XCTAssertTrue("\(error)".contains("another VAE"), "\(error)")
        }
        // Building into a folder that already holds a cache is refused too.
        XCTAssertThrowsError(try LatentCache.build(vae: other.vae, config: config, seed: 5, windows: 1, folder: folder))
    }

    /// A resumed run's weights come from its checkpoint after the objective is made (as `train dit` does it, from
    /// zero-initialised weights): the cache's VAE check must see the checkpoint's weights, not the zeros.
    func testARunReadingTheCacheResumes() throws {
        let config = ModelConfig.tiny
        try LatentCache.build(vae: TrainingInitialization.fresh(config: config, seed: 1).vae, config: config, seed: 5, windows: 4, folder: folder)
        let runFolder = folder + "-run"
        addTeardownBlock { try? FileManager.default.removeItem(atPath: runFolder) }
        let samples = PuppetSamples(seed: 3, sizes: config.video.sizes, fps: config.video.fps)
        func make(_ weights: OmniModelWeights) throws -> TrainingRun {
            let objective = try DiTObjective(weights: weights, config: config, samples: samples, stage: 3, ratios: ConditionRatios(),
                                             batch: 1, latents: try LatentCache(folder: folder), text: TrainerTests.text)
            let state = TrainingState(kind: "dit", stage: 3, totalSteps: 3, seed: 3,
                                      hyperparameters: TrainingHyperparameters(batch: 1, learningRate: 1e-3, warmupSteps: 1, checkpointEvery: 1),
                                      from: nil, config: config)
            return try TrainingRun(folder: runFolder, fresh: state, objective: objective)
        }
        let first = try make(TrainingInitialization.fresh(config: config, seed: 1))
        var calls = 0
        XCTAssertEqual(try first.run(shouldStop: { calls += 1; return calls >= 1 }), .interrupted)
        let resumed = try make(OmniModelWeights(config: config))
        XCTAssertEqual(try resumed.run(), .finished)
        XCTAssertEqual(resumed.state.step, 3)
    }

    func testAFolderWithoutACacheGivesAClearError() throws {
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        XCTAssertThrowsError(try LatentCache(folder: folder)) { error in
            XCTAssertTrue("\(error)".contains("cache.json"), "\(error)")
        }
    }
}
