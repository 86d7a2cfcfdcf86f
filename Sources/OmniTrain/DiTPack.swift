import Foundation
import OmniMedia
import OmniModel
import OmniTensor
import OmniWorld

/// Puppet clips with every DiT condition already worked out, for the PyTorch trainer (`python -m
/// omnitorch.train_dit`) on a machine that has an accelerator but not this program: the puppet world, the audio
/// features and the text encoder live here, so a pack carries their results. The VAE encoding is left to the
/// trainer (it is fast there, and raw frames compress far better than latents).
///
/// Folder (`omnistudio train pack`):
/// - `pack.json` (`Manifest`): the model config, fps, clip length, seed, audio encoder, `audio_frame_width` F,
///   the distinct captions, and per aspect bucket its file and clip seeds;
/// - one `WxH.safetensors` per bucket, K clips of T frames: `video` U8 `[K, T, H, W, 3]`; `reference` U8
///   `[K, H, W, 3]`; `pose` F32 `[K, T, 18, 3]` (COCO-18 x, y in the clip's pixels and confidence; a missing joint
///   is 0, 0, 0); `audio` F16 `[K, T, F]`, each video frame's own features (the DiT's row for frame f joins frames
///   f − N … f + N, N = `audio.neighbours`, indices clamped to the clip); `caption` I64 `[K]`, an index into
///   the captions;
/// - `captions.safetensors`: `states` F16 `[C, L, 384]`, the captions' MiniLM token states zero-padded to the
///   longest, and `lengths` I64 `[C]`.
/// Clip i has seed `(seed << 32) | i` and a bucket drawn from `seed` and i. Every file is written under a
/// temporary name and renamed when complete; `pack.json` last.
public enum DiTPack {
    public static let manifestName = "pack.json"
    public static let format = 1

    public struct Bucket: Codable, Sendable, Equatable {
        public var width: Int
        public var height: Int
        public var file: String
        public var clips: [UInt64]
    }

    public struct Manifest: Codable, Sendable, Equatable {
        public var format: Int
        public var modelConfig: ModelConfig
        public var fps: Int
        public var seconds: Double
        public var seed: UInt64
        public var realSpeech: Bool
        public var audioEncoder: String
        public var audioFrameWidth: Int
        public var captions: [String]
        public var buckets: [Bucket]
    }

    /// Renders `clips` clips of `seconds` for `config` and writes the pack to `folder` (which must not hold one).
    /// `text` maps a caption to its token states `[L, 384]`; `progress` gets the clips done so far.
    @discardableResult
    public static func build(config: ModelConfig, seed: UInt64, clips: Int, seconds: Double, folder: String,
                             realSpeech: Bool = false, text: (String) throws -> Tensor,
                             progress: (Int) -> Void = { _ in }) throws -> Manifest {
        precondition(clips >= 1 && seed >= 1 && seed < (1 << 31) && seconds > 0)
        try TrainingDataFolder.create(folder, manifestName: manifestName, holds: "a pack", realSpeech: realSpeech)
        let fps = config.video.fps, sizes = config.video.sizes
        let frameWidth = config.audio.frameWidth
        struct Rows { var video: [UInt8] = [], reference: [UInt8] = [], pose: [Float] = [], audio: [Float] = [], caption: [Int64] = [], seeds: [UInt64] = [] }
        var rows = [Rows](repeating: Rows(), count: sizes.count)
        var captions: [String] = [], captionIndex: [String: Int] = [:]
        var frameCount: Int?
        for i in 0..<clips {
            var rng = RandomStream(seed: seed, stream: 0x9ACC).split(UInt64(i))
            let b = Int(rng.nextUInt64() % UInt64(sizes.count))
            let clipSeed = (seed << 32) | UInt64(i)
            let clip = PuppetSamples.render(seed: clipSeed, size: FrameSize(width: sizes[b][0], height: sizes[b][1]), fps: fps,
                                            seconds: seconds, realSpeech: realSpeech)
            let t = clip.frames.count
            if frameCount == nil { frameCount = t }
            guard t == frameCount else { throw TrainingError.data("clip \(clipSeed) has \(t) frames, the pack's others \(frameCount!)") }
            for frame in clip.frames { rows[b].video += frame.pixels }
            rows[b].reference += clip.reference.pixels
            for f in 0..<t {
                for k in clip.pose.frames[min(f, clip.pose.frames.count - 1)].keypoints {
                    rows[b].pose += k.isPresent ? [k.x, k.y, k.confidence] : [0, 0, 0]
                }
            }
            let features: AudioFeatures
            do throws(ModelError) { features = try AudioConditioning.features(of: clip.audio, fps: Double(fps), config: config.audio) }
            catch { throw TrainingError.model(error) }
            rows[b].audio += ownRows(features, frames: t, frameWidth: frameWidth)
            if captionIndex[clip.caption] == nil {
                captionIndex[clip.caption] = captions.count
                captions.append(clip.caption)
            }
            rows[b].caption.append(Int64(captionIndex[clip.caption]!))
            rows[b].seeds.append(clipSeed)
            progress(i + 1)
        }

        let t = frameCount ?? 0
        var buckets: [Bucket] = []
        for b in rows.indices where !rows[b].seeds.isEmpty {
            let (w, h, k) = (sizes[b][0], sizes[b][1], rows[b].seeds.count)
            let name = "\(w)x\(h).safetensors"
            try write([
                .init(name: "video", dtype: .u8, shape: [k, t, h, w, 3], rawBytes: rows[b].video),
                .init(name: "reference", dtype: .u8, shape: [k, h, w, 3], rawBytes: rows[b].reference),
                .init(name: "pose", dtype: .f32, shape: [k, t, 18, 3], values: rows[b].pose),
                .init(name: "audio", dtype: .f16, shape: [k, t, frameWidth], values: rows[b].audio),
                .init(name: "caption", dtype: .i64, shape: [k], rawBytes: littleEndianBytes(rows[b].caption)),
            ], to: (folder as NSString).appendingPathComponent(name))
            buckets.append(Bucket(width: w, height: h, file: name, clips: rows[b].seeds))
        }

        let states = try captions.map { caption -> Tensor in
            let s = try text(caption)
            guard s.shape.count == 2, s.shape[1] == config.text.encoderWidth else {
                throw TrainingError.data("text states of '\(Clipped(caption))' have shape \(s.shape), not [L, \(config.text.encoderWidth)]")
            }
            return s
        }
        let longest = states.map { $0.shape[0] }.max() ?? 0
        var padded = [Float](repeating: 0, count: states.count * longest * config.text.encoderWidth)
        for (c, s) in states.enumerated() {
            padded.replaceSubrange((c * longest * s.shape[1])..<(c * longest * s.shape[1] + s.count), with: s.values)
        }
        try write([
            .init(name: "states", dtype: .f16, shape: [states.count, longest, config.text.encoderWidth], values: padded),
            .init(name: "lengths", dtype: .i64, shape: [states.count], rawBytes: littleEndianBytes(states.map { Int64($0.shape[0]) })),
        ], to: (folder as NSString).appendingPathComponent("captions.safetensors"))

        let manifest = Manifest(format: format, modelConfig: config, fps: fps, seconds: seconds, seed: seed, realSpeech: realSpeech,
                                audioEncoder: config.audio.encoder, audioFrameWidth: frameWidth, captions: captions, buckets: buckets)
        try TrainingDataFolder.writeManifest(manifest, folder: folder, manifestName: manifestName)
        return manifest
    }

    /// Each video frame's own features (the centre of its ±neighbours row), `frames` rows of `frameWidth`; frames
    /// past the audio's end repeat its last, as the trainer's windows do.
    static func ownRows(_ features: AudioFeatures, frames: Int, frameWidth: Int) -> [Float] {
        precondition(features.featureWidth == (2 * features.neighbours + 1) * frameWidth, "audio features are not ±neighbour rows of \(frameWidth)")
        var out = [Float](repeating: 0, count: frames * frameWidth)
        guard features.videoFrameCount > 0 else { return out }
        for f in 0..<frames {
            let row = min(f, features.videoFrameCount - 1)
            let start = row * features.featureWidth + features.neighbours * frameWidth
            out.replaceSubrange((f * frameWidth)..<((f + 1) * frameWidth), with: features.values[start..<(start + frameWidth)])
        }
        return out
    }

    static func littleEndianBytes(_ values: [Int64]) -> [UInt8] {
        values.flatMap { v in withUnsafeBytes(of: v.littleEndian) { Array($0) } }
    }

    static func write(_ tensors: [SafetensorsWriter.Tensor], to path: String) throws {
        do { try SafetensorsWriter(tensors: tensors, metadata: ["format": "omnistudio dit pack"]).write(to: path) } catch {
            throw TrainingError.unreadable(path: path, reason: "\(error)")
        }
    }
}
