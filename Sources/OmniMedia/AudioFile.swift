import CFFmpeg

/// Decodes any audio FFmpeg reads — or the audio track of a video file — to 16 kHz mono Float32 through
/// swresample. Files without an audio stream are rejected with `.noAudioStream`; a stream that decodes to no
/// samples with `.emptyAudio`.
public enum AudioFile {
    public static func decode(_ path: String, sampleRate: Int = AudioClip.standardRate) throws(MediaError) -> AudioClip {
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
            samples.append(contentsOf: output[0..<Int(produced)])
            return produced
        }

        while try input.nextFrame() {
            let frame = input.frame
            if resampler == nil {
                var inLayout = AVChannelLayout()
                if frame.pointee.ch_layout.order == AV_CHANNEL_ORDER_UNSPEC || av_channel_layout_check(&frame.pointee.ch_layout) == 0 {
                    av_channel_layout_default(&inLayout, max(1, frame.pointee.ch_layout.nb_channels))
                } else {
                    try check(av_channel_layout_copy(&inLayout, &frame.pointee.ch_layout), "reading the channel layout", path: path)
                }
                defer { av_channel_layout_uninit(&inLayout) }
                var outLayout = AVChannelLayout()
                av_channel_layout_default(&outLayout, 1)
                try check(swr_alloc_set_opts2(&resampler, &outLayout, AV_SAMPLE_FMT_FLT, Int32(sampleRate),
                                              &inLayout, AVSampleFormat(frame.pointee.format), frame.pointee.sample_rate, 0, nil),
                          "configuring the resampler", path: path)
                try check(swr_init(resampler), "configuring the resampler", path: path)
            }
            guard frame.pointee.nb_samples > 0 else { continue }
            try frame.pointee.extended_data.withMemoryRebound(to: UnsafePointer<UInt8>?.self, capacity: 8) { data throws(MediaError) in
                _ = try convert(data, frame.pointee.nb_samples)
            }
        }
        if resampler != nil {
            while try convert(nil, 0) > 0 {}
        }
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
