import OmniMedia

/// Percentage of Correct Keypoints. A ground-truth-present joint counts as correct when the predicted position
/// is within `threshold` × the size of the frame's visible-truth bounding box (the larger of its width and height,
/// pixels) of the truth. Joints missing in the truth do not count; frames with fewer than two visible joints
/// (no box) are skipped.
public struct PCK: Sendable, Equatable {
    public var correct = 0
    public var total = 0
    public init() {}

    /// correct / total (0 when nothing counted).
    public var value: Double { total == 0 ? 0 : Double(correct) / Double(total) }

    /// The box size (pixels) of `truth`'s present joints: max(width, height); 0 with fewer than two.
    public static func boxSize(_ truth: PoseFrame) -> Float {
        let present = truth.keypoints.filter(\.isPresent)
        guard present.count >= 2 else { return 0 }
        let xs = present.map(\.x), ys = present.map(\.y)
        return max(xs.max()! - xs.min()!, ys.max()! - ys.min()!)
    }

    /// Adds one frame's joints.
    public mutating func add(predicted: PoseFrame, truth: PoseFrame, threshold: Float = 0.1) {
        let box = Self.boxSize(truth)
        guard box > 0 else { return }
        for (p, t) in zip(predicted.keypoints, truth.keypoints) where t.isPresent {
            total += 1
            let dx = p.x - t.x, dy = p.y - t.y
            if (dx * dx + dy * dy).squareRoot() < threshold * box { correct += 1 }
        }
    }

    /// PCK over paired frames.
    public static func measure(predicted: [PoseFrame], truth: [PoseFrame], threshold: Float = 0.1) -> PCK {
        var pck = PCK()
        for (p, t) in zip(predicted, truth) { pck.add(predicted: p, truth: t, threshold: threshold) }
        return pck
    }
}
