import XCTest
import OmniMedia
@testable import OmniModel
@testable import OmniTensor

final class PoseGuiderTests: XCTestCase {
    let config = ModelConfig.tiny
    lazy var guider: PoseGuider = {
        let g = PoseGuider(config: config)
        RandomWeights.fill(g, seed: 21)
        return g
    }()

    func maps(_ frames: Int, _ height: Int = 16, _ width: Int = 24, seed: UInt64 = 1) -> Tensor {
        let t = Tensor(uninitialized: [frames, height, width, 35])
        RandomStream(seed: seed).fillUniform(t.buffer)
        return t
    }

    func maxDifference(_ a: Tensor, _ b: Tensor) -> Float {
        XCTAssertEqual(a.shape, b.shape)
        return zip(a.values, b.values).map { abs($0 - $1) }.max() ?? 0
    }

    func testOutputShapeIsTheLatentGrid() {
        let out = guider(maps(9))
        // The tiny VAE divides by 4 in space: 16×24 pixels → a 4×6 latent grid.
        XCTAssertEqual(out.shape, [3, 4, 6, config.pose.featureChannels])
        XCTAssertTrue(out.values.allSatisfy(\.isFinite))
        XCTAssertGreaterThan(out.values.map(abs).max() ?? 0, 1e-4)
        XCTAssertEqual(guider(maps(1)).shape, [1, 4, 6, 4])
        let batched = guider(Tensor.concat([maps(5, seed: 2).reshaped([1, 5, 16, 24, 35]), maps(5, seed: 3).reshaped([1, 5, 16, 24, 35])], axis: 0))
        XCTAssertEqual(batched.shape, [2, 2, 4, 6, 4])
        XCTAssertLessThanOrEqual(maxDifference(batched.slice(axis: 0, 1..<2).reshaped([2, 4, 6, 4]), guider(maps(5, seed: 3))), 1e-5)
    }

    func testLaterFramesDoNotChangeEarlierFeatures() {
        let x = maps(13, seed: 4)
        let whole = guider(x)
        for k in 0..<3 {
            let prefix = guider(x.slice(axis: 0, 0..<(1 + 4 * k)))
            XCTAssertLessThanOrEqual(maxDifference(prefix, whole.slice(axis: 0, 0..<(1 + k))), 1e-5)
        }
        let changed = x.detached()
        for i in (5 * 16 * 24 * 35)..<changed.count { changed.data[i] = 1 - changed.data[i] }
        let other = guider(changed)
        XCTAssertLessThanOrEqual(maxDifference(other.slice(axis: 0, 0..<2), whole.slice(axis: 0, 0..<2)), 1e-6)
        XCTAssertGreaterThan(maxDifference(other.slice(axis: 0, 2..<4), whole.slice(axis: 0, 2..<4)), 1e-5)
    }

    func testZeroInitialisedOutputAndKeys() {
        let g = PoseGuider(config: config)
        RandomWeights.fill(g, seed: 22)
        g.zeroInitializeOutput()
        XCTAssertTrue(g(maps(5)).values.allSatisfy { $0 == 0 })
        let keys = g.namedTensors().map(\.key)
        // The tiny VAE's two down-sampling stages both halve time; the guider mirrors them, one stage each.
        for key in ["stages.0.conv.weight", "stages.0.downsample.spatial.weight", "stages.0.downsample.time.weight",
                    "stages.1.downsample.time.weight", "convOut.weight", "convOut.bias"] {
            XCTAssertTrue(keys.contains(key), key)
        }
        XCTAssertFalse(keys.contains { $0.hasPrefix("stages.2.") })
    }

    func testInputStacksPoseMaps() {
        let frames = (0..<3).map { f in PoseMaps(width: 8, height: 8, values: (0..<(8 * 8 * 35)).map { Float($0 % 97) / 97 + Float(f) }) }
        let x = PoseGuider.input(frames)
        XCTAssertEqual(x.shape, [3, 8, 8, 35])
        XCTAssertEqual(x.data[(2 * 64 + 3 * 8 + 5) * 35 + 20], frames[2][5, 3, 20])
    }
}
