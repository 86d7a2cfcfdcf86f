/// How a video of `totalFrames` is cut into model segments (docs/ARCHITECTURE.md §3.4): every segment is `segmentFrames`
/// (1 + 4k) video frames; each segment after the first starts with the previous segment's last
/// `motionFrames` frames (clean, given as motion latents) and those frames are dropped when stitching, so
/// each continuation adds `segmentFrames − motionFrames` new frames. The last segment is generated whole and
/// trimmed. All counts are video frames.
public struct SegmentPlan: Sendable, Equatable {
    public struct Segment: Sendable, Equatable {
        public var index: Int
        /// Global index of the segment's frame 0.
        public var firstFrame: Int
        /// Frames of the segment (indices within it) that go into the video.
        public var kept: Range<Int>
        /// True when the segment starts from motion frames.
        public var hasMotion: Bool
    }

    public let totalFrames: Int
    public let segmentFrames: Int
    public let motionFrames: Int
    public let segments: [Segment]

    public init(totalFrames: Int, segmentFrames: Int, motionFrames: Int) {
        precondition(totalFrames >= 1 && segmentFrames > motionFrames && motionFrames >= 1)
        self.totalFrames = totalFrames
        self.segmentFrames = segmentFrames
        self.motionFrames = motionFrames
        var segments: [Segment] = []
        var written = 0
        var start = 0
        while written < totalFrames {
            let motion = !segments.isEmpty
            let first = motion ? motionFrames : 0
            let keep = min(segmentFrames - first, totalFrames - written)
            segments.append(Segment(index: segments.count, firstFrame: start, kept: first..<(first + keep), hasMotion: motion))
            written += keep
            start += segmentFrames - motionFrames
        }
        self.segments = segments
    }

    /// New frames a continuation segment adds.
    public var stride: Int { segmentFrames - motionFrames }
}
