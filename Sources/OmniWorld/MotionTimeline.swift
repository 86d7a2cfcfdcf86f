/// A motion that starts at `start` seconds in a clip.
public struct MotionSegment: Sendable, Codable, Equatable {
    public var motion: Motion
    /// Seconds.
    public var start: Double

    public init(motion: Motion, start: Double) { self.motion = motion; self.start = start }
}

/// A sequence of motions with smooth transitions: each segment fades in over `blend` seconds from the pose the
/// previous one would have had (smoothstep weights), so the skeleton never jumps.
public struct MotionTimeline: Sendable, Codable, Equatable {
    /// Ordered by start; the first starts at 0.
    public var segments: [MotionSegment]
    /// Seconds.
    public var blend: Double

    public init(segments: [MotionSegment], blend: Double = 0.45) {
        precondition(!segments.isEmpty, "a motion timeline needs at least one segment")
        self.segments = segments.sorted { $0.start < $1.start }
        self.blend = blend
    }

    /// The index of the segment playing at `time`.
    public func segmentIndex(at time: Double) -> Int {
        segments.lastIndex { $0.start <= time } ?? 0
    }

    /// The blended pose at `time` seconds.
    public func params(at time: Double, context: MotionContext) -> PoseParams {
        let i = segmentIndex(at: time)
        let current = segments[i].motion.params(at: time, context: context)
        guard i > 0, time - segments[i].start < blend else { return current }
        let previous = segments[i - 1].motion.params(at: time, context: context)
        let w = smoothstep(0, 1, Float((time - segments[i].start) / blend))
        return PoseParams.blend(previous, current, w)
    }
}
