import Foundation

/// What a model of a given config needs in memory, worked out from the config alone — before anything is
/// allocated — so that a config asking for more than the machine has is an error naming its sizes, not an
/// out-of-memory trap half-way through building the model.
///
/// `parameters` mirrors the modules' shapes (weights and biases of every layer; within a few per cent of the
/// built model's count, which a test checks). `generationBytes` is the working set of one segment at the largest
/// aspect bucket: the DiT's token activations for the three guidance passes (a block's attention, MLP and
/// residual streams at once) and the VAE decoder's widest full-resolution activations. Both are estimates meant
/// for a budget check, in Double so that absurd sizes cannot overflow.
public struct ModelMemory: Sendable, Equatable {
    public var parameters: Double
    public var generationBytes: Double
    public var parameterBytes: Double { parameters * 4 }
    public var totalBytes: Double { parameterBytes + generationBytes }

    public init(config c: ModelConfig) {
        func conv3(_ i: Double, _ o: Double, _ k: Double = 27) -> Double { k * i * o + o }
        func residual(_ i: Double, _ o: Double) -> Double {
            i + o + conv3(i, o) + conv3(o, o) + (i == o ? 0 : conv3(i, o, 1))
        }
        func downsample(_ i: Double, _ o: Double, temporal: Bool) -> Double { conv3(i, o, 9) + (temporal ? conv3(o, o, 3) : 0) }

        // VAE: encoder and decoder, widths base·multiplier.
        let v = c.vae, base = Double(v.baseChannels), z = Double(v.zChannels)
        let m = v.channelMultipliers.map(Double.init)
        var vae = 0.0
        var widths = [base] + m.map { base * $0 }
        vae += conv3(3, widths[0])
        for i in m.indices {
            for j in 0..<v.encoderBlocks { vae += residual(j == 0 ? widths[i] : widths[i + 1], widths[i + 1]) }
            if i < m.count - 1 { vae += downsample(widths[i + 1], widths[i + 1], temporal: v.temporalDownsample[i]) }
        }
        let top = widths.last!
        let middle = 2 * residual(top, top) + (v.midAttention ? 4 * top * top + 4 * top : 0)
        vae += middle + top + conv3(top, 2 * z)
        widths = [m.last!].map { base * $0 } + m.reversed().map { base * $0 }
        let flags = Array(v.temporalDownsample.reversed())
        vae += conv3(z, widths[0]) + middle
        for i in m.indices {
            let input = i == 0 ? widths[0] : widths[i] / 2, output = widths[i + 1]
            for j in 0...v.resBlocks { vae += residual(j == 0 ? input : output, output) }
            if i < m.count - 1 { vae += (flags[i] ? conv3(output, 2 * output, 3) : 0) + conv3(output, output / 2, 9) }
        }
        vae += widths.last! + conv3(widths.last!, 3)

        // Pose guider.
        var pose = 0.0, channels = Double(c.pose.mapChannels)
        for (i, g) in c.pose.guiderChannels.map(Double.init).enumerated() {
            pose += conv3(channels, g) + downsample(g, g, temporal: i < v.temporalDownsample.count && v.temporalDownsample[i])
            channels = g
        }
        pose += conv3(channels, Double(c.pose.featureChannels))

        // DiT.
        let d = Double(c.dit.width), p2 = Double(c.dit.patchSize * c.dit.patchSize), mlp = Double(c.dit.mlpRatio)
        let inputs = Double(c.ditInputChannels)
        let audioWidth = Double(c.audio.featureWidth), hidden = Double(c.audio.hidden)
        var dit = p2 * inputs * d + d
        dit += Double(c.dit.timeEmbeddingWidth) * d + d + d * d + d + 6 * d * d + 6 * d
        dit += Double(c.text.encoderWidth) * d + d + d * d + d
        dit += audioWidth * hidden + hidden + hidden * d + d
        let block = (3 + 1 + 2 * mlp + 2 + 2) * d * d + (3 + 2 + 1 + mlp + 1 + 6 + 2 + 1 + 2 + 1) * d
        dit += Double(c.dit.depth) * block + 2 * d + d * p2 * z + p2 * z
        if c.dit.guidanceEmbedding { dit += 2 * (Double(c.dit.timeEmbeddingWidth) * d + d + d * d + d) }
        parameters = vae + pose + dit

        // One segment at the largest bucket.
        let cell = Double(v.spatialFactor * c.dit.patchSize)
        let pixels = c.video.sizes.map { Double($0.first ?? 0) * Double($0.last ?? 0) }.max() ?? 0
        let frames = Double(c.video.segmentFrames)
        let latentFrames = 1 + (frames - 1) / Double(v.temporalFactor)
        let grid = pixels / (cell * cell)
        let tokens = (latentFrames + 1) * grid + Double(c.text.maxTokens) + frames
        let passes = 3.0
        let ditBytes = passes * tokens * d * (6 + 2 * mlp) * 4
        let decoderBytes = frames * pixels * base * (m.first ?? 1) * 4 * 4   // the last stage's width, a few tensors
        generationBytes = ditBytes + decoderBytes
    }

    /// Bytes this process may use: three quarters of the smaller of the machine's memory and the address-space
    /// and data limits (`ulimit -v` / `-d`) where set.
    public static var budgetBytes: Double {
        var limit = Double(ProcessInfo.processInfo.physicalMemory)
        for resource in [RLIMIT_AS, RLIMIT_DATA] {
            var r = rlimit()
            if getrlimit(__rlimit_resource_t(resource.rawValue), &r) == 0, r.rlim_cur != rlim_t.max {
                limit = min(limit, Double(r.rlim_cur))
            }
        }
        return 0.75 * limit
    }
}
