import CFFmpeg

/// Reads the frames of any video (or animated image) FFmpeg reads, as RGB at the stream's own size, one at a
/// time, plus its frame rate, frame count and (through `AudioFile`) its audio.
public final class VideoReader {
    public let path: String
    /// Frame size in pixels.
    public let width: Int
    public let height: Int
    /// Frames per second (the stream's average rate, or its base rate when the average is unknown).
    public let fps: Double
    /// Frames the container declares, or an estimate from the duration when it declares none.
    public let frameCount: Int
    /// Seconds, from the stream (or the container when the stream does not say).
    public let duration: Double
    public let hasAudio: Bool

    private let input: MediaInput
    private let converter = PixelConverter()

    public init(path: String) throws(MediaError) {
        input = try MediaInput(path: path, type: AVMEDIA_TYPE_VIDEO)
        self.path = path
        let stream = input.stream
        let parameters = stream.pointee.codecpar.pointee
        width = Int(parameters.width)
        height = Int(parameters.height)
        guard width > 0, height > 0 else { throw .corrupt(path: path, reason: "video stream has size \(width)×\(height)") }
        let rate = stream.pointee.avg_frame_rate.num > 0 ? stream.pointee.avg_frame_rate : stream.pointee.r_frame_rate
        fps = rate.den > 0 && rate.num > 0 ? av_q2d(rate) : 0
        if stream.pointee.duration > 0 {
            duration = Double(stream.pointee.duration) * av_q2d(stream.pointee.time_base)
        } else if input.format.pointee.duration > 0 {
            duration = Double(input.format.pointee.duration) / Double(AV_TIME_BASE)
        } else {
            duration = 0
        }
        frameCount = stream.pointee.nb_frames > 0 ? Int(stream.pointee.nb_frames) : Int((duration * fps).rounded())
        var audioIndex: Int32 = -1
        for i in 0..<Int(input.format.pointee.nb_streams) where input.format.pointee.streams[i]!.pointee.codecpar.pointee.codec_type == AVMEDIA_TYPE_AUDIO {
            audioIndex = Int32(i)
        }
        hasAudio = audioIndex >= 0
    }

    /// The next frame, or nil at the end of the video.
    public func nextFrame() throws(MediaError) -> RGBImage? {
        guard try input.nextFrame() else { return nil }
        return try converter.rgb(from: input.frame, width: width, height: height, path: path)
    }

    /// Every remaining frame. A file that ends before the frames its container declares is `.corrupt`.
    public func readAllFrames() throws(MediaError) -> [RGBImage] {
        var frames: [RGBImage] = []
        while let frame = try nextFrame() { frames.append(frame) }
        if frames.isEmpty { throw .corrupt(path: path, reason: "no frame could be decoded") }
        if input.stream.pointee.nb_frames > 0 && frames.count < Int(input.stream.pointee.nb_frames) {
            throw .corrupt(path: path, reason: "truncated: \(frames.count) of \(input.stream.pointee.nb_frames) frames decoded")
        }
        return frames
    }

    /// The file's audio track at 16 kHz mono.
    public func readAudio() throws(MediaError) -> AudioClip {
        try AudioFile.decode(path)
    }
}
