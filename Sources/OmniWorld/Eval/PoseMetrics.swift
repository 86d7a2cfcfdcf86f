import OmniMedia

/// Metrics over detected joints.
public enum PoseMetrics {
    /// Average keypoint distance in pixels: the mean Euclidean distance between `detected` and `truth` joints over
    /// every joint present in the truth (detected positions are used whatever their confidence). 0 when nothing
    /// counts.
    public static func akd(detected: [PoseFrame], truth: [PoseFrame]) -> Double {
        var s = 0.0, n = 0
        for (d, t) in zip(detected, truth) {
            for (p, q) in zip(d.keypoints, t.keypoints) where q.isPresent {
                let dx = Double(p.x - q.x), dy = Double(p.y - q.y)
                s += (dx * dx + dy * dy).squareRoot(); n += 1
            }
        }
        return n == 0 ? 0 : s / Double(n)
    }

    /// The wrist joints (COCO-18 RWrist, LWrist), the puppet's "hands".
    public static let hands: [PoseJoint] = [.rightWrist, .leftWrist]

    /// HKV: hand keypoint variance, pixels² — the variance over time of each wrist's position (x and y variances
    /// summed), averaged over both wrists. Higher = more gesturing.
    public static func hkv(_ detected: [PoseFrame]) -> Double {
        guard detected.count > 1 else { return 0 }
        var total = 0.0
        for joint in hands {
            let xs = detected.map { Double($0[joint].x) }, ys = detected.map { Double($0[joint].y) }
            total += variance(xs) + variance(ys)
        }
        return total / Double(hands.count)
    }

    /// HKC: hand keypoint confidence — the mean detector presence probability of both wrists (0…1).
    public static func hkc(_ detected: [PoseFrame]) -> Double {
        guard !detected.isEmpty else { return 0 }
        return detected.reduce(0.0) { s, f in s + hands.reduce(0.0) { $0 + Double(f[$1].confidence) } } / Double(detected.count * hands.count)
    }

    static func variance(_ v: [Double]) -> Double {
        let m = v.reduce(0, +) / Double(v.count)
        return v.reduce(0) { $0 + ($1 - m) * ($1 - m) } / Double(v.count)
    }
}
