import CFFmpeg
import Dispatch

/// An opened media file (`AVFormatContext`) with one decoder on one of its streams, pulled frame by frame.
/// Owns every FFmpeg object it allocates and frees them in `deinit`. Not thread-safe; not Sendable.
final class MediaInput {
    let path: String
    private(set) var format: UnsafeMutablePointer<AVFormatContext>
    let streamIndex: Int32
    let decoder: UnsafeMutablePointer<AVCodecContext>
    private let packet: UnsafeMutablePointer<AVPacket>
    /// The most recently decoded frame; valid until the next `nextFrame()`.
    let frame: UnsafeMutablePointer<AVFrame>
    private var draining = false
    private var finished = false

    /// The longest FFmpeg may work on opening the file, or on one frame, before it counts as a file that decodes
    /// without end (seconds). A real frame, even of a very large picture, takes a small fraction of this.
    static let defaultStallLimit = 20.0
    var stallLimit: Double
    /// When the current phase (opening, or the current `nextFrame`) must end; read by FFmpeg's interrupt callback
    /// during its reads and by the decode loop.
    private let deadline = Deadline()

    final class Deadline {
        var end: UInt64 = .max
        func start(_ seconds: Double) { end = DispatchTime.now().uptimeNanoseconds &+ UInt64(max(0, seconds) * 1e9) }
        var passed: Bool { DispatchTime.now().uptimeNanoseconds > end }
    }

    /// Opens `path` and a decoder for its best stream of `type`.
    /// Throws `.noVideoStream` / `.noAudioStream` when the file has none, `.corrupt` when opening or one frame takes
    /// longer than `stallLimit` seconds.
    init(path: String, type: AVMediaType, stallLimit: Double = MediaInput.defaultStallLimit) throws(MediaError) {
        FFmpegLog.install()
        try checkReadableFile(path)
        self.path = path
        self.stallLimit = stallLimit

        // The path is a file and nothing else: "file:" keeps FFmpeg from reading a prefix such as "concat:",
        // "subfile," or "http://" as a protocol, and the whitelist stops a container (an HLS playlist, a concat
        // list) from opening anything but local files on its own.
        var context: UnsafeMutablePointer<AVFormatContext>? = avformat_alloc_context()
        guard context != nil else {
            throw .ffmpeg(path: path, operation: "allocating a demuxer", code: -12, message: "out of memory")
        }
        // FFmpeg asks this between its reads: past the deadline, it gives up (AVERROR_EXIT) instead of looping.
        context!.pointee.interrupt_callback = AVIOInterruptCB(callback: { opaque in
            guard let opaque else { return 0 }
            return Unmanaged<Deadline>.fromOpaque(opaque).takeUnretainedValue().passed ? 1 : 0
        }, opaque: Unmanaged.passUnretained(deadline).toOpaque())
        deadline.start(stallLimit)
        var options: OpaquePointer?
        av_dict_set(&options, "protocol_whitelist", "file", 0)
        let opened = avformat_open_input(&context, "file:" + path, nil, &options)
        av_dict_free(&options)
        guard opened >= 0, let context else {
            throw .corrupt(path: path, reason: deadline.passed ? Self.stalled("opening it", limit: stallLimit) : ffmpegMessage(opened))
        }
        let info = avformat_find_stream_info(context, nil)
        if info < 0 || deadline.passed {
            var c: UnsafeMutablePointer<AVFormatContext>? = context
            avformat_close_input(&c)
            throw .corrupt(path: path, reason: deadline.passed ? Self.stalled("reading its streams", limit: stallLimit) : ffmpegMessage(info))
        }
        let index = av_find_best_stream(context, type, -1, -1, nil, 0)
        guard index >= 0 else {
            var c: UnsafeMutablePointer<AVFormatContext>? = context
            avformat_close_input(&c)
            throw type == AVMEDIA_TYPE_AUDIO ? .noAudioStream(path: path) : .noVideoStream(path: path)
        }
        let codecID = context.pointee.streams[Int(index)]!.pointee.codecpar.pointee.codec_id
        guard codecID != AV_CODEC_ID_NONE, let codec = avcodec_find_decoder(codecID) else {
            var c: UnsafeMutablePointer<AVFormatContext>? = context
            avformat_close_input(&c)
            if codecID == AV_CODEC_ID_NONE {
                throw .corrupt(path: path, reason: "the stream's codec cannot be identified (truncated or damaged file)")
            }
            throw .unsupported(path: path, what: "codec \(String(cString: avcodec_get_name(codecID))): no decoder in this FFmpeg build")
        }
        // Discard packets of every other stream at the demuxer.
        for i in 0..<Int(context.pointee.nb_streams) where i != Int(index) {
            context.pointee.streams[i]!.pointee.discard = AVDISCARD_ALL
        }
        guard let decoder = avcodec_alloc_context3(codec) else {
            var c: UnsafeMutablePointer<AVFormatContext>? = context
            avformat_close_input(&c)
            throw .ffmpeg(path: path, operation: "allocating a decoder", code: -12, message: "out of memory")
        }
        self.format = context
        self.streamIndex = index
        self.decoder = decoder
        self.packet = av_packet_alloc()
        self.frame = av_frame_alloc()
        try check(avcodec_parameters_to_context(decoder, stream.pointee.codecpar), "reading codec parameters", path: path)
        decoder.pointee.pkt_timebase = stream.pointee.time_base
        try check(avcodec_open2(decoder, codec, nil), "opening the \(String(cString: codec.pointee.name)) decoder", path: path)
    }

    deinit {
        var f: UnsafeMutablePointer<AVFrame>? = frame
        av_frame_free(&f)
        var p: UnsafeMutablePointer<AVPacket>? = packet
        av_packet_free(&p)
        var d: UnsafeMutablePointer<AVCodecContext>? = decoder
        avcodec_free_context(&d)
        var c: UnsafeMutablePointer<AVFormatContext>? = format
        avformat_close_input(&c)
    }

    var stream: UnsafeMutablePointer<AVStream> { format.pointee.streams[Int(streamIndex)]! }

    /// Decodes the next frame into `frame`; `false` at the end of the stream.
    /// A read or decode error other than end-of-file is a `.corrupt` error naming FFmpeg's reason.
    func nextFrame() throws(MediaError) -> Bool {
        if finished { return false }
        deadline.start(stallLimit)
        while true {
            if deadline.passed { throw .corrupt(path: path, reason: Self.stalled("decoding one frame", limit: stallLimit)) }
            let received = avcodec_receive_frame(decoder, frame)
            if received >= 0 { return true }
            if received == averrorEOF { finished = true; return false }
            if received != averrorEAGAIN { throw .corrupt(path: path, reason: "decoding: " + ffmpegMessage(received)) }
            if draining { finished = true; return false }

            let read = av_read_frame(format, packet)
            if deadline.passed { throw .corrupt(path: path, reason: Self.stalled("decoding one frame", limit: stallLimit)) }
            if read == averrorEOF {
                draining = true
                _ = avcodec_send_packet(decoder, nil)
                continue
            }
            if read < 0 { throw .corrupt(path: path, reason: "reading: " + ffmpegMessage(read)) }
            defer { av_packet_unref(packet) }
            if packet.pointee.stream_index != streamIndex { continue }
            if packet.pointee.flags & AV_PKT_FLAG_CORRUPT != 0 {
                throw .corrupt(path: path, reason: "truncated or damaged packet at byte \(packet.pointee.pos)")
            }
            let sent = avcodec_send_packet(decoder, packet)
            if sent < 0 && sent != averrorEAGAIN {
                throw .corrupt(path: path, reason: "decoding: " + ffmpegMessage(sent))
            }
        }
    }

    /// The reason for a file that took longer than `limit` seconds over `what`.
    static func stalled(_ what: String, limit: Double) -> String {
        "FFmpeg spent more than \(Int(limit.rounded(.up))) s \(what) without an end: the file is damaged or built to hang"
    }
}
