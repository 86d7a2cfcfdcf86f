import Foundation
import OmniMedia
import OmniModel
import OmniTensor
import OmniWorld

/// Frozen-VAE encodings of DiT training windows, built once (`omnistudio train cache`) and read by the DiT trainer
/// (`train dit --latents DIR`) instead of encoding every target window at every step (the encoding was 41 % of a
/// step with the first VAE).
///
/// A window is a `segmentFrames`-frame stretch of a 2 s puppet clip. The clip is a pure function of its seed, so the
/// cache keeps only what is expensive: the window's normalised latent mean (a fresh causal encoding, as the trainer
/// made it) and the reference picture's. The trainer re-renders the clip from its seed for the window's audio, pose
/// and caption.
///
/// Folder: `cache.json` (the `Manifest`) and one `WxH.safetensors` per aspect bucket with `target`
/// `[N, T', h, w, z]` and `reference` `[N, 1, h, w, z]` (F16), and, for a model whose audio features come from the
/// Whisper encoder (a full 30 s window per clip, the costliest part of a sample after the VAE), the window's
/// feature rows `audio` `[N, segmentFrames, featureWidth]`. Written under temporary names, renamed when complete.
public final class LatentCache {
    public static let manifestName = "cache.json"
    public static let format = 1

    public struct Window: Codable, Sendable, Equatable {
        public var clipSeed: UInt64
        /// First frame of the window in its clip.
        public var start: Int
    }

    public struct Bucket: Codable, Sendable {
        public var width: Int
        public var height: Int
        public var file: String
        public var windows: [Window]
        public var size: FrameSize { FrameSize(width: width, height: height) }
    }

    public struct Manifest: Codable, Sendable {
        public var format: Int
        /// `LatentCache.fingerprint` of the VAE the windows were encoded with.
        public var vaeFingerprint: String
        public var segmentFrames: Int
        public var fps: Int
        public var seed: UInt64
        /// The `audio.encoder` whose features the buckets hold as `audio`; nil: none stored (log-mel is cheap).
        public var audioEncoder: String?
        /// Whether half the talking clips speak through espeak-ng (`PuppetSamples.render(realSpeech:)`); nil: no.
        public var realSpeech: Bool?
        /// The fraction of windows drawn from talking, head-framed clips (`build(talkingHeads:)`); nil: none forced.
        public var talkingHeads: Double?
        /// Whether the reference pictures share their clip's camera placement (`build(alignedReference:)`); nil: no.
        public var alignedReference: Bool?
        public var buckets: [Bucket]
        public var windowCount: Int { buckets.reduce(0) { $0 + $1.windows.count } }
    }

    public let folder: String
    public let manifest: Manifest
    let files: [SafetensorsFile]
    /// Per bucket, the shape of one window's tensors by name (`[1, …]`): `target`, `reference` and, when stored, `audio`.
    let rowShapes: [[String: [Int]]]

    /// Opens and validates a cache folder: every bucket file must hold F16 `target` and `reference` tensors with one
    /// row per listed window.
    public init(folder: String) throws {
        self.folder = folder
        let path = (folder as NSString).appendingPathComponent(Self.manifestName)
        guard let data = FileManager.default.contents(atPath: path) else {
            throw TrainingError.unreadable(path: path, reason: FileManager.default.fileExists(atPath: folder)
                                           ? "no cache.json: not a latent cache (build one with omnistudio train cache)" : "no such folder")
        }
        let decoder = JSONDecoder()
        decoder.keyDecodingStrategy = .convertFromSnakeCase
        let manifest: Manifest
        do { manifest = try decoder.decode(Manifest.self, from: data) } catch {
            throw TrainingError.unreadable(path: path, reason: "not a valid latent-cache manifest (\(error))")
        }
        guard manifest.format == Self.format else {
            throw TrainingError.unreadable(path: path, reason: "cache format \(manifest.format); this build reads \(Self.format)")
        }
        guard !manifest.buckets.isEmpty, manifest.buckets.allSatisfy({ !$0.windows.isEmpty }) else {
            throw TrainingError.unreadable(path: path, reason: "the cache lists no windows")
        }
        var files: [SafetensorsFile] = []
        var rowShapes: [[String: [Int]]] = []
        for bucket in manifest.buckets {
            let file = (folder as NSString).appendingPathComponent(bucket.file)
            do {
                let f = try SafetensorsFile(path: file)
                let target = try f.info("target"), reference = try f.info("reference")
                guard target.dtype == .f16, reference.dtype == .f16, target.shape.count == 5, reference.shape.count == 5,
                      target.shape[0] == bucket.windows.count, reference.shape[0] == bucket.windows.count,
                      reference.shape[1] == 1, Array(target.shape[2...]) == Array(reference.shape[2...]) else {
                    throw TrainingError.unreadable(path: file, reason: "target \(target.shape) / reference \(reference.shape) do not match \(bucket.windows.count) windows")
                }
                var shapes = ["target": [1] + target.shape.dropFirst(), "reference": [1] + reference.shape.dropFirst()]
                if manifest.audioEncoder != nil {
                    let audio = try f.info("audio")
                    guard audio.dtype == .f16, audio.shape.count == 3, audio.shape[0] == bucket.windows.count,
                          audio.shape[1] == manifest.segmentFrames else {
                        throw TrainingError.unreadable(path: file, reason: "audio \(audio.shape) does not match \(bucket.windows.count) windows of \(manifest.segmentFrames) frames")
                    }
                    shapes["audio"] = [1] + audio.shape.dropFirst()
                }
                files.append(f)
                rowShapes.append(shapes)
            } catch let error as SafetensorsError {
                throw TrainingError.unreadable(path: file, reason: "\(error)")
            }
        }
        self.manifest = manifest
        self.files = files
        self.rowShapes = rowShapes
    }

    /// The bucket of `size`, if the cache has one.
    public func bucketIndex(_ size: FrameSize) -> Int? {
        manifest.buckets.firstIndex { $0.width == size.width && $0.height == size.height }
    }

    /// Window `i` of bucket `b`: its clip seed and start, target `[1, T', h, w, z]`, reference `[1, 1, h, w, z]` and,
    /// when the cache stores them, the audio feature rows `[1, segmentFrames, featureWidth]`.
    public func window(bucket b: Int, index i: Int) -> (window: Window, target: Tensor, reference: Tensor, audio: Tensor?) {
        func row(_ name: String) -> Tensor? {
            guard let shape = rowShapes[b][name] else { return nil }
            let t = Tensor(uninitialized: shape)
            let raw = try! files[b].rawBytes(name)   // validated at init
            ReducedPrecision.widen(UnsafeRawBufferPointer(rebasing: raw[(i * t.count * 2)..<((i + 1) * t.count * 2)]), dtype: .f16,
                                   into: t.buffer)
            return t
        }
        return (manifest.buckets[b].windows[i], row("target")!, row("reference")!, row("audio"))
    }

    // MARK: - Building

    /// Encodes `windows` windows with `vae` and writes the cache to `folder` (which must not hold one yet). Window i
    /// comes from the clip of seed `(seed << 32) | i` in a bucket of `config.video.sizes` chosen by i, at a start
    /// frame chosen by i. With `talkingHeads` > 0, that fraction of the windows (drawn per window) comes instead from
    /// a talking, head-framed clip (`PuppetSamples.talkingHeadSeed`): in the random world (40 % talking × 1 in 5 head-framed) only 8 % of clips
    /// shows a speaking mouth larger than a few pixels. With `alignedReference`, every clip's reference picture is
    /// taken with the clip's camera placement (`ClipSpec.random(alignedReference:)`), so a reference-start sample
    /// continues in the reference's framing, as generation does. `progress` gets the windows done so far.
    @discardableResult
    public static func build(vae: CausalVAE, config: ModelConfig, seed: UInt64, windows: Int, folder: String,
                             realSpeech: Bool = false, talkingHeads: Double = 0, alignedReference: Bool = false,
                             progress: (Int) -> Void = { _ in }) throws -> Manifest {
        precondition(windows >= 1 && seed >= 1 && seed < (1 << 31) && (0...1).contains(talkingHeads))
        try TrainingDataFolder.create(folder, manifestName: manifestName, holds: "a latent cache", realSpeech: realSpeech)
        let frames = config.video.segmentFrames, fps = config.video.fps
        var targets = [[Float]](repeating: [], count: config.video.sizes.count)
        var references = targets, audios = targets
        let storesAudio = config.audio.encoder == AudioConditionConfig.whisperEncoder
        var lists = [[Window]](repeating: [], count: config.video.sizes.count)
        var latentShapes = [[Int]](repeating: [], count: config.video.sizes.count)
        for i in 0..<windows {
            var rng = RandomStream(seed: seed, stream: 0x1A7E).split(UInt64(i))
            let b = Int(rng.nextUInt64() % UInt64(config.video.sizes.count))
            let size = FrameSize(width: config.video.sizes[b][0], height: config.video.sizes[b][1])
            // Its own stream, so caches without talking heads draw exactly as before.
            var focus = RandomStream(seed: seed, stream: 0x7A1C).split(UInt64(i))
            var clipSeed = (seed << 32) | UInt64(i)
            if talkingHeads > 0, Double(focus.uniform()) < talkingHeads,
               let talking = PuppetSamples.talkingHeadSeed(seed: seed, window: i, size: size, fps: fps, realSpeech: realSpeech) {
                clipSeed = talking
            }
            let clip = PuppetSamples.render(seed: clipSeed, size: size, fps: fps, realSpeech: realSpeech, alignedReference: alignedReference)
            let start = Int(rng.nextUInt64() % UInt64(clip.frames.count - frames + 1))
            do throws(ModelError) {
                let target = vae.normalize(try vae.encode(FrameTensor.tensor(Array(clip.frames[start..<(start + frames)]))).mean)
                let reference = vae.normalize(try vae.encode(FrameTensor.tensor([clip.reference])).mean)
                targets[b] += target.values
                references[b] += reference.values
                latentShapes[b] = target.shape
                if storesAudio {
                    let features = try AudioConditioning.features(of: clip.audio, fps: Double(fps), config: config.audio)
                    audios[b] += features.windowRows(start: start, count: frames).values
                }
            } catch {
                throw TrainingError.model(error)
            }
            lists[b].append(Window(clipSeed: clipSeed, start: start))
            progress(i + 1)
        }
        var buckets: [Bucket] = []
        for b in lists.indices where !lists[b].isEmpty {
            let size = config.video.sizes[b], n = lists[b].count
            let name = "\(size[0])x\(size[1]).safetensors"
            let grid = Array(latentShapes[b].dropFirst())
            var tensors: [SafetensorsWriter.Tensor] = [
                .init(name: "target", dtype: .f16, shape: [n] + latentShapes[b], values: targets[b]),
                .init(name: "reference", dtype: .f16, shape: [n, 1] + grid, values: references[b]),
            ]
            if storesAudio {
                tensors.append(.init(name: "audio", dtype: .f16, shape: [n, frames, config.audio.featureWidth], values: audios[b]))
            }
            let writer = SafetensorsWriter(tensors: tensors, metadata: ["format": "omnistudio latent cache"])
            do { try writer.write(to: (folder as NSString).appendingPathComponent(name)) } catch {
                throw TrainingError.unreadable(path: (folder as NSString).appendingPathComponent(name), reason: "\(error)")
            }
            buckets.append(Bucket(width: size[0], height: size[1], file: name, windows: lists[b]))
        }
        let manifest = Manifest(format: format, vaeFingerprint: fingerprint(vae), segmentFrames: frames, fps: fps, seed: seed,
                                audioEncoder: storesAudio ? config.audio.encoder : nil, realSpeech: realSpeech ? true : nil,
                                talkingHeads: talkingHeads > 0 ? talkingHeads : nil, alignedReference: alignedReference ? true : nil,
                                buckets: buckets)
        try TrainingDataFolder.writeManifest(manifest, folder: folder, manifestName: manifestName)
        return manifest
    }

    /// A short hash of the VAE's encoder (FNV-1a 64 over every value's bits, in key order): a DiT must train on
    /// latents of the encoder it is frozen with. The decoder is left out on purpose: fine-tuning it alone
    /// (`python -m omnitorch.train_vae --decoder-only`) keeps the latents, and so the caches and the DiT, valid.
    public static func fingerprint(_ vae: CausalVAE) -> String {
        var h: UInt64 = 0xcbf2_9ce4_8422_2325
        for (key, tensor) in vae.encoder.namedTensors() {
            for byte in key.utf8 { h = (h ^ UInt64(byte)) &* 0x100_0000_01b3 }
            let p = tensor.data
            for i in 0..<tensor.count { h = (h ^ UInt64(p[i].bitPattern)) &* 0x100_0000_01b3 }
        }
        return String(h, radix: 16)
    }
}
