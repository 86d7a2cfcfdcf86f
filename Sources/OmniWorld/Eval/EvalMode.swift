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

/// One evaluation set: `puppet:SEED[:N]`, N clips with seeds SEED, SEED+1, … (as `omnistudio synth --seed SEED`), or
/// `speech:SEED[:N]`, the first N seeds from SEED on whose head-framed clip talks (the Sync clips), so every clip
/// scores Sync — a random set has about 4 in 10.
public struct EvalSet: Sendable, Equatable {
    public var seed: UInt64
    public var count: Int
    /// Only seeds whose head-framed clip speaks (`speech:`).
    public var speechOnly: Bool
    /// References taken with each clip's own camera placement (`ClipSpec.random(alignedReference:)`): the truth
    /// then lives in the framing a video that starts on the reference has.
    public var alignedReference = false

    public init(seed: UInt64, count: Int, speechOnly: Bool = false) { self.seed = seed; self.count = count; self.speechOnly = speechOnly }

    /// Parses `puppet:SEED[:N]` or `speech:SEED[:N]` (N defaults to 8).
    public init?(parsing text: String) {
        let parts = text.split(separator: ":", omittingEmptySubsequences: false)
        guard parts.count == 2 || parts.count == 3, parts[0] == "puppet" || parts[0] == "speech", let seed = UInt64(parts[1]) else { return nil }
        var count = 8
        if parts.count == 3 { guard let n = Int(parts[2]), n > 0 else { return nil }; count = n }
        self.init(seed: seed, count: count, speechOnly: parts[0] == "speech")
    }

    /// `puppet:SEED:N` or `speech:SEED:N`, with " (aligned references)" when they are.
    public var name: String { "\(speechOnly ? "speech" : "puppet"):\(seed):\(count)" + (alignedReference ? " (aligned references)" : "") }

    /// The clips' seeds. A clip's scenario and sound are drawn before its size and length, so whether a seed's
    /// head-framed clip talks does not depend on them.
    public var seeds: [UInt64] {
        guard speechOnly else { return (0..<UInt64(count)).map { seed &+ $0 } }
        var found: [UInt64] = [], s = seed
        while found.count < count {
            if ClipSpec.random(seed: s, framing: .head).audio.isSpeech { found.append(s) }
            s &+= 1
        }
        return found
    }

    /// The clip specs at `size`, `duration` seconds, `fps`; with `driftSeconds`, the first clip lasts that long; with
    /// `framing`, every clip uses it (the Sync set is head-framed).
    public func specs(size: FrameSize, duration: Double, fps: Int, driftSeconds: Double? = nil, framing: Framing? = nil) -> [ClipSpec] {
        seeds.enumerated().map { i, s in
            ClipSpec.random(seed: s, framing: framing, size: size, duration: i == 0 ? (driftSeconds ?? duration) : duration, fps: fps,
                            alignedReference: alignedReference)
        }
    }
}
