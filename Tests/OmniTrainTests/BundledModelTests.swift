import Foundation
import XCTest
import OmniMedia
import OmniModel
import OmniWorld

/// The model the repository ships, `Models/omni-mini`: it loads strictly, fits the 40 MB budget, carries the
/// latent statistics measured at the end of stage 0, is a one-pass student whose default is its 4-step fast sampler
/// (its 3-pass teacher ships beside it in `Models/omni-mini-teacher`), and on a held-out puppet clip (seed 9001, the
/// eval set's first) its VAE and its reference + pose generation at that default are far above untrained weights,
/// and the generation beats holding the reference still. Floors sit about 2 dB under the values measured when the
/// model was made (in the messages), so they catch a wrong or damaged checkpoint; the whole eval is in
/// `Models/omni-mini/MODEL.md`.
final class BundledModelTests: XCTestCase {
    static let folder = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("Models/omni-mini")
    static let model: LoadedModel = try! LoadedModel.load(folder.path)
    /// One 25-frame segment of a held-out clip at the model's first bucket.
    static let clip: Clip = {
        let size = FrameSize(width: model.config.video.sizes[0][0], height: model.config.video.sizes[0][1])
        return Clip.render(ClipSpec.random(seed: 9001, size: size, duration: 1.0, fps: model.config.video.fps))
    }()

    func testLoadsStrictlyWithinTheSizeBudgetWithMeasuredLatentStatistics() throws {
        let weights = Self.folder.appendingPathComponent("model.safetensors").path
        let bytes = try XCTUnwrap(FileManager.default.attributesOfItem(atPath: weights)[.size] as? Int)
        XCTAssertLessThanOrEqual(bytes, 40_000_000)
        let vae = Self.model.config.vae
        XCTAssertNotEqual(vae.latentStd, Array(repeating: 1, count: vae.zChannels), "latent statistics are the placeholders")
        XCTAssertTrue(vae.latentStd.allSatisfy { $0 > 0.05 && $0 < 20 })
        XCTAssertEqual(Self.model.config.video.segmentFrames, 25)
        for file in ["MODEL.md", "samples.png"] {
            XCTAssertTrue(FileManager.default.fileExists(atPath: Self.folder.appendingPathComponent(file).path), file)
        }
    }

    func testIsAFastStudentWithItsTeacherBeside() throws {
        let config = Self.model.config
        XCTAssertTrue(config.dit.guidanceEmbedding && config.dit.stepEmbedding, "a one-pass shortcut student")
        XCTAssertEqual(config.sampling.speed, .fast)
        XCTAssertEqual(config.sampling.fastSteps, 4)
        let teacher = try LoadedModel.load(Self.folder.deletingLastPathComponent().appendingPathComponent("omni-mini-teacher").path)
        XCTAssertFalse(teacher.config.dit.guidanceEmbedding, "the teacher guides with separate passes")
        XCTAssertEqual(teacher.config.vae, config.vae, "student and teacher share the VAE")
    }

    func testVAEReconstructsAHeldOutClip() throws {
        let vae = Self.model.vae
        let frames = Self.clip.frames
        let decoded = FrameTensor.frames(try vae.decode(vae.encode(FrameTensor.tensor(frames)).mean))
        let psnr = ImageMetrics.psnr(decoded, frames)
        XCTAssertGreaterThan(psnr, 23, "measured 25.5 dB for this (÷4) VAE; the first bundled ÷8 VAE 22.1 dB; untrained random:mini weights give 7.8 dB")
    }

    func testReferencePlusPoseGenerationKeepsTheCharacter() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("omnistudio-bundled-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: dir) }
        let inputs = try EvalInputs.write(Self.clip, into: dir.path)
        let size = Self.clip.spec.size
        var request = GenerationRequest(model: Self.folder.path, seed: 0, fps: Self.clip.spec.fps, width: size.width,
                                        height: size.height, duration: 1.0)
        request.reference = .init(enabled: true, path: inputs.reference)
        request.pose = .init(enabled: true, path: inputs.pose, retarget: false)   // scored against the clip it was drawn on
        var frames: [RGBImage] = []
        var failure: ModelError?
        Generation(request: request, model: Self.model, outputFolder: dir.appendingPathComponent("run")).run { event in
            switch event {
            case .segmentDone(_, _, let f): frames += f
            case .failed(let e): failure = e
            default: break
            }
        }
        if let failure { throw failure }
        XCTAssertEqual(frames.count, Self.clip.frames.count)
        let generated = ImageMetrics.psnr(frames, Self.clip.frames)
        let still = ImageMetrics.psnr(Array(repeating: Self.clip.reference, count: frames.count), Self.clip.frames)
        XCTAssertGreaterThan(generated, 14.5, "measured 16.6 dB at the student's 4-step default (its teacher: 16.7); random:mini gives 8.1 dB")
        XCTAssertGreaterThan(generated, still + 0.5, "measured 16.6 dB against the still reference's 15.0 dB")
    }
}
