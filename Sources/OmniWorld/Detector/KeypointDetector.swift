import Foundation
import OmniMedia
import OmniTensor

/// The detector's reading of one frame.
public struct DetectedPose: Sendable {
    /// COCO-18 joints in the frame's pixels; `confidence` is the presence probability 0…1 (a joint with
    /// probability < 0.5 is reported with its position but should be treated as absent).
    public var pose: PoseFrame
    /// The 64-d pooled deep features of the frame (the "penultimate" layer, used by FVD-puppet).
    public var features: [Float]
}

/// What `config.json` next to the weights records.
public struct KeypointDetectorConfig: Codable, Sendable, Equatable {
    public var architecture = "conv s2 3→16→32→64, conv 64, up×2 + skip → conv 48, 1×1 → 18 heatmaps 16×16, soft-argmax; presence linear 64→18"
    public var inputSide = KeypointNet.inputSide
    public var heatmapSide = KeypointNet.heatmapSide
    public var joints = KeypointNet.joints
    public var featureWidth = KeypointNet.featureWidth
    public var seed: UInt64 = 0
    public var steps = 0
    public var batchSize = 0
    /// Fraction of held-out ground-truth-present joints within 0.1 × the visible-pose box size.
    public var heldOutPCK: Double? = nil
    public init() {}
}

/// A small CNN that finds the 18 COCO-18 joints of the puppet in a frame up to 64×64 pixels, with a presence
/// confidence per joint: the evaluation's pose/hand detector (AKD, HKV/HKC, the Sync mouth box, FVD-puppet).
/// Trained on rendered puppet frames by `DetectorTrainer`; weights ship in `Models/keypoint-detector/`.
public final class KeypointDetector: @unchecked Sendable {
    let net: KeypointNet
    public let config: KeypointDetectorConfig

    /// Untrained (seeded random) weights.
    public init(seed: UInt64 = 0) {
        net = KeypointNet()
        net.initialize(seed: seed)
        var c = KeypointDetectorConfig(); c.seed = seed
        config = c
    }

    init(net: KeypointNet, config: KeypointDetectorConfig) { self.net = net; self.config = config }

    /// File names inside a detector folder.
    public static let weightsFile = "model.safetensors"
    public static let configFile = "config.json"

    /// Loads `folder/model.safetensors` and `folder/config.json`.
    public static func load(folder: String) throws -> KeypointDetector {
        let net = KeypointNet()
        try net.load(path: (folder as NSString).appendingPathComponent(weightsFile))
        let data = try Data(contentsOf: URL(fileURLWithPath: (folder as NSString).appendingPathComponent(configFile)))
        let config = try JSONDecoder().decode(KeypointDetectorConfig.self, from: data)
        return KeypointDetector(net: net, config: config)
    }

    /// Writes weights (F16) and config into `folder` (created if needed).
    public func save(folder: String, config: KeypointDetectorConfig) throws {
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        try net.save(path: (folder as NSString).appendingPathComponent(Self.weightsFile), dtype: .f16)
        let encoder = JSONEncoder(); encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        try PendingFile.write(encoder.encode(config), to: (folder as NSString).appendingPathComponent(Self.configFile))
    }

    /// Detects the joints in each frame (frames up to 64×64 pixels, any mix of sizes; frames of 32 pixels or less are
    /// enlarged, see `DetectorInput`), in batches of 64.
    public func detect(_ frames: [RGBImage]) -> [DetectedPose] {
        var out: [DetectedPose] = []
        out.reserveCapacity(frames.count)
        var start = 0
        while start < frames.count {
            let chunk = Array(frames[start..<min(frames.count, start + 64)])
            let result = net(DetectorInput.batch(chunk))
            let xy = result.coordinates.values, logits = result.presenceLogits.values, feats = result.features.values
            let j = KeypointNet.joints, fw = KeypointNet.featureWidth
            for (i, frame) in chunk.enumerated() {
                let keypoints = (0..<j).map { k -> PoseKeypoint in
                    let p = 1 / (1 + exp(-logits[i * j + k]))
                    let (x, y) = DetectorInput.toFrame(xy[(i * j + k) * 2], xy[(i * j + k) * 2 + 1], width: frame.width, height: frame.height)
                    return PoseKeypoint(x: x, y: y, confidence: max(p, 1e-6))
                }
                out.append(DetectedPose(pose: PoseFrame(keypoints: keypoints), features: Array(feats[(i * fw)..<((i + 1) * fw)])))
            }
            start += chunk.count
        }
        return out
    }
}
