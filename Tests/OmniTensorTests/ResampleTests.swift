import XCTest
@testable import OmniTensor

/// Nearest ×2 up-sampling, the channels ↔ frames interleave, and patchify/unpatchify: values, exact inverses,
/// finite-difference gradients.
final class ResampleTests: XCTestCase {
    var rng = TestRandom(23)

    func testUpsampleNearest2xValues() {
        // [1, 2, 3, 2]: pixel (y, x) holds channels (10y + x, −(10y + x)).
        let x = Tensor([0, 0, 1, -1, 2, -2, 10, -10, 11, -11, 12, -12], shape: [1, 2, 3, 2])
        let y = x.upsampleNearest2x()
        XCTAssertEqual(y.shape, [1, 4, 6, 2])
        for oy in 0..<4 {
            for ox in 0..<6 {
                let v = Float(10 * (oy / 2) + ox / 2)
                XCTAssertEqual(y.data[(oy * 6 + ox) * 2], v)
                XCTAssertEqual(y.data[(oy * 6 + ox) * 2 + 1], -v)
            }
        }
        // Leading dimensions are kept: [T, B, H, W, C].
        XCTAssertEqual(rng.tensor([2, 3, 1, 5, 4]).upsampleNearest2x().shape, [2, 3, 2, 10, 4])
    }

    func testUpsampleNearest2xGradient() {
        for shape in [[1, 1, 1, 1], [2, 3, 1, 3], [1, 1, 5, 5], [3, 2, 3, 1]] {
            GradCheck.check([rng.tensor(shape)]) { $0[0].upsampleNearest2x() }
        }
    }

    func testChannelsToFramesInterleavesHalvesInTime() {
        // [T = 2, H = 1, W = 2, 2·C = 4]: frame 2t + i takes channels i·2 ..< (i+1)·2 of frame t.
        let x = Tensor((0..<16).map(Float.init), shape: [2, 1, 2, 4])
        let y = x.channelsToFrames(2)
        XCTAssertEqual(y.shape, [4, 1, 2, 2])
        XCTAssertEqual(y.values, [0, 1, 4, 5,  2, 3, 6, 7,  8, 9, 12, 13,  10, 11, 14, 15])
        XCTAssertEqual(y.framesToChannels(2).values, x.values)
        // Batched, odd sizes, factor 3: an exact inverse.
        let b = rng.tensor([2, 3, 1, 3, 6])
        XCTAssertEqual(b.channelsToFrames(3).shape, [2, 9, 1, 3, 2])
        XCTAssertEqual(b.channelsToFrames(3).framesToChannels(3).values, b.values)
        GradCheck.check([rng.tensor([3, 1, 3, 4])]) { $0[0].channelsToFrames(2) }
        GradCheck.check([rng.tensor([2, 4, 3, 1, 1])]) { $0[0].framesToChannels(2) }
    }

    func testPatchifyLayoutAndInverse() {
        // [T = 2, H = 2, W = 4, C = 1] with patch (1, 2, 2): 4 tokens of 4 features (ih, iw).
        let x = Tensor((0..<16).map(Float.init), shape: [2, 2, 4, 1])
        let tokens = x.patchify(PatchSize(frames: 1, height: 2, width: 2))
        XCTAssertEqual(tokens.shape, [4, 4])
        XCTAssertEqual(tokens.values, [0, 1, 4, 5,  2, 3, 6, 7,  8, 9, 12, 13,  10, 11, 14, 15])
        for (shape, patch) in [([4, 6, 3, 5], PatchSize(frames: 2, height: 3, width: 1)),
                               ([2, 3, 4, 2, 3], PatchSize(frames: 1, height: 2, width: 2)),
                               ([1, 1, 1, 1], PatchSize(frames: 1, height: 1, width: 1)),
                               ([3, 2, 2, 1], PatchSize(frames: 3, height: 2, width: 2))] {
            let v = rng.tensor(shape)
            let p = v.patchify(patch)
            let n = (shape[shape.count - 4] / patch.frames) * (shape[shape.count - 3] / patch.height) * (shape[shape.count - 2] / patch.width)
            XCTAssertEqual(Array(p.shape.suffix(2)), [n, patch.volume * shape.last!])
            let back = p.unpatchify(patch, frames: shape[shape.count - 4], height: shape[shape.count - 3], width: shape[shape.count - 2])
            XCTAssertEqual(back.shape, shape)
            XCTAssertEqual(back.values, v.values)
        }
    }

    func testPatchifyGradients() {
        let patch = PatchSize(frames: 1, height: 2, width: 2)
        GradCheck.check([rng.tensor([3, 2, 4, 3])]) { $0[0].patchify(patch) }
        GradCheck.check([rng.tensor([2, 2, 6, 3, 1])]) { $0[0].patchify(PatchSize(frames: 2, height: 1, width: 3)) }
        GradCheck.check([rng.tensor([6, 12])]) { $0[0].unpatchify(patch, frames: 3, height: 2, width: 4) }
    }
}
