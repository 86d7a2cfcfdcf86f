/// The switchboard modes `omnistudio eval` runs, and which metric families apply to each.
public enum EvalMode: String, CaseIterable, Codable, Sendable {
    case referenceAudio = "ref+audio"
    case referencePose = "ref+pose"
    case referenceText = "ref+text"
    case audioPose = "audio+pose"
    case all = "all"
    case textOnly = "text"

    public var usesReference: Bool { self != .textOnly && self != .audioPose }
    public var usesAudio: Bool { self == .referenceAudio || self == .audioPose || self == .all }
    public var usesPose: Bool { self == .referencePose || self == .audioPose || self == .all }
    public var usesText: Bool { self == .referenceText || self == .all || self == .textOnly }

    /// PSNR, SSIM, AKD and Drift (the pose fixes what the frames should be).
    public var scoresPixels: Bool { usesPose }
    /// Sync.
    public var scoresSync: Bool { usesAudio }
    /// HKV / HKC (gesture from audio or text).
    public var scoresHands: Bool { usesAudio || usesText }
}

/// One `puppet:SEED[:N]` evaluation set: N clips with seeds SEED, SEED+1, … (as `omnistudio synth --seed SEED`).
public struct EvalSet: Sendable, Equatable {
    public var seed: UInt64
    public var count: Int

    public init(seed: UInt64, count: Int) { self.seed = seed; self.count = count }

    /// Parses `puppet:SEED` or `puppet:SEED:N` (N defaults to 8).
    public init?(parsing text: String) {
        let parts = text.split(separator: ":", omittingEmptySubsequences: false)
        guard parts.count == 2 || parts.count == 3, parts[0] == "puppet", let seed = UInt64(parts[1]) else { return nil }
        var count = 8
        if parts.count == 3 { guard let n = Int(parts[2]), n > 0 else { return nil }; count = n }
        self.init(seed: seed, count: count)
    }

    /// The clip specs at `size`, `duration` seconds, `fps`; with `driftSeconds`, the first clip lasts that long; with
    /// `framing`, every clip uses it (the Sync set is head-framed).
    public func specs(size: FrameSize, duration: Double, fps: Int, driftSeconds: Double? = nil, framing: Framing? = nil) -> [ClipSpec] {
        (0..<count).map { i in
            ClipSpec.random(seed: seed &+ UInt64(i), framing: framing, size: size,
                            duration: i == 0 ? (driftSeconds ?? duration) : duration, fps: fps)
        }
    }
}
