import Foundation
import XCTest
import OmniMedia
@testable import OmniModel
@testable import OmniTensor

/// The Swift VAE, MMDiT and pose guider against the PyTorch reference (`python/omnitorch`): fixtures written by
/// `python -m omnitorch.fixtures` hold seeded weights, inputs and the reference's outputs (computed in float64) —
/// for the VAE an input video, its posterior and decode; for the DiT one guided forward of the tiny shape. Swift
/// must reproduce them from the same checkpoint keys and layouts. The pose condition maps (`PoseRendering.maps`)
/// are checked against `omnitorch.pose_maps` the same way, since the PyTorch trainer draws them itself.
final class TorchParityTests: XCTestCase {
    static let fixtures = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Fixtures")

    struct Fixture {
        let vae: CausalVAE
        let file: SafetensorsFile
        func tensor(_ name: String) throws -> Tensor {
            let info = try file.info(name)
            return Tensor(try file.readFloats(name), shape: info.shape)
        }
    }

    func load(_ name: String) throws -> Fixture {
        let file = try SafetensorsFile(path: Self.fixtures.appendingPathComponent("vae_\(name).safetensors").path)
        let json = try XCTUnwrap(file.metadata["vae_config"]).data(using: .utf8)!
        let decoder = JSONDecoder()
        decoder.keyDecodingStrategy = .convertFromSnakeCase
        let config = try decoder.decode(VAEConfig.self, from: json)
        let vae = CausalVAE(config: config)
        try vae.load(from: file, prefix: "vae.")
        return Fixture(vae: vae, file: file)
    }

    /// ‖a − b‖ / ‖b‖.
    func relativeL2(_ a: Tensor, _ b: Tensor) -> Double {
        XCTAssertEqual(a.shape, b.shape)
        var num = 0.0, den = 0.0
        for (x, y) in zip(a.values, b.values) { num += Double(x - y) * Double(x - y); den += Double(y) * Double(y) }
        return (num / max(den, 1e-30)).squareRoot()
    }

    func check(_ name: String, spatialFactor: Int) throws {
        let f = try load(name)
        XCTAssertEqual(f.vae.spatialFactor, spatialFactor)
        let video = try f.tensor("fixture.video")
        let posterior = try f.vae.encode(video)
        XCTAssertLessThan(relativeL2(posterior.mean, try f.tensor("fixture.mean")), 1e-5)
        XCTAssertLessThan(relativeL2(posterior.logVariance, try f.tensor("fixture.logvar")), 1e-5)
        let reference = try f.tensor("fixture.decoded")
        XCTAssertLessThan(relativeL2(f.vae.decode(try f.tensor("fixture.mean"), clamp: false), reference), 1e-5)
        // The streamed decode (one latent frame a call) reproduces the reference's whole-sequence decode too.
        XCTAssertLessThan(relativeL2(f.vae.decodeChunked(try f.tensor("fixture.mean"), clamp: false), reference), 1e-5)
    }

    func testVAEWithSpatialFactor4MatchesTheTorchReference() throws { try check("d4", spatialFactor: 4) }

    func testVAEWithSpatialFactor8AndMidAttentionMatchesTheTorchReference() throws { try check("d8", spatialFactor: 8) }

    /// `vae.encoder_res_blocks`: the ÷4 shape with two residual blocks in each encoder stage.
    func testVAEWithAGrownEncoderMatchesTheTorchReference() throws {
        XCTAssertEqual(try load("d4e2").vae.encoder.stages.map(\.blocks.count), [2, 2, 2])
        try check("d4e2", spatialFactor: 4)
    }

    // MARK: - MMDiT and pose guider

    struct DiTFixture {
        let config: ModelConfig
        let dit: MMDiT
        let guider: PoseGuider
        let file: SafetensorsFile
        func tensor(_ name: String) throws -> Tensor {
            let info = try file.info(name)
            return Tensor(try file.readFloats(name), shape: info.shape)
        }
        var sigmas: [Float] { get throws { try file.readFloats("fixture.sigmas") } }
        /// A distilled student's per-pass controls: (audio, text) scales, and a shortcut student's step size (nil for
        /// a teacher).
        var controls: [SamplingControls]? {
            get throws {
                guard config.dit.guidanceEmbedding else { return nil }
                let values = try file.readFloats("fixture.controls")
                return stride(from: 0, to: values.count, by: 3).map { SamplingControls(audio: values[$0], text: values[$0 + 1], stepSize: values[$0 + 2]) }
            }
        }
        var passes: [(textOn: Bool, audioOn: Bool)] {
            get throws {
                let flags = try file.readFloats("fixture.passes")
                return stride(from: 0, to: flags.count, by: 2).map { (flags[$0] != 0, flags[$0 + 1] != 0) }
            }
        }

        /// V's inputs `[B, T, h, w, C]` as generation builds them, with the Swift guider's pose features.
        func inputs() throws -> Tensor {
            let noisy = try tensor("fixture.noisy"), b = noisy.shape[0]
            let pose = guider(try tensor("fixture.pose_maps"))
            var parts = [noisy, try tensor("fixture.motion").expandedBatch(b), try tensor("fixture.motion_mask").expandedBatch(b),
                         pose.reshaped([1] + pose.shape).expandedBatch(b)]
            // dit.reference_input (the student fixture): the reference in passes 0 and 2, off in 1 and 3.
            let (t, h, w) = (noisy.shape[1], noisy.shape[2], noisy.shape[3]), reference = try tensor("fixture.reference")
            if let on = MMDiT.referenceInput(reference, config: config, frames: t, height: h, width: w),
               let off = MMDiT.referenceInput(nil, config: config, frames: t, height: h, width: w) {
                parts.append(Tensor.concat([on, off, on, off], axis: 0))
            }
            return Tensor.concat(parts, axis: -1)
        }
    }

    /// The tiny DiT and pose guider, loaded strictly (every key present, none under the prefix left over).
    func loadDiT(_ name: String = "dit_tiny") throws -> DiTFixture {
        let file = try SafetensorsFile(path: Self.fixtures.appendingPathComponent(name + ".safetensors").path)
        let json = try XCTUnwrap(file.metadata["model_config"]).data(using: .utf8)!
        let decoder = JSONDecoder()
        decoder.keyDecodingStrategy = .convertFromSnakeCase
        let config = try decoder.decode(ModelConfig.self, from: json)
        let dit = MMDiT(config: config), guider = PoseGuider(config: config)
        try dit.load(from: file, prefix: "dit.")
        try guider.load(from: file, prefix: "poseGuider.")
        return DiTFixture(config: config, dit: dit, guider: guider, file: file)
    }

    func testPoseGuiderMatchesTheTorchReference() throws {
        let f = try loadDiT()
        let error = relativeL2(f.guider(try f.tensor("fixture.pose_maps")), try f.tensor("fixture.pose_features"))
        XCTAssertLessThan(error, 1e-6)
    }

    /// The training path: R as a query group, text and audio projected in every block.
    func checkUncached(_ name: String) throws {
        let f = try loadDiT(name)
        let inputs = try f.inputs()
        XCTAssertLessThan(relativeL2(inputs, try f.tensor("fixture.inputs")), 1e-6)
        let out = f.dit.uncachedStreams(inputs: inputs, sigmas: try f.sigmas, passes: try f.passes, controls: try f.controls,
                                        referenceLatent: try f.tensor("fixture.reference"), textStates: try f.tensor("fixture.text"),
                                        audioFeatures: try f.tensor("fixture.audio"))
        let velocity = relativeL2(out.velocity, try f.tensor("fixture.velocity"))
        let reference = relativeL2(try XCTUnwrap(out.reference), try f.tensor("fixture.reference_states"))
        XCTAssertLessThan(velocity, 1e-6, name)
        XCTAssertLessThan(reference, 1e-6, name)
    }

    /// The inference path: R, X, A keys and values computed once into a `ConditionCache`, then read by the step.
    /// The fixture's reference, text and audio as the cached path's conditions (the audio frame input too, when the
    /// model has it).
    func conditionCache(_ f: DiTFixture) throws -> ConditionCache {
        let cache = ConditionCache()
        cache.setReference(f.dit.referenceKeysValues(latent: try f.tensor("fixture.reference")))
        cache.setText(f.dit.textKeysValues(states: try f.tensor("fixture.text")))
        let audio = try f.tensor("fixture.audio"), latentFrames = try f.inputs().shape[1]
        cache.setAudio(f.dit.audioKeysValues(features: audio, latentFrames: latentFrames), frames: audio.shape[1],
                       frameInput: f.dit.audioFrameInput(features: audio, latentFrames: latentFrames))
        return cache
    }

    func checkCached(_ name: String) throws {
        let f = try loadDiT(name)
        let cache = try conditionCache(f)
        let velocity = try f.dit.velocity(inputs: try f.inputs(), sigmas: try f.sigmas, passes: try f.passes, controls: try f.controls,
                                          cache: cache)
        let error = relativeL2(velocity, try f.tensor("fixture.velocity"))
        XCTAssertLessThan(error, 1e-6, name)
    }

    /// One training step, llm.c style: the trainer's loss (MSE of the uncached velocity against a target over the
    /// latent frames after the motion frames) and the gradient of every DiT parameter through Swift's tape, against
    /// PyTorch's autograd in float64: the loss to 1e-6 and each gradient to 1e-4 relative L2.
    func checkTrainingStep(_ name: String) throws {
        let f = try loadDiT(name)
        let inputs = try f.inputs(), target = try f.tensor("fixture.target")
        let first = 2, t = target.shape[1]
        let parameters = f.dit.namedTensors()
        for (_, p) in parameters { p.grad = nil }
        let tape = Tape()
        let loss = tape.recording { () -> Tensor in
            let v = f.dit.velocityUncached(inputs: inputs, sigmas: try! f.sigmas, passes: try! f.passes, controls: try! f.controls,
                                           referenceLatent: try! f.tensor("fixture.reference"), textStates: try! f.tensor("fixture.text"),
                                           audioFeatures: try! f.tensor("fixture.audio"))
            return v.slice(axis: 1, first..<t).mseLoss(target.slice(axis: 1, first..<t))
        }
        let expected = Double(try f.file.readFloats("fixture.loss")[0])
        XCTAssertEqual(Double(loss.item), expected, accuracy: 1e-6 * abs(expected), name)
        tape.backward(from: loss)
        var worst = (0.0, "")
        for (key, p) in parameters {
            let reference = try f.tensor("grad.dit." + key)
            let grad = try XCTUnwrap(p.grad, "\(name): no gradient for \(key)")
            XCTAssertEqual(grad.shape, reference.shape, key)
            let error = relativeL2(grad, reference)
            if error > worst.0 { worst = (error, key) }
        }
        XCTAssertEqual(parameters.count, f.file.names.filter { $0.hasPrefix("grad.dit.") }.count, "a gradient for every parameter")
        XCTAssertLessThan(worst.0, 1e-4, "\(name): worst gradient \(worst.1)")
    }

    func testATrainingStepsLossAndEveryGradientMatchTheTorchReference() throws {
        try checkTrainingStep("dit_tiny")
        try checkTrainingStep("dit_tiny_student")
    }

    /// Three guided Euler steps from the same noise, as generation takes them (`FlowMatchSampler`, `GuidancePlan`:
    /// text scale 4, audio 2.5 → 1.5 linear, the cached path), against the reference's loop in float64.
    func testThreeGuidedSamplerStepsMatchTheTorchReference() throws {
        let f = try loadDiT("dit_tiny")
        let z = f.config.vae.zChannels, inputs = try f.inputs()
        let rest = inputs.slice(axis: 0, 0..<1).slice(axis: 4, z..<inputs.shape[4])
        let cache = try conditionCache(f)
        let plan = GuidancePlan(hasText: true, hasAudio: true, textScale: 4, audioStart: 2.5, audioEnd: 1.5, annealing: .linear)
        let sampler = FlowMatchSampler(schedule: FlowSchedule(steps: 3, shift: 3), kind: .euler)
        var passCounts: [Int] = []
        func guided(_ x: Tensor, _ sigma: Float, _ k: Int) throws(ModelError) -> Tensor {
            let passes = plan.passes(step: k, of: 3)
            passCounts.append(passes.count)
            let batch = GuidancePlan.stacked(Tensor.concat([x, rest], axis: -1), passes: passes)
            let flags: [(textOn: Bool, audioOn: Bool)] = passes.map { ($0.textOn, $0.audioOn) }
            let v = try f.dit.velocity(inputs: batch, sigmas: Array(repeating: sigma, count: passes.count), passes: flags, cache: cache)
            return GuidancePlan.combined(v, passes: passes)
        }
        func after(_ k: Int, _ x: inout Tensor, _ v: Tensor) throws(ModelError) {}
        let x = try sampler.run(from: try f.tensor("fixture.sampler_noise"), velocity: guided, afterStep: after)
        XCTAssertEqual(passCounts, [3, 3, 3])
        XCTAssertLessThan(relativeL2(x, try f.tensor("fixture.sampled")), 1e-5)
    }

    func testUncachedMMDiTMatchesTheTorchReference() throws { try checkUncached("dit_tiny") }
    func testCachedMMDiTMatchesTheTorchReference() throws { try checkCached("dit_tiny") }

    /// A distilled student (`dit.guidance_embedding`, `dit.step_embedding`): per-pass scales and step sizes through
    /// its sampling embedding; it also has `dit.reference_input`, on in two passes and off in two, and
    /// `audio.band_positions`.
    func testDistilledStudentMatchesTheTorchReference() throws {
        let f = try loadDiT("dit_tiny_student")
        XCTAssertNotNil(f.dit.samplingEmbedding)
        XCTAssertTrue(f.config.dit.referenceInput, "the student fixture also checks the pixel-aligned reference input")
        XCTAssertNotNil(f.dit.audioPositions, "the student fixture also checks the audio band positions")
        XCTAssertEqual(try f.controls?.count, 4)
        try checkUncached("dit_tiny_student")
        try checkCached("dit_tiny_student")
        // The scales matter at this tolerance: without them the velocity is far off.
        let unguided = f.dit.velocityUncached(inputs: try f.inputs(), sigmas: try f.sigmas, passes: try f.passes,
                                              referenceLatent: try f.tensor("fixture.reference"), textStates: try f.tensor("fixture.text"),
                                              audioFeatures: try f.tensor("fixture.audio"))
        XCTAssertGreaterThan(relativeL2(unguided, try f.tensor("fixture.velocity")), 1e-3)
    }

    // MARK: - Pose condition maps

    struct PoseMapCase: Decodable {
        let canvas: [Int]
        let size: [Int]
        let jointSigma: Float?
        let limbSigma: Float?
    }

    /// `PoseRendering.maps` against `omnitorch.pose_maps` (which the PyTorch DiT trainer draws its pose
    /// conditions with): seeded poses with missing joints, a zero-length limb and joints off the canvas, canvases
    /// other than the output, non-square outputs, default and explicit σ. Both compute in float64 and round to
    /// float32, so they agree to float32 rounding.
    func testPoseMapsMatchTheTorchReference() throws {
        let file = try SafetensorsFile(path: Self.fixtures.appendingPathComponent("pose_maps.safetensors").path)
        let json = try XCTUnwrap(file.metadata["cases"]).data(using: .utf8)!
        let decoder = JSONDecoder()
        decoder.keyDecodingStrategy = .convertFromSnakeCase
        let cases = try decoder.decode([PoseMapCase].self, from: json)
        XCTAssertEqual(cases.count, 2)
        var worst: Float = 0
        for (i, c) in cases.enumerated() {
            let keypoints = try file.readFloats("case\(i).keypoints"), expected = try file.readFloats("case\(i).maps")
            let poses = try file.info("case\(i).keypoints").shape[0], (w, h) = (c.size[0], c.size[1])
            let perPose = h * w * PoseMaps.channelCount
            XCTAssertEqual(expected.count, poses * perPose)
            for n in 0..<poses {
                let frame = PoseFrame(keypoints: (0..<18).map { j in
                    let k = (n * 18 + j) * 3
                    return PoseKeypoint(x: keypoints[k], y: keypoints[k + 1], confidence: keypoints[k + 2])
                })
                let maps = PoseRendering.maps(frame, canvasWidth: c.canvas[0], canvasHeight: c.canvas[1], width: w, height: h,
                                              jointSigma: c.jointSigma, limbSigma: c.limbSigma)
                for (a, b) in zip(maps.values, expected[(n * perPose)..<((n + 1) * perPose)]) { worst = max(worst, abs(a - b)) }
            }
        }
        XCTAssertLessThanOrEqual(worst, 1e-5, "max abs difference \(worst)")
    }

    /// The other direction: a model folder written by `omnitorch` (`Fixtures/generation_tiny`, from
    /// `python -m omnitorch.fixtures --only generation_tiny/expected`) opens here and generates the video
    /// `omnitorch.generate` made from it — three segments (the first continuing from the reference held still, two
    /// continuations from the last five delivered frames), the Philox noise of each segment, four Euler steps, the
    /// pixel-aligned reference input, one decoder stream. The 8-bit frames may differ by rounding only: float32
    /// here against float64 there can put a value on the other side of a .5, and a motion frame carries that on.
    func testAFolderWrittenByOmnitorchGeneratesTheSameFrames() throws {
        let folder = Self.fixtures.appendingPathComponent("generation_tiny")
        let expected = try SafetensorsFile(path: folder.appendingPathComponent("expected.safetensors").path)
        let shape = try expected.info("fixture.frames").shape
        let truth = try expected.readFloats("fixture.frames").map { UInt8($0) }
        let reference = RGBImage(width: 32, height: 32, pixels: try expected.readFloats("fixture.reference").map { UInt8($0) })
        let scratch = FileManager.default.temporaryDirectory.appendingPathComponent("omnitorch-generation-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: scratch, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: scratch) }
        let referencePath = scratch.appendingPathComponent("reference.png").path
        try ImageFile.writePNG(reference, to: referencePath)

        let model = try LoadedModel.load(folder.path)
        func generate(motionNoise: Double?) throws -> [RGBImage] {
            var r = GenerationRequest(model: folder.path, seed: 5, width: 32, height: 32, duration: Double(shape[0]) / 25)
            r.reference = .init(enabled: true, path: referencePath)
            r.motionNoise = motionNoise
            var frames: [RGBImage] = []
            try Generation(request: r, model: model).frames({ _ in }, deliver: { _, frame in frames.append(frame) })
            return frames
        }
        func compare(_ frames: [RGBImage], _ truth: [UInt8], _ what: String) {
            XCTAssertEqual(frames.count, shape[0], what)
            let made = frames.flatMap(\.pixels)
            XCTAssertEqual(made.count, truth.count, what)
            var worst = 0, off = 0
            for (a, b) in zip(made, truth) {
                let d = abs(Int(a) - Int(b))
                worst = max(worst, d)
                if d > 0 { off += 1 }
            }
            XCTAssertLessThanOrEqual(worst, 1, "\(what): largest difference in 8-bit levels")
            XCTAssertLessThan(Double(off) / Double(truth.count), 0.001, "\(what): \(off) of \(truth.count) values differ")
        }
        let frames = try generate(motionNoise: nil)
        compare(frames, truth, "plain")
        // Not a still picture: the frames move, so matching them says something.
        XCTAssertGreaterThan(zip(frames[0].pixels, frames[16].pixels).filter { $0 != $1 }.count, truth.count / shape[0] / 4)

        // motion_noise: the continuations' given motion latents mixed with their own noise stream, the same there.
        let noisyTruth = try expected.readFloats("fixture.frames_motion_noise").map { UInt8($0) }
        let noisy = try generate(motionNoise: 0.3)
        compare(noisy, noisyTruth, "motion_noise 0.3")
        let firstSegment = 9 * 32 * 32 * 3
        XCTAssertEqual(Array(noisy.flatMap(\.pixels).prefix(firstSegment)), Array(frames.flatMap(\.pixels).prefix(firstSegment)),
                       "the first segment (the held reference) is left clean")
        XCTAssertGreaterThan(zip(noisy.flatMap(\.pixels), frames.flatMap(\.pixels)).filter { $0 != $1 }.count, truth.count / 20,
                             "the continuations change")
    }
}
