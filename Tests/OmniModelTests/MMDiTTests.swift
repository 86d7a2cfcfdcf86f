import Foundation
import XCTest
@testable import OmniModel
@testable import OmniTensor

final class MMDiTTests: XCTestCase {
    let config = ModelConfig.tiny
    lazy var model: MMDiT = {
        let m = MMDiT(config: config)
        RandomWeights.fill(m, seed: 5, vectorStd: 0.2)
        return m
    }()

    // Segment of 9 video frames = 3 latent frames on a 4×4 grid.
    let (frames, grid, videoFrames) = (3, 4, 9)

    func random(_ shape: [Int], _ seed: UInt64) -> Tensor {
        let t = Tensor(uninitialized: shape)
        RandomStream(seed: seed).fillNormal(t.buffer)
        return t
    }

    var inputs: Tensor { random([3, frames, grid, grid, model.inputChannels], 1) }
    var reference: Tensor { random([1, 1, grid, grid, config.vae.zChannels], 2) }
    var text: Tensor { random([1, 5, config.text.encoderWidth], 3) }
    var audio: Tensor { random([1, videoFrames, config.audio.featureWidth], 4) }
    let sigmas: [Float] = [0.9, 0.5, 0.1]
    let passes: [(textOn: Bool, audioOn: Bool)] = [(true, true), (true, false), (false, false)]

    func cache(reference: Bool = true, text: Bool = true, audio: Bool = true) -> ConditionCache {
        let c = ConditionCache()
        if reference { c.setReference(model.referenceKeysValues(latent: self.reference)) }
        if text { c.setText(model.textKeysValues(states: self.text)) }
        if audio { c.setAudio(model.audioKeysValues(features: self.audio, latentFrames: frames), frames: videoFrames) }
        return c
    }

    func maxDifference(_ a: Tensor, _ b: Tensor) -> Float {
        XCTAssertEqual(a.shape, b.shape)
        return zip(a.values, b.values).map { abs($0 - $1) }.max() ?? 0
    }

    func testCachedPathEqualsUncachedFullSequence() throws {
        let x = inputs
        let cached = try model.velocity(inputs: x, sigmas: sigmas, passes: passes, cache: cache())
        let uncached = model.velocityUncached(inputs: x, sigmas: sigmas, passes: passes,
                                              referenceLatent: reference, textStates: text, audioFeatures: audio)
        XCTAssertEqual(cached.shape, [3, frames, grid, grid, config.vae.zChannels])
        XCTAssertLessThanOrEqual(maxDifference(cached, uncached), 1e-5)
        // The passes differ from each other (the conditions matter).
        XCTAssertGreaterThan(maxDifference(cached.slice(axis: 0, 0..<1), cached.slice(axis: 0, 1..<2)), 1e-3)
    }

    func testReferenceStatesIgnoreTheNoisyLatentAndTheTimestep() {
        let a = model.uncachedStreams(inputs: inputs, sigmas: sigmas, passes: passes,
                                      referenceLatent: reference, textStates: text, audioFeatures: audio).reference!
        let b = model.uncachedStreams(inputs: random(inputs.shape, 99), sigmas: [0.3, 0.2, 0.7], passes: passes,
                                      referenceLatent: reference, textStates: text, audioFeatures: audio).reference!
        XCTAssertLessThanOrEqual(maxDifference(a, b), 1e-6)
    }

    func testSwitchedOffConditionsEqualNeverHavingTheirTokens() throws {
        let x = inputs
        let allOff: [(textOn: Bool, audioOn: Bool)] = Array(repeating: (false, false), count: 3)
        let masked = try model.velocity(inputs: x, sigmas: sigmas, passes: allOff, cache: cache())
        let absent = try model.velocity(inputs: x, sigmas: sigmas, passes: allOff, cache: cache(text: false, audio: false))
        XCTAssertLessThanOrEqual(maxDifference(masked, absent), 1e-6)

        let audioOff: [(textOn: Bool, audioOn: Bool)] = Array(repeating: (true, false), count: 3)
        let a1 = try model.velocity(inputs: x, sigmas: sigmas, passes: audioOff, cache: cache())
        let a2 = try model.velocity(inputs: x, sigmas: sigmas, passes: audioOff, cache: cache(audio: false))
        XCTAssertLessThanOrEqual(maxDifference(a1, a2), 1e-6)
    }

    func testBatchedPassesEqualSeparatePasses() throws {
        let x = inputs, c = cache()
        let batched = try model.velocity(inputs: x, sigmas: sigmas, passes: passes, cache: c)
        for i in 0..<3 {
            let single = try model.velocity(inputs: x.slice(axis: 0, i..<(i + 1)), sigmas: [sigmas[i]], passes: [passes[i]], cache: c)
            XCTAssertLessThanOrEqual(maxDifference(single, batched.slice(axis: 0, i..<(i + 1))), 1e-5)
        }
    }

    func testCancellationStopsBetweenBlocks() {
        let c = cache()
        c.cancel()
        XCTAssertThrowsError(try model.velocity(inputs: inputs, sigmas: sigmas, passes: passes, cache: c)) { error in
            XCTAssertEqual(error as? ModelError, .cancelled)
        }
    }

    // MARK: - Patches

    func testPatchifyGroupsEachPatchIntoOneTokenAndInverts() {
        XCTAssertEqual(config.dit.patchSize, 2)
        // [1, 1, 4, 4, 1] holding its own flat index: token 0 is the top-left 2×2 patch, row by row.
        let x = Tensor((0..<16).map(Float.init), shape: [1, 1, 4, 4, 1])
        let tokens = MMDiT.patchify(x, patch: 2)
        XCTAssertEqual(tokens.shape, [1, 4, 4])
        XCTAssertEqual(Array(tokens.values[0..<4]), [0, 1, 4, 5])
        XCTAssertEqual(Array(tokens.values[4..<8]), [2, 3, 6, 7])
        XCTAssertEqual(Array(tokens.values[8..<12]), [8, 9, 12, 13])
        let y = random([2, 3, 4, 6, 5], 9)
        XCTAssertEqual(MMDiT.unpatchify(MMDiT.patchify(y, patch: 2), frames: 3, height: 4, width: 6, patch: 2).values, y.values)
        XCTAssertEqual(MMDiT.patchify(y, patch: 1).shape, [2, 3 * 4 * 6, 5])
    }

    func testVelocityKeepsTheLatentShapeWithPatches() throws {
        let v = try model.velocity(inputs: inputs, sigmas: sigmas, passes: passes, cache: cache())
        XCTAssertEqual(v.shape, [3, frames, grid, grid, config.vae.zChannels])
        XCTAssertEqual(model.patchEmbedding.inFeatures, 4 * model.inputChannels)
        XCTAssertEqual(model.head.outFeatures, 4 * config.vae.zChannels)
    }

    func testModelFoldersWithoutPatchSizeReadOne() throws {
        var json = String(decoding: ModelConfig.mini.encoded(), as: UTF8.self)
        XCTAssertTrue(json.contains("\"patch_size\" : 2"))
        json = json.replacingOccurrences(of: "\"patch_size\" : 2,", with: "")
        let decoder = JSONDecoder()
        decoder.keyDecodingStrategy = .convertFromSnakeCase
        let old = try decoder.decode(ModelConfig.self, from: Data(json.utf8))
        XCTAssertEqual(old.dit.patchSize, 1)
        var bad = ModelConfig.mini
        bad.dit.patchSize = 0
        XCTAssertThrowsError(try bad.validate(path: "config.json")) { XCTAssertTrue("\($0)".contains("patch_size"), "\($0)") }
        bad.dit.patchSize = 3   // 64 is no multiple of 4 × 3
        XCTAssertThrowsError(try bad.validate(path: "config.json")) { XCTAssertTrue("\($0)".contains("multiples of 12"), "\($0)") }
    }

    /// Divisors checked before they divide (issue 20, cause 2: `"heads": 0` or 64 `temporal_downsample` entries
    /// trapped with a division by zero inside `validate`).
    func testValidationRejectsZeroHeadsAndTooManyStagesWithoutTrapping() {
        var zeroHeads = ModelConfig.mini
        zeroHeads.dit.heads = 0
        XCTAssertThrowsError(try zeroHeads.validate(path: "m/config.json")) { XCTAssertTrue("\($0)".contains("dit.heads = 0"), "\($0)") }
        var stages = ModelConfig.mini
        stages.vae.temporalDownsample = [Bool](repeating: true, count: 64)
        stages.vae.channelMultipliers = [Int](repeating: 1, count: 65)
        XCTAssertThrowsError(try stages.validate(path: "m/config.json")) { XCTAssertTrue("\($0)".contains("64 entries"), "\($0)") }
    }

    func testTokenLayoutAudioBand() {
        let layout = TokenLayout(latentFrames: 3, gridTokens: 2, referenceTokens: 2, referenceIsQuery: false,
                                 textTokens: 1, audioFrames: 9, audioBand: 1, temporalFactor: 4)
        XCTAssertEqual(layout.videoFrames(ofLatentFrame: 0), 0..<1)
        XCTAssertEqual(layout.videoFrames(ofLatentFrame: 2), 5..<9)
        let groups = layout.rowGroups(textOn: true, audioOn: true)
        // V = 0..<6, R = 6..<8, X = 8..<9, A = 9..<18; latent frame 1 covers video 1..<5, band ±1 → 0..<6.
        XCTAssertEqual(groups[1].queries, 2..<4)
        XCTAssertEqual(groups[1].keys, [0..<15])   // adjacent ranges merge
        XCTAssertEqual(layout.rowGroups(textOn: false, audioOn: false)[0].keys, [0..<8])
    }

    func testTokenLayoutWithBandPositionsGivesEachLatentFrameItsOwnBand() {
        let layout = TokenLayout(latentFrames: 3, gridTokens: 2, referenceTokens: 2, referenceIsQuery: false,
                                 textTokens: 1, audioFrames: 9, audioBand: 1, audioBandPositions: true, temporalFactor: 4)
        // Bands: latent frame 0 reads video 0..<2 (its own frame 0 is slot 1), 1 reads 0..<6, 2 reads 4..<9 (clipped).
        XCTAssertEqual(layout.audioBands.map(\.frames), [0..<2, 0..<6, 4..<9])
        XCTAssertEqual(layout.audioBands.map(\.firstSlot), [1, 0, 0])
        XCTAssertEqual(layout.bandSlots, 6)
        XCTAssertEqual(layout.audioTokens, 13)
        // A = 9..<22: the bands one after another.
        XCTAssertEqual((0..<3).map(layout.audioKeys(ofLatentFrame:)), [9..<11, 11..<17, 17..<22])
        XCTAssertEqual(layout.rowGroups(textOn: false, audioOn: true)[2].keys, [0..<8, 17..<22])
    }

    /// A model with `audio.band_positions` whose positions are still zero (what `train dit --audio-band-positions` starts
    /// from) computes what the same weights compute without them: the same keys per latent frame, only laid out
    /// band by band.
    func testZeroBandPositionsComputeWhatTheModelComputedWithoutThem() throws {
        var withPositions = config
        withPositions.audio.bandPositions = true
        let banded = MMDiT(config: withPositions)
        let from = Dictionary(uniqueKeysWithValues: model.namedTensors().map { ($0.key, $0.tensor) })
        for (key, tensor) in banded.namedTensors() where key != "audioPositions" { tensor.copyValues(from: from[key]!) }
        XCTAssertEqual(try XCTUnwrap(banded.audioPositions).shape, [6, config.dit.width])
        let plain = try model.velocity(inputs: inputs, sigmas: sigmas, passes: passes, cache: cache())
        let c = ConditionCache()
        c.setReference(banded.referenceKeysValues(latent: reference))
        c.setText(banded.textKeysValues(states: text))
        c.setAudio(banded.audioKeysValues(features: audio, latentFrames: frames), frames: videoFrames)
        XCTAssertEqual(c.audioTokens, 13)
        XCTAssertLessThanOrEqual(maxDifference(try banded.velocity(inputs: inputs, sigmas: sigmas, passes: passes, cache: c), plain), 1e-6)
        let uncached = banded.velocityUncached(inputs: inputs, sigmas: sigmas, passes: passes, referenceLatent: reference,
                                               textStates: text, audioFeatures: audio)
        XCTAssertLessThanOrEqual(maxDifference(uncached, plain), 1e-5)
    }

    /// What the positions are for: swapping the audio of video frames 2 and 3 (both in latent frame 1's band and in no
    /// other) changes nothing without them — a band is an unordered set — and changes latent frame 1 with them.
    func testBandPositionsTellTheFramesOfABandApart() throws {
        var withPositions = config
        withPositions.audio.bandPositions = true
        let banded = MMDiT(config: withPositions)
        RandomWeights.fill(banded, seed: 5, vectorStd: 0.2)
        let swapped = audio.slice(axis: 1, 0..<2)
        let features = Tensor.concat([swapped, audio.slice(axis: 1, 3..<4), audio.slice(axis: 1, 2..<3), audio.slice(axis: 1, 4..<9)], axis: 1)
        func velocity(_ m: MMDiT, _ a: Tensor) -> Tensor {
            m.velocityUncached(inputs: inputs, sigmas: sigmas, passes: passes, referenceLatent: reference, textStates: text, audioFeatures: a)
        }
        XCTAssertLessThanOrEqual(maxDifference(velocity(model, audio), velocity(model, features)), 1e-5)
        let a = velocity(banded, audio), b = velocity(banded, features)
        // Pass 0 has audio on: its latent frame 1 moves; pass 1 (audio off) does not.
        XCTAssertGreaterThan(maxDifference(a.slice(axis: 0, 0..<1).slice(axis: 1, 1..<2), b.slice(axis: 0, 0..<1).slice(axis: 1, 1..<2)), 1e-3)
        XCTAssertLessThanOrEqual(maxDifference(a.slice(axis: 0, 1..<2), b.slice(axis: 0, 1..<2)), 1e-6)
    }

    /// `audio.frame_input`: a model that gains it with the projection at zero computes what it did; with weights, the
    /// cached and uncached paths agree, passes with audio off ignore it, and each latent frame's vector comes from
    /// its own video frames only (changing frame 2's audio moves latent frames 1 and after in the frame-input path,
    /// latent frame 0 not at all).
    func testAudioFrameInputIsZeroWhenGrownAndReadsEachLatentFramesOwnAudio() throws {
        var withInput = config
        withInput.audio.frameInput = true
        let wide = MMDiT(config: withInput)
        let from = Dictionary(uniqueKeysWithValues: model.namedTensors().map { ($0.key, $0.tensor) })
        for (key, tensor) in wide.namedTensors() {
            if let source = from[key] { tensor.copyValues(from: source) } else { XCTAssertTrue(key.hasPrefix("audioFrameInput.")); tensor.fill(0) }
        }
        XCTAssertEqual(try XCTUnwrap(wide.audioFrameInput).weight.shape, [config.dit.width, config.vae.temporalFactor * config.dit.width])
        func cache(_ m: MMDiT) -> ConditionCache {
            let c = ConditionCache()
            c.setReference(m.referenceKeysValues(latent: reference))
            c.setText(m.textKeysValues(states: text))
            c.setAudio(m.audioKeysValues(features: audio, latentFrames: frames), frames: videoFrames,
                       frameInput: m.audioFrameInput(features: audio, latentFrames: frames))
            return c
        }
        let plain = try model.velocity(inputs: inputs, sigmas: sigmas, passes: passes, cache: self.cache())
        XCTAssertLessThanOrEqual(maxDifference(try wide.velocity(inputs: inputs, sigmas: sigmas, passes: passes, cache: cache(wide)), plain), 1e-6)

        RandomWeights.fill(try XCTUnwrap(wide.audioFrameInput), seed: 8)
        let cached = try wide.velocity(inputs: inputs, sigmas: sigmas, passes: passes, cache: cache(wide))
        let uncached = wide.velocityUncached(inputs: inputs, sigmas: sigmas, passes: passes, referenceLatent: reference,
                                             textStates: text, audioFeatures: audio)
        XCTAssertLessThanOrEqual(maxDifference(cached, uncached), 1e-5)
        XCTAssertGreaterThan(maxDifference(cached.slice(axis: 0, 0..<1), plain.slice(axis: 0, 0..<1)), 1e-3, "audio on: the input matters")
        XCTAssertLessThanOrEqual(maxDifference(cached.slice(axis: 0, 1..<3), plain.slice(axis: 0, 1..<3)), 1e-6, "audio off: it does not")

        // The vectors alone: frame 2 belongs to latent frame 1 (frames 1–4).
        let changed = Tensor.concat([audio.slice(axis: 1, 0..<2), random([1, 1, config.audio.featureWidth], 9), audio.slice(axis: 1, 3..<9)], axis: 1)
        let a = try XCTUnwrap(wide.audioFrameInput(features: audio, latentFrames: frames))
        let b = try XCTUnwrap(wide.audioFrameInput(features: changed, latentFrames: frames))
        XCTAssertEqual(a.shape, [1, frames, config.dit.width])
        XCTAssertEqual(maxDifference(a.slice(axis: 1, 0..<1), b.slice(axis: 1, 0..<1)), 0)
        XCTAssertGreaterThan(maxDifference(a.slice(axis: 1, 1..<2), b.slice(axis: 1, 1..<2)), 1e-3)
        XCTAssertEqual(maxDifference(a.slice(axis: 1, 2..<3), b.slice(axis: 1, 2..<3)), 0)
    }
}
