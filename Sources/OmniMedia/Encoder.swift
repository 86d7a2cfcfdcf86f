import CFFmpeg

/// One encoder feeding one stream of an output file: the codec context, a reusable frame and packet, and
/// the packet loop. Packet durations are set before rescaling: libx264's flush packets carry duration 0,
/// and the MP4 muxer's edit list would then drop the last frame.
struct Encoder {
    let context: UnsafeMutablePointer<AVCodecContext>
    let stream: UnsafeMutablePointer<AVStream>
    let frame: UnsafeMutablePointer<AVFrame>
    let packet: UnsafeMutablePointer<AVPacket>
    /// Duration of one frame in the codec time base (1 for video; audio packets carry their own).
    let frameDuration: Int64

    static func video(format: UnsafeMutablePointer<AVFormatContext>, width: Int, height: Int, fps: Int,
                      crf: Int, preset: String, globalHeader: Bool, path: String) throws(MediaError) -> Encoder {
        guard let codec = avcodec_find_encoder_by_name("libx264") ?? avcodec_find_encoder(AV_CODEC_ID_H264) else {
            throw .unsupported(path: path, what: "video codec: this FFmpeg build has no H.264 encoder")
        }
        return try make(format: format, codec: codec, frameDuration: 1, path: path) { c in
            c.pointee.width = Int32(width)
            c.pointee.height = Int32(height)
            c.pointee.pix_fmt = AV_PIX_FMT_YUV420P
            c.pointee.time_base = AVRational(num: 1, den: Int32(fps))
            c.pointee.framerate = AVRational(num: Int32(fps), den: 1)
            c.pointee.gop_size = Int32(fps * 2)
            if globalHeader { c.pointee.flags |= AV_CODEC_FLAG_GLOBAL_HEADER }
            av_opt_set(c.pointee.priv_data, "crf", String(crf), 0)
            av_opt_set(c.pointee.priv_data, "preset", preset, 0)
        } configureFrame: { c, f in
            f.pointee.width = c.pointee.width
            f.pointee.height = c.pointee.height
            f.pointee.format = c.pointee.pix_fmt.rawValue
        }
    }

    static func audio(format: UnsafeMutablePointer<AVFormatContext>, sampleRate: Int, globalHeader: Bool,
                      path: String) throws(MediaError) -> Encoder {
        guard let codec = avcodec_find_encoder(AV_CODEC_ID_AAC) else {
            throw .unsupported(path: path, what: "audio codec: this FFmpeg build has no AAC encoder")
        }
        return try make(format: format, codec: codec, frameDuration: 0, path: path) { c in
            c.pointee.sample_fmt = AV_SAMPLE_FMT_FLTP
            c.pointee.sample_rate = Int32(sampleRate)
            av_channel_layout_default(&c.pointee.ch_layout, 1)
            c.pointee.bit_rate = 64_000
            c.pointee.time_base = AVRational(num: 1, den: Int32(sampleRate))
            if globalHeader { c.pointee.flags |= AV_CODEC_FLAG_GLOBAL_HEADER }
        } configureFrame: { c, f in
            f.pointee.nb_samples = c.pointee.frame_size > 0 ? c.pointee.frame_size : 1024
            f.pointee.format = c.pointee.sample_fmt.rawValue
            f.pointee.sample_rate = c.pointee.sample_rate
            av_channel_layout_copy(&f.pointee.ch_layout, &c.pointee.ch_layout)
        }
    }

    private static func make(format: UnsafeMutablePointer<AVFormatContext>, codec: UnsafePointer<AVCodec>, frameDuration: Int64,
                             path: String,
                             configure: (UnsafeMutablePointer<AVCodecContext>) -> Void,
                             configureFrame: (UnsafeMutablePointer<AVCodecContext>, UnsafeMutablePointer<AVFrame>) -> Void) throws(MediaError) -> Encoder {
        let name = String(cString: codec.pointee.name)
        guard let stream = avformat_new_stream(format, nil) else {
            throw .ffmpeg(path: path, operation: "adding a \(name) stream", code: -12, message: "out of memory")
        }
        var context = avcodec_alloc_context3(codec)
        var frame = av_frame_alloc()
        var packet = av_packet_alloc()
        guard let c = context, let f = frame, let p = packet else {
            avcodec_free_context(&context); av_frame_free(&frame); av_packet_free(&packet)
            throw .ffmpeg(path: path, operation: "allocating the \(name) encoder", code: -12, message: "out of memory")
        }
        let encoder = Encoder(context: c, stream: stream, frame: f, packet: p, frameDuration: frameDuration)
        configure(c)
        do throws(MediaError) {
            try check(avcodec_open2(c, codec, nil), "opening the \(name) encoder", path: path)
            try check(avcodec_parameters_from_context(stream.pointee.codecpar, c), "configuring the \(name) stream", path: path)
            stream.pointee.time_base = c.pointee.time_base
            configureFrame(c, f)
            try check(av_frame_get_buffer(f, 0), "allocating \(name) frames", path: path)
        } catch {
            encoder.release()
            throw error
        }
        return encoder
    }

    /// Sends `frame` (nil flushes) and muxes every packet the encoder has ready.
    func send(_ frame: UnsafeMutablePointer<AVFrame>?, to format: UnsafeMutablePointer<AVFormatContext>, path: String) throws(MediaError) {
        let name = String(cString: context.pointee.codec.pointee.name)
        try check(avcodec_send_frame(context, frame), "encoding with \(name)", path: path)
        while true {
            let rc = avcodec_receive_packet(context, packet)
            if rc == averrorEAGAIN || rc == averrorEOF { return }
            try check(rc, "encoding with \(name)", path: path)
            if frameDuration > 0 && packet.pointee.duration <= 0 { packet.pointee.duration = frameDuration }
            av_packet_rescale_ts(packet, context.pointee.time_base, stream.pointee.time_base)
            packet.pointee.stream_index = stream.pointee.index
            let written = av_interleaved_write_frame(format, packet)  // takes ownership of the packet's data
            try check(written, "writing \(name) packets", path: path)
        }
    }

    func release() {
        var c: UnsafeMutablePointer<AVCodecContext>? = context
        avcodec_free_context(&c)
        var f: UnsafeMutablePointer<AVFrame>? = frame
        av_frame_free(&f)
        var p: UnsafeMutablePointer<AVPacket>? = packet
        av_packet_free(&p)
    }
}
