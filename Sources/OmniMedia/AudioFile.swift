import CFFmpeg

/// Decodes any audio FFmpeg reads — or the audio track of a video file — to 16 kHz mono Float32 through
/// swresample. Files without an audio stream are rejected with `.noAudioStream`; a stream that decodes to no
/// samples with `.emptyAudio`; a frame below `minimumSampleRate` (a damaged header claiming 1 Hz would ask for
/// 16 000 output samples per input sample) or audio longer than `maxSeconds` with `.corrupt` /
/// `.invalidInput`, before the samples are held in memory. `stopAfter` seconds: decode only the start (a
/// `--duration` shorter than a long recording).
public enum AudioFile {
    /// Below every real audio rate (telephone audio is 8 kHz).
    public static let minimumSampleRate: Int32 = 2000

    /// Seconds of audio in `path` as the container declares them (the stream's duration, else the file's); when
    /// it declares none, the length of the decoded audio.
    public static func duration(_ path: String) throws(MediaError) -> Double {
        let declared: Double
        do {
            let input = try MediaInput(path: path, type: AVMEDIA_TYPE_AUDIO)
            let stream = input.stream.pointee
            if stream.duration > 0 { declared = Double(stream.duration) * av_q2d(stream.time_base) }
            else if input.format.pointee.duration > 0 { declared = Double(input.format.pointee.duration) / Double(AV_TIME_BASE) }
            else { declared = 0 }
        }
        return declared > 0 ? declared : try decode(path).duration
    }

    public static func decode(_ path: String, sampleRate: Int = AudioClip.standardRate,
                              maxSeconds: Double = 4 * 3600, stopAfter: Double? = nil) throws(MediaError) -> AudioClip {
        let maxSamples = Int(min(maxSeconds, 1e7) * Double(sampleRate))
        let stopSamples = stopAfter.map { Int(min(max($0, 0), 1e7) * Double(sampleRate)) } ?? Int.max
        let input = try MediaInput(path: path, type: AVMEDIA_TYPE_AUDIO)
        var resampler: OpaquePointer?
        defer { swr_free(&resampler) }
        var samples: [Float] = []
        var output = [Float](repeating: 0, count: 4096)

        func convert(_ inputData: UnsafeMutablePointer<UnsafePointer<UInt8>?>?, _ count: Int32) throws(MediaError) -> Int32 {
            let capacity = Int(swr_get_out_samples(resampler, count)) + 32
            if output.count < capacity { output = [Float](repeating: 0, count: capacity) }
            let produced = output.withUnsafeMutableBytes { buffer -> Int32 in
                var planes: [UnsafeMutablePointer<UInt8>?] = [buffer.baseAddress!.assumingMemoryBound(to: UInt8.self)]
                return swr_convert(resampler, &planes, Int32(capacity), inputData, count)
            }
            try check(produced, "resampling audio", path: path)
            guard samples.count + Int(produced) <= maxSamples else {
                throw .invalidInput(path: path, reason: "the audio lasts more than \(Int(maxSeconds)) s, the longest this reads")
            }
            samples.append(contentsOf: output[0..<Int(produced)])
            return produced
        }

        // The resampler is set up for one input layout, sample format and rate. A stream may change them
        // mid-way (a damaged MP3 whose later frames parse as another layer, concatenated files): flush what the
        // old set-up holds and set up again, rather than hand swr_convert frames it was not made for.
        var configured: FrameFormat?
        while samples.count < stopSamples, try input.nextFrame() {
            let frame = input.frame
            let format = FrameFormat(frame.pointee)
            guard format.sampleRate >= Self.minimumSampleRate, format.sampleRate <= 1_000_000, format.channels > 0, format.channels <= 64 else {
                throw .corrupt(path: path, reason: "an audio frame with \(format.channels) channels at \(format.sampleRate) Hz")
            }
            if format != configured {
                if resampler != nil {
                    while try convert(nil, 0) > 0 {}
                    swr_free(&resampler)
                }
                var inLayout = AVChannelLayout()
                if frame.pointee.ch_layout.order == AV_CHANNEL_ORDER_UNSPEC || av_channel_layout_check(&frame.pointee.ch_layout) == 0 {
                    av_channel_layout_default(&inLayout, format.channels)
                } else {
                    try check(av_channel_layout_copy(&inLayout, &frame.pointee.ch_layout), "reading the channel layout", path: path)
                }
                defer { av_channel_layout_uninit(&inLayout) }
                var outLayout = AVChannelLayout()
                av_channel_layout_default(&outLayout, 1)
                try check(swr_alloc_set_opts2(&resampler, &outLayout, AV_SAMPLE_FMT_FLT, Int32(sampleRate),
                                              &inLayout, AVSampleFormat(format.sampleFormat), format.sampleRate, 0, nil),
                          "configuring the resampler", path: path)
                try check(swr_init(resampler), "configuring the resampler", path: path)
                configured = format
            }
            guard frame.pointee.nb_samples > 0 else { continue }
            try frame.pointee.extended_data.withMemoryRebound(to: UnsafePointer<UInt8>?.self, capacity: Int(format.channels)) { data throws(MediaError) in
                _ = try convert(data, frame.pointee.nb_samples)
            }
        }
        if resampler != nil && samples.count < stopSamples {
            while try convert(nil, 0) > 0 {}
        }
        if samples.count > stopSamples { samples.removeLast(samples.count - stopSamples) }
        // Codecs such as AAC decode whole frames, so the tail holds encoder padding past the stream's declared
        // end. Cut it — but only padding-sized excess (≤ 0.1 s): durations estimated from a bit rate are not
        // trusted to shorten real audio.
        let stream = input.stream.pointee
        if stream.duration > 0 {
            let declared = Int((Double(stream.duration) * av_q2d(stream.time_base) * Double(sampleRate)).rounded())
            let excess = samples.count - declared
            if excess > 0 && excess <= sampleRate / 10 { samples.removeLast(excess) }
        }
        if samples.isEmpty { throw .emptyAudio(path: path) }
        return AudioClip(samples: samples, sampleRate: sampleRate)
    }
}

/// What the resampler is set up for: a decoded frame's channel count and order (and mask, for native layouts),
/// sample format and rate.
private struct FrameFormat: Equatable {
    var channels: Int32
    var order: UInt32
    var mask: UInt64
    var sampleFormat: Int32
    var sampleRate: Int32

    init(_ frame: AVFrame) {
        channels = frame.ch_layout.nb_channels
        order = frame.ch_layout.order.rawValue
        mask = frame.ch_layout.order == AV_CHANNEL_ORDER_NATIVE ? frame.ch_layout.u.mask : 0
        sampleFormat = frame.format
        sampleRate = frame.sample_rate
    }
}
