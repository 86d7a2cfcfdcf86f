import OmniMedia

/// One clip as stored in a training shard: raw frames and reference (uint8 RGB), audio, pose, mouth and energy
/// tracks (Float32), and the caption.
public struct ShardRecord: Sendable, Equatable {
    /// Pixels.
    public var width: Int
    /// Pixels.
    public var height: Int
    /// Frames per second.
    public var fps: Float
    /// Audio samples per second.
    public var sampleRate: Int
    public var frameCount: Int
    /// `frameCount × height × width × 3` bytes, frame-major, RGB interleaved.
    public var frames: [UInt8]
    /// `height × width × 3` bytes.
    public var reference: [UInt8]
    /// Mono samples in [−1, 1].
    public var audio: [Float]
    /// `frameCount × 18 × 3`: x, y (pixels), confidence per COCO-18 joint.
    public var pose: [Float]
    /// `frameCount` values 0…1.
    public var mouth: [Float]
    /// `frameCount` values 0…1.
    public var energy: [Float]
    public var caption: String

    public init(width: Int, height: Int, fps: Float, sampleRate: Int, frameCount: Int, frames: [UInt8], reference: [UInt8],
                audio: [Float], pose: [Float], mouth: [Float], energy: [Float], caption: String) {
        precondition(frames.count == frameCount * width * height * 3 && reference.count == width * height * 3
                     && pose.count == frameCount * 54 && mouth.count == frameCount && energy.count == frameCount,
                     "a shard record's arrays must match its frame count and size")
        self.width = width; self.height = height; self.fps = fps; self.sampleRate = sampleRate; self.frameCount = frameCount
        self.frames = frames; self.reference = reference; self.audio = audio; self.pose = pose
        self.mouth = mouth; self.energy = energy; self.caption = caption
    }

    /// The record of a rendered clip.
    public init(clip: Clip) {
        var pose: [Float] = []
        pose.reserveCapacity(clip.frames.count * 54)
        for frame in clip.pose.frames { for k in frame.keypoints { pose += [k.x, k.y, k.confidence] } }
        self.init(width: clip.spec.size.width, height: clip.spec.size.height, fps: Float(clip.spec.fps),
                  sampleRate: clip.audio.sampleRate, frameCount: clip.frames.count,
                  frames: clip.frames.flatMap(\.pixels), reference: clip.reference.pixels, audio: clip.audio.samples,
                  pose: pose, mouth: clip.mouth, energy: clip.energy, caption: clip.caption)
    }

    /// Frame `index` as an image.
    public func frame(_ index: Int) -> RGBImage {
        let n = width * height * 3
        return RGBImage(width: width, height: height, pixels: Array(frames[(index * n)..<((index + 1) * n)]))
    }

    public var referenceImage: RGBImage { RGBImage(width: width, height: height, pixels: reference) }

    /// The pose as a track.
    public var poseTrack: PoseTrack {
        PoseTrack(fps: Double(fps), width: width, height: height, frames: (0..<frameCount).map { f in
            PoseFrame(keypoints: (0..<18).map { j in
                let i = (f * 18 + j) * 3
                return PoseKeypoint(x: pose[i], y: pose[i + 1], confidence: pose[i + 2])
            })
        })
    }
}
