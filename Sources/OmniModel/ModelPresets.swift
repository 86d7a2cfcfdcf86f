/// Built-in model shapes for `random:<name>` sources: `tiny` (a few hundred thousand parameters, for tests)
/// and `mini` (the shape the next bundled model is trained in, for benchmarks and training). Both use the ÷4 VAE
/// (two down-sampling stages, both also halving time) with the DiT's 2×2 patches, so a 64×64 frame is a 16×16
/// latent grid and 8×8 = 64 tokens per latent frame. `mini`: VAE 7.2 M parameters (width 32, one residual block
/// per encoder stage; chosen by the candidate table in Models/training/stage0-vae), DiT 7 M. That folder has since
/// grown its encoder to two blocks a stage (`vae.encoder_res_blocks`) and its latent to 24 channels (8.45 M); a
/// DiT trained on it takes its config.json, not this preset.
extension ModelConfig {
    public static let tiny = ModelConfig(
        vae: VAEConfig(baseChannels: 8, channelMultipliers: [1, 2, 2], resBlocks: 1, temporalDownsample: [true, true],
                       zChannels: 4, midAttention: false,
                       latentMean: [Float](repeating: 0, count: 4), latentStd: [Float](repeating: 1, count: 4)),
        dit: DiTConfig(width: 32, depth: 2, heads: 2, mlpRatio: 2, ropeBase: 10000, timeEmbeddingWidth: 32, patchSize: 2),
        audio: AudioConditionConfig(melBins: 80, melFramesPerVideoFrame: 4, neighbours: 2, hidden: 32, band: 1),
        pose: PoseConditionConfig(mapChannels: 35, guiderChannels: [8, 8], featureChannels: 4),
        text: TextConditionConfig(encoderWidth: 384, maxTokens: 16),
        video: VideoConfig(fps: 25, segmentFrames: 9, motionFrames: 5, sizes: [[32, 32], [24, 32], [32, 24]]),
        sampling: SamplingDefaults(steps: 4, shift: 3, audioGuidance: 2.5, audioGuidanceEnd: 1.5, textGuidance: 3))

    public static let mini = ModelConfig(
        vae: VAEConfig(baseChannels: 32, channelMultipliers: [1, 2, 4], resBlocks: 1, temporalDownsample: [true, true],
                       zChannels: 16, midAttention: false,
                       latentMean: [Float](repeating: 0, count: 16), latentStd: [Float](repeating: 1, count: 16)),
        dit: DiTConfig(width: 256, depth: 6, heads: 4, mlpRatio: 4, ropeBase: 10000, timeEmbeddingWidth: 256, patchSize: 2),
        audio: AudioConditionConfig(melBins: 80, melFramesPerVideoFrame: 4, neighbours: 2, hidden: 256, band: 2),
        pose: PoseConditionConfig(mapChannels: 35, guiderChannels: [16, 32], featureChannels: 16),
        text: TextConditionConfig(encoderWidth: 384, maxTokens: 32),
        video: VideoConfig(fps: 25, segmentFrames: 25, motionFrames: 5, sizes: [[64, 64], [48, 64], [64, 48]]),
        sampling: SamplingDefaults(steps: 20, shift: 3, audioGuidance: 2.5, audioGuidanceEnd: 1.5, textGuidance: 4))

    /// The preset called `name`, if any: `tiny`, `mini`, or either with `-whisper` (audio features from Whisper
    /// tiny.en's encoder instead of log-mel rows).
    public static func preset(_ name: String) -> ModelConfig? {
        let whisper = name.hasSuffix("-whisper")
        var config: ModelConfig
        switch whisper ? String(name.dropLast("-whisper".count)) : name {
        case "tiny": config = .tiny
        case "mini": config = .mini
        default: return nil
        }
        if whisper { config.audio.encoder = AudioConditionConfig.whisperEncoder }
        return config
    }
}
