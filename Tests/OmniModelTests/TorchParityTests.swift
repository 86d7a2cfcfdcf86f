import Foundation
import XCTest
@testable import OmniModel
@testable import OmniTensor

/// The Swift VAE against the PyTorch reference (`python/omnitorch`): fixtures written by
/// `python -m omnitorch.fixtures` hold seeded weights, an input video and the reference's posterior and decode
/// (computed in float64). Swift must reproduce them from the same checkpoint keys and layouts.
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
}
