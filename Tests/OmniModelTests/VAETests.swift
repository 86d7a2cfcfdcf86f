import XCTest
@testable import OmniModel
@testable import OmniTensor

final class VAETests: XCTestCase {
    static let config = ModelConfig.tiny.vae
    /// One random tiny VAE for the whole class (building and filling it is cheap, but keep tests short).
    nonisolated(unsafe) static let vae: CausalVAE = {
        let v = CausalVAE(config: config)
        RandomWeights.fill(v, seed: 11)
        return v
    }()
    var vae: CausalVAE { Self.vae }
    /// The tiny shape with its encoder grown to two residual blocks a stage (`vae.encoder_res_blocks`).
    static let grownConfig: VAEConfig = {
        var grown = VAETests.config
        grown.encoderResBlocks = 2
        return grown
    }()

    /// Uniform video in [−1, 1].
    func video(_ frames: Int, _ height: Int = 16, _ width: Int = 16, seed: UInt64 = 1) -> Tensor {
        let t = Tensor(uninitialized: [frames, height, width, 3])
        RandomStream(seed: seed).fillUniform(t.buffer, low: -1, high: 1)
        return t
    }

    func normal(_ shape: [Int], seed: UInt64, std: Float = 1) -> Tensor {
        let t = Tensor(uninitialized: shape)
        RandomStream(seed: seed).fillNormal(t.buffer, std: std)
        return t
    }

    func maxDifference(_ a: Tensor, _ b: Tensor, file: StaticString = #filePath, line: UInt = #line) -> Float {
        XCTAssertEqual(a.shape, b.shape, file: file, line: line)
        guard a.shape == b.shape else { return .infinity }
        return zip(a.values, b.values).map { abs($0 - $1) }.max() ?? 0
    }

    // MARK: - Causality and chunking

    func testFirstFrameAloneEncodesToTheFirstLatent() throws {
        let x = video(9)
        let whole = try vae.encode(x)
        XCTAssertEqual(whole.mean.shape, [3, 4, 4, 4])   // 16×16 pixels ÷ 4
        let first = try vae.encode(x.slice(axis: 0, 0..<1))
        XCTAssertEqual(first.mean.shape, [1, 4, 4, 4])
        XCTAssertLessThanOrEqual(maxDifference(first.mean, whole.mean.slice(axis: 0, 0..<1)), 1e-5)
        XCTAssertLessThanOrEqual(maxDifference(first.logVariance, whole.logVariance.slice(axis: 0, 0..<1)), 1e-5)
    }

    func testPrefixesEncodeToTheFirstLatentsOfALongerClip() throws {
        let x = video(13, 16, 24, seed: 2)
        let whole = try vae.encode(x).mean
        XCTAssertEqual(whole.shape, [4, 4, 6, 4])
        for k in 0..<3 {
            let prefix = try vae.encode(x.slice(axis: 0, 0..<(1 + 4 * k))).mean
            XCTAssertLessThanOrEqual(maxDifference(prefix, whole.slice(axis: 0, 0..<(1 + k))), 1e-5, "1 + 4·\(k) frames")
        }
        // Changing later frames leaves the earlier latents alone.
        let changed = x.detached()
        for i in (9 * 16 * 24 * 3)..<changed.count { changed.data[i] = -changed.data[i] }
        let other = try vae.encode(changed).mean
        XCTAssertLessThanOrEqual(maxDifference(other.slice(axis: 0, 0..<3), whole.slice(axis: 0, 0..<3)), 1e-6)
        XCTAssertGreaterThan(maxDifference(other.slice(axis: 0, 3..<4), whole.slice(axis: 0, 3..<4)), 1e-4)
    }

    func testChunkedEncodeEqualsWholeEncode() throws {
        for (h, w) in [(16, 16), (24, 16)] {
            let x = video(13, h, w, seed: 3)
            let whole = try vae.encode(x), chunked = try vae.encodeChunked(x)
            XCTAssertLessThanOrEqual(maxDifference(whole.mean, chunked.mean), 1e-5)
            XCTAssertLessThanOrEqual(maxDifference(whole.logVariance, chunked.logVariance), 1e-5)
        }
        // A stream fed a first chunk of 5 frames, then 8, gives the same latents.
        let x = video(13, seed: 4)
        var stream = vae.encoderStream()
        let a = try stream.encode(x.slice(axis: 0, 0..<5)).mean, b = try stream.encode(x.slice(axis: 0, 5..<13)).mean
        XCTAssertEqual(stream.framesEncoded, 13)
        XCTAssertLessThanOrEqual(maxDifference(Tensor.concat([a, b], axis: 0), try vae.encode(x).mean), 1e-5)
    }

    /// An encoder grown to two residual blocks a stage (`vae.encoder_res_blocks`) streams like the one it grew from.
    func testGrownEncoderChunkedEqualsWhole() throws {
        let grown = CausalVAE(config: Self.grownConfig)
        RandomWeights.fill(grown, seed: 12)
        XCTAssertEqual(grown.encoder.stages.map(\.blocks.count), [2, 2, 2])
        XCTAssertEqual(grown.decoder.stages.map(\.blocks.count), [2, 2, 2], "the decoder keeps res_blocks + 1")
        let x = video(13, 16, 24, seed: 3)
        let whole = try grown.encode(x), chunked = try grown.encodeChunked(x)
        XCTAssertLessThanOrEqual(maxDifference(whole.mean, chunked.mean), 1e-5)
        XCTAssertLessThanOrEqual(maxDifference(whole.logVariance, chunked.logVariance), 1e-5)
    }

    /// Folders written before the field have no `encoder_res_blocks` and mean `res_blocks`; a grown encoder's folder
    /// names it, and both round-trip through config.json unchanged.
    func testEncoderResBlocksIsOptionalInConfigJSON() throws {
        let decoder = JSONDecoder()
        decoder.keyDecodingStrategy = .convertFromSnakeCase
        let plain = String(decoding: ModelConfig.mini.encoded(), as: UTF8.self)
        XCTAssertFalse(plain.contains("encoder_res_blocks"))
        let old = try decoder.decode(ModelConfig.self, from: Data(plain.utf8))
        XCTAssertNil(old.vae.encoderResBlocks)
        XCTAssertEqual(old.vae.encoderBlocks, old.vae.resBlocks)
        var grown = ModelConfig.mini
        grown.vae.encoderResBlocks = 2
        let json = String(decoding: grown.encoded(), as: UTF8.self)
        XCTAssertTrue(json.contains("\"encoder_res_blocks\" : 2"), json)
        XCTAssertEqual(try decoder.decode(ModelConfig.self, from: Data(json.utf8)), grown)
    }

    /// A VAE file from `python -m omnitorch.train_vae` names its shape in the `vae_config` metadata (config.json's
    /// `vae` object); `train vae --from-vae` takes the shape from there. No entry: nil; a malformed one: an error
    /// naming the file and the key.
    func testVAEConfigStoredInFileMetadata() throws {
        let encoder = JSONEncoder()
        encoder.keyEncodingStrategy = .convertToSnakeCase
        let json = String(decoding: try encoder.encode(Self.grownConfig), as: UTF8.self)
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("vae-meta-\(getpid())").path
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        func file(_ metadata: [String: String]) throws -> (SafetensorsFile, String) {
            let path = (dir as NSString).appendingPathComponent("\(metadata.count)-\(metadata.values.joined().count).safetensors")
            var writer = SafetensorsWriter(metadata: metadata)
            writer.add("vae.x", shape: [2], values: [1, 2])
            try writer.write(to: path)
            return (try SafetensorsFile(path: path), path)
        }
        let (stored, _) = try file(["vae_config": json, "steps": "3"])
        XCTAssertEqual(try VAEConfig.stored(in: stored), Self.grownConfig)
        let (plain, _) = try file(["steps": "3"])
        XCTAssertNil(try VAEConfig.stored(in: plain))
        let (broken, brokenPath) = try file(["vae_config": "{\"base_channels\": 8}"])
        XCTAssertThrowsError(try VAEConfig.stored(in: broken)) { error in
            let text = "\(error)"
            XCTAssertTrue(text.contains(brokenPath) && text.contains("vae_config") && text.contains("channel_multipliers"), text)
        }
    }

    func testChunkedDecodeEqualsWholeDecode() {
        let z = normal([4, 4, 6, 4], seed: 5)
        let whole = vae.decode(z)
        XCTAssertEqual(whole.shape, [13, 16, 24, 3])
        XCTAssertLessThanOrEqual(maxDifference(whole, vae.decodeChunked(z)), 1e-5)

        // Streaming one latent frame at a time: 1 frame, then 4 each.
        var stream = vae.decoderStream()
        var counts: [Int] = [], parts: [Tensor] = []
        for j in 0..<4 {
            let frames = stream.decode(latentFrame: z.slice(axis: 0, j..<(j + 1)).reshaped([4, 6, 4]))
            counts.append(frames.shape[0]); parts.append(frames)
        }
        XCTAssertEqual(counts, [1, 4, 4, 4])
        XCTAssertEqual(stream.latentFramesDecoded, 4)
        XCTAssertLessThanOrEqual(maxDifference(Tensor.concat(parts, axis: 0), whole), 1e-5)

        // After reset, and in a fresh stream, a new segment starts from zero caches.
        let other = normal([3, 2, 3, 4], seed: 6)
        let expected = vae.decode(other)
        stream.reset()
        let afterReset = Tensor.concat((0..<3).map { stream.decode(latentFrames: other.slice(axis: 0, $0..<($0 + 1))) }, axis: 0)
        XCTAssertLessThanOrEqual(maxDifference(afterReset, expected), 1e-5)
        var fresh = vae.decoderStream()
        XCTAssertLessThanOrEqual(maxDifference(fresh.decode(latentFrames: other), expected), 1e-5)
    }

    func testBatchedEqualsOneByOne() throws {
        let a = video(5, seed: 7), b = video(5, seed: 8)
        let both = try vae.encode(Tensor.concat([a.reshaped([1] + a.shape), b.reshaped([1] + b.shape)], axis: 0)).mean
        XCTAssertEqual(both.shape, [2, 2, 4, 4, 4])
        XCTAssertLessThanOrEqual(maxDifference(both.slice(axis: 0, 1..<2).reshaped([2, 4, 4, 4]), try vae.encode(b).mean), 1e-5)
        let decoded = vae.decode(both)
        XCTAssertEqual(decoded.shape, [2, 5, 16, 16, 3])
        // Batched GEMMs block differently: allow a little more rounding.
        XCTAssertLessThanOrEqual(maxDifference(decoded.slice(axis: 0, 0..<1).reshaped([5, 16, 16, 3]),
                                               vae.decode(try vae.encode(a).mean)), 1e-4)
    }

    // MARK: - Frame counts, range, normalisation

    func testFrameCountRules() throws {
        let latents = try vae.encode(video(9)).mean
        XCTAssertEqual(latents.shape[0], 3)
        XCTAssertEqual(vae.decode(latents).shape, [9, 16, 16, 3])
        XCTAssertEqual(try vae.latentFrameCount(frames: 25), 7)
        XCTAssertEqual(vae.frameCount(latentFrames: 7), 25)
        XCTAssertEqual(vae.temporalFactor, 4)
        XCTAssertEqual(vae.spatialFactor, 4)
        for frames in [8, 10, 2] {
            XCTAssertThrowsError(try vae.encode(video(frames))) { error in
                XCTAssertTrue("\(error)".contains("1 + 4k"), "\(error)")
            }
        }
        XCTAssertThrowsError(try vae.encode(video(5, 10, 16))) { XCTAssertTrue("\($0)".contains("multiple of 4"), "\($0)") }
        XCTAssertThrowsError(try vae.encodeChunked(video(6)))
        var stream = vae.encoderStream()
        XCTAssertThrowsError(try stream.encode(video(2)))
        _ = try stream.encode(video(1))
        XCTAssertThrowsError(try stream.encode(video(3))) { XCTAssertTrue("\($0)".contains("multiple of 4"), "\($0)") }
    }

    func testDecodedPixelsStayInRange() {
        let z = normal([2, 2, 2, 4], seed: 9, std: 30)
        let clamped = vae.decode(z)
        XCTAssertTrue(clamped.values.allSatisfy { $0 >= -1 && $0 <= 1 })
        let raw = vae.decode(z, clamp: false)
        XCTAssertTrue(raw.values.allSatisfy(\.isFinite))
        var stream = vae.decoderStream()
        XCTAssertTrue(stream.decode(latentFrames: z).values.allSatisfy { $0 >= -1 && $0 <= 1 })
    }

    func testRandomWeightsGiveTameOutputs() throws {
        for config in [ModelConfig.tiny.vae, ModelConfig.mini.vae] {
            let model = CausalVAE(config: config)
            RandomWeights.fill(model, seed: 3)
            let encoding = try model.encode(video(5, 16, 16))
            let decoded = model.decode(encoding.mean, clamp: false)
            for t in [encoding.mean, encoding.logVariance, decoded] {
                let v = t.values
                XCTAssertTrue(v.allSatisfy(\.isFinite))
                let rms = (v.reduce(0) { $0 + $1 * $1 } / Float(v.count)).squareRoot()
                XCTAssertLessThan(rms, 10, "\(config.baseChannels): rms \(rms)")
                XCTAssertGreaterThan(rms, 1e-3)
            }
        }
    }

    func testNormalizeRoundTrip() {
        var config = Self.config
        config.latentMean = [0.5, -1, 2, 0]
        config.latentStd = [2, 0.5, 1, 4]
        let model = CausalVAE(config: config)
        let z = normal([3, 2, 2, 4], seed: 10)
        let n = model.normalize(z)
        XCTAssertEqual(n.data[0], (z.data[0] - 0.5) / 2, accuracy: 1e-6)
        XCTAssertEqual(n.data[1], (z.data[1] + 1) / 0.5, accuracy: 1e-6)
        XCTAssertLessThanOrEqual(maxDifference(model.denormalize(n), z), 1e-5)
    }

    func testSamplingAndKL() throws {
        let encoding = try vae.encode(video(5))
        var rng = RandomStream(seed: 12)
        let a = encoding.sample(&rng), b = encoding.sample(&rng)
        XCTAssertEqual(rng.normalPosition, UInt64(2 * a.count))
        XCTAssertGreaterThan(maxDifference(a, b), 1e-3)
        let zero = VAEEncoding(mean: Tensor(zeros: [4]), logVariance: Tensor(zeros: [4]))
        XCTAssertEqual(zero.klDivergence().item, 0, accuracy: 1e-7)
        let shifted = VAEEncoding(mean: Tensor([1, 1], shape: [2]), logVariance: Tensor([0, 0], shape: [2]))
        XCTAssertEqual(shifted.klDivergence().item, 0.5, accuracy: 1e-6)
        XCTAssertLessThanOrEqual(maxDifference(zero.sample(noise: Tensor([1, 2, 3, 4], shape: [4])), Tensor([1, 2, 3, 4], shape: [4])), 0)
    }

    // MARK: - Keys and gradients

    func testCheckpointKeysAreThePropertyPaths() {
        let keys = Set(vae.namedTensors().map(\.key))
        // The tiny shape: three stages, two down-sampling steps, both also halving time (the ÷4 VAE).
        for key in ["encoder.convIn.weight", "encoder.stages.0.blocks.0.conv1.weight", "encoder.stages.1.blocks.0.shortcut.weight",
                    "encoder.stages.0.downsample.spatial.weight", "encoder.stages.0.downsample.time.weight",
                    "encoder.stages.1.downsample.time.weight", "encoder.middle.block1.norm1.weight", "encoder.convOut.bias",
                    "decoder.convIn.weight", "decoder.stages.0.blocks.1.conv2.weight", "decoder.stages.0.upsample.time.weight",
                    "decoder.stages.1.upsample.spatial.weight", "decoder.normOut.weight", "preview.weight", "preview.bias"] {
            XCTAssertTrue(keys.contains(key), key)
        }
        XCTAssertFalse(keys.contains { $0.hasPrefix("encoder.stages.2.downsample") })
        XCTAssertFalse(keys.contains { $0.hasPrefix("decoder.stages.2.upsample") })
        XCTAssertEqual(vae.namedTensors().count, keys.count)
    }

    func testEncoderDecoderGradients() {
        checkGradients(config: Self.config, extra: [])
    }

    /// The grown encoder's added blocks (`vae.encoder_res_blocks`) train like the rest.
    func testGrownEncoderGradients() {
        checkGradients(config: Self.grownConfig, extra: ["encoder.stages.0.blocks.1.conv2.weight", "encoder.stages.2.blocks.1.norm1.weight"])
    }

    func checkGradients(config: VAEConfig, extra: [String], file: StaticString = #filePath, line: UInt = #line) {
        let model = CausalVAE(config: config)
        RandomWeights.fill(model, seed: 13, vectorStd: 0.1)
        let x = video(5, 8, 8, seed: 14)
        let noise = normal([2, 2, 2, 4], seed: 15)   // 5 frames of 8×8 → 2 latent frames of 2×2
        func forward() -> (decoded: Tensor, encoding: VAEEncoding) {
            let e = try! model.encode(x)
            return (model.decode(e.sample(noise: noise), clamp: false), e)
        }
        let named = Dictionary(uniqueKeysWithValues: model.namedTensors().map { ($0.key, $0.tensor) })
        let names = ["encoder.convIn.weight", "encoder.stages.1.downsample.time.weight", "encoder.stages.0.blocks.0.norm1.weight",
                     "encoder.convOut.bias", "decoder.stages.0.upsample.time.weight", "decoder.convOut.weight"] + extra
        let parameters = names.map { (name: $0, tensor: named[$0]!) }
        ModelGradCheck.check(parameters, file: file, line: line, loss: {
            let (y, e) = forward()
            return y.mseLoss(x) + e.klDivergence().scaled(0.1)
        }, numericLoss: {
            let (y, e) = forward()
            var mse = 0.0, kl = 0.0
            for i in 0..<y.count { let d = Double(y.data[i] - x.data[i]); mse += d * d }
            for i in 0..<e.mean.count {
                let m = Double(e.mean.data[i]), lv = Double(e.logVariance.data[i])
                kl += 0.5 * (m * m + Foundation.exp(lv) - 1 - lv)
            }
            return mse / Double(y.count) + 0.1 * kl / Double(e.mean.count)
        })
    }

    // MARK: - Latent preview

    func testPreviewFitRecoversAnAffineMap() {
        let preview = LatentPreview(zChannels: 4)
        let latents = normal([2, 4, 4, 4], seed: 16)
        let a: [Float] = [0.5, -0.2, 0.1, 0.3, -0.4, 0.25, 0, 0.6, 0.15, 0.05, -0.3, -0.1], b: [Float] = [0.1, -0.2, 0.05]
        let truth = latents.linear(Tensor(a, shape: [3, 4]), Tensor(b, shape: [3]))
        let rms = preview.fit(latents: latents, targets: truth)
        XCTAssertLessThan(rms, 1e-4)
        for i in 0..<12 { XCTAssertEqual(preview.weight.data[i], a[i], accuracy: 1e-4) }
        for i in 0..<3 { XCTAssertEqual(preview.bias.data[i], b[i], accuracy: 1e-4) }
        XCTAssertLessThanOrEqual(maxDifference(preview(latents), truth), 1e-4)
        let picture = preview.image(latentFrame: latents.slice(axis: 0, 0..<1).reshaped([4, 4, 4]))
        XCTAssertEqual(picture.width, 4)
        XCTAssertEqual(picture.height, 4)
    }

    func testPreviewFitOnTheVAEBeatsTheUnfittedPreview() throws {
        let model = CausalVAE(config: Self.config)
        RandomWeights.fill(model, seed: 17)
        // Smooth colour fields, so the per-cell averages vary.
        let frames = Tensor(uninitialized: [9, 16, 16, 3])
        for t in 0..<9 { for y in 0..<16 { for x in 0..<16 { for c in 0..<3 {
            frames.data[((t * 16 + y) * 16 + x) * 3 + c] = Foundation.sin(Float(x + 2 * c) * 0.3 + Float(y) * 0.2 * Float(c + 1) + Float(t) * 0.1)
        } } } }
        let latents = model.normalize(try model.encode(frames).mean)
        let targets = LatentPreview.cellAverages(frames, spatialFactor: model.spatialFactor, temporalFactor: 4)
        XCTAssertEqual(model.spatialFactor, 4)
        XCTAssertEqual(targets.shape, [3, 4, 4, 3])
        XCTAssertEqual(targets.data[0], (0..<16).map { frames.data[(($0 / 4) * 16 + $0 % 4) * 3] }.reduce(0, +) / 16, accuracy: 1e-5)
        func rms(_ p: Tensor) -> Float { (p.values.enumerated().map { let d = $1 - targets.data[$0]; return d * d }.reduce(0, +) / Float(p.count)).squareRoot() }
        let before = rms(model.preview(latents))
        let fitted = try model.preview.fit(vae: model, frames: frames)
        let after = rms(model.preview(latents))
        XCTAssertEqual(Float(fitted), after, accuracy: 1e-4)
        XCTAssertLessThan(after, before)
        let spread = rms(Tensor(repeating: targets.values.reduce(0, +) / Float(targets.count), shape: targets.shape))
        XCTAssertLessThan(after, spread)
    }
}
