import CFFmpeg

/// Writes RGB frames at a constant frame rate (plus optional 16 kHz mono audio) to an MP4: H.264 yuv420p
/// (libx264) + AAC, `+faststart`. Odd frame sizes are padded to even by repeating the last column/row
/// (yuv420p needs even sides). Audio is interleaved as the video advances, so memory does not grow with the
/// video's length; with `trimAudioToVideo` (default) the audio stream ends where the video does.
///
/// The file is written under a temporary name next to `path` and renamed by `finish()`; `cancel()` (or
/// dropping an unfinished writer) removes it, so a half-written video never looks finished.
public final class VideoWriter {
    public let path: String
    public let width: Int
    public let height: Int
    public let fps: Int
    /// Frames appended so far.
    public private(set) var frameCount = 0

    private let pending: PendingFile
    private var format: UnsafeMutablePointer<AVFormatContext>?
    private var video: Encoder?
    private var audio: Encoder?
    private var audioSamples: [Float]
    private var audioWritten = 0
    private let trimAudioToVideo: Bool
    private let converter = PixelConverter()
    private var state: State = .open
    private enum State { case open, finished, cancelled }

    /// - Parameters:
    ///   - path: the final `.mp4` path; its folder must exist.
    ///   - width, height: frame size in pixels (every appended frame must have it).
    ///   - fps: frames per second.
    ///   - audio: optional mono audio, any sample rate (resampled by the caller to 16 kHz by convention).
    ///   - crf: x264 constant rate factor (lower = better; 18 is visually lossless).
    public init(path: String, width: Int, height: Int, fps: Int, audio: AudioClip? = nil,
                crf: Int = 18, preset: String = "fast", trimAudioToVideo: Bool = true) throws(MediaError) {
        FFmpegLog.install()
        guard width > 0, height > 0, width <= 16384, height <= 16384 else { throw .invalidInput(path: path, reason: "invalid frame size \(width)×\(height)") }
        guard fps > 0, fps <= 1000 else { throw .invalidInput(path: path, reason: "invalid frame rate \(fps)") }
        self.path = path
        self.width = width
        self.height = height
        self.fps = fps
        self.pending = PendingFile(finalPath: path)
        self.audioSamples = audio?.samples ?? []
        self.trimAudioToVideo = trimAudioToVideo

        var context: UnsafeMutablePointer<AVFormatContext>?
        try check(avformat_alloc_output_context2(&context, nil, "mp4", pending.temporaryPath), "creating an MP4 muxer", path: path)
        guard let context else { throw .unsupported(path: path, what: "container: no MP4 muxer") }
        format = context
        let globalHeader = context.pointee.oformat.pointee.flags & AVFMT_GLOBALHEADER != 0

        do throws(MediaError) {
            let evenW = width + width % 2, evenH = height + height % 2
            let video = try Encoder.video(format: context, width: evenW, height: evenH, fps: fps, crf: crf, preset: preset,
                                      globalHeader: globalHeader, path: path)
            self.video = video
            if let audio, !audio.samples.isEmpty {
                self.audio = try Encoder.audio(format: context, sampleRate: audio.sampleRate, globalHeader: globalHeader, path: path)
            }
            try check(avio_open(&context.pointee.pb, "file:" + pending.temporaryPath, AVIO_FLAG_WRITE), "creating the file", path: path)
            var options: OpaquePointer?
            av_dict_set(&options, "movflags", "+faststart", 0)
            defer { av_dict_free(&options) }
            try check(avformat_write_header(context, &options), "writing the MP4 header", path: path)
        } catch {
            closeAndDiscard()
            throw error
        }
    }

    deinit {
        if state == .open { closeAndDiscard() }
    }

    /// Encodes one frame; it must be `width × height`.
    public func append(_ frame: RGBImage) throws(MediaError) {
        guard state == .open else { throw .invalidInput(path: path, reason: "append after the video was finished or cancelled") }
        guard frame.width == width, frame.height == height else {
            throw .invalidInput(path: path, reason: "frame is \(frame.width)×\(frame.height), the video is \(width)×\(height)")
        }
        let padded = frame.paddedToEven()
        guard let video else { return }
        try check(av_frame_make_writable(video.frame), "preparing a frame", path: path)
        try converter.fill(video.frame, from: padded, path: path)
        video.frame.pointee.pts = Int64(frameCount)
        frameCount += 1
        try video.send(video.frame, to: format!, path: path)
        try writeAudio(upTo: audioTarget(final: false))
    }

    /// Flushes the encoders, writes the trailer and renames the file into place. Returns the final path.
    @discardableResult
    public func finish() throws(MediaError) -> String {
        guard state == .open else { throw .invalidInput(path: path, reason: "finish after the video was finished or cancelled") }
        do throws(MediaError) {
            guard frameCount > 0 else { throw MediaError.invalidInput(path: path, reason: "no frames were written") }
            try video!.send(nil, to: format!, path: path)
            if audio != nil {
                try writeAudio(upTo: audioTarget(final: true), final: true)
                try audio!.send(nil, to: format!, path: path)
            }
            try check(av_write_trailer(format!), "writing the MP4 trailer", path: path)
            try check(avio_closep(&format!.pointee.pb), "closing the file", path: path)
            try pending.commit()
            state = .finished
            releaseFFmpeg()
            return path
        } catch {
            closeAndDiscard()
            throw error
        }
    }

    /// Stops writing and removes the temporary file.
    public func cancel() {
        if state == .open { closeAndDiscard() }
    }

    /// Audio samples that belong in the file once `frameCount` frames exist.
    private func audioTarget(final: Bool) -> Int {
        guard let audio else { return 0 }
        let videoEnd = Int((Double(frameCount) / Double(fps) * Double(audio.context.pointee.sample_rate)).rounded())
        if final { return trimAudioToVideo ? min(audioSamples.count, videoEnd) : audioSamples.count }
        return min(audioSamples.count, videoEnd)
    }

    /// Encodes audio in whole encoder frames up to `target` samples; a short last frame only when `final`.
    private func writeAudio(upTo target: Int, final: Bool = false) throws(MediaError) {
        guard let audio else { return }
        let frameSize = Int(audio.context.pointee.frame_size)
        let smallLastFrame = audio.context.pointee.codec.pointee.capabilities & AV_CODEC_CAP_SMALL_LAST_FRAME != 0
        while audioWritten < target {
            let count = min(frameSize, target - audioWritten)
            if count < frameSize && !final { break }
            let frame = audio.frame
            try check(av_frame_make_writable(frame), "preparing an audio frame", path: path)
            frame.pointee.nb_samples = Int32(smallLastFrame ? count : frameSize)
            let plane = UnsafeMutableRawPointer(frame.pointee.data.0!).assumingMemoryBound(to: Float.self)
            audioSamples.withUnsafeBufferPointer { src in
                plane.update(from: src.baseAddress! + audioWritten, count: count)
            }
            if count < frameSize { (plane + count).update(repeating: 0, count: frameSize - count) }
            frame.pointee.pts = Int64(audioWritten)
            audioWritten += count
            try audio.send(frame, to: format!, path: path)
        }
    }

    private func closeAndDiscard() {
        if let format, format.pointee.pb != nil { avio_closep(&format.pointee.pb) }
        releaseFFmpeg()
        pending.discard()
        state = .cancelled
    }

    private func releaseFFmpeg() {
        video?.release()
        audio?.release()
        video = nil
        audio = nil
        avformat_free_context(format)
        format = nil
    }
}

extension RGBImage {
    /// This picture with its last column/row repeated once where a side is odd.
    func paddedToEven() -> RGBImage {
        if width % 2 == 0 && height % 2 == 0 { return self }
        let w = width + width % 2, h = height + height % 2
        return RGBImage(width: w, height: h) { x, y in self[min(x, width - 1), min(y, height - 1)] }
    }
}
