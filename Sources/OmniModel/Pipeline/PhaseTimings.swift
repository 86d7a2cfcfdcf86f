import Dispatch

/// Wall-clock seconds a generation spent per phase: the DiT's denoising forwards, the VAE (decoding segments,
/// encoding the reference and motion frames), the audio features (log-mel or the Whisper encoder, per the model's
/// `audio.encoder`), the condition encoders (text, pose guider, condition keys/values), and the total. Written to `run.log` and read by `omnistudio bench generate`.
public struct PhaseTimings: Sendable, Equatable {
    public var dit = 0.0
    public var vae = 0.0
    public var encoders = 0.0
    public var audioFeatures = 0.0
    public var total = 0.0
    /// DiT forward calls and the passes (batch elements) they carried.
    public var ditCalls = 0
    public var ditPasses = 0

    public init() {}

    public enum Phase { case dit, vae, encoders }

    /// Runs `body`, adding its wall time to `phase`.
    public mutating func measure<T, E: Error>(_ phase: Phase, _ body: () throws(E) -> T) throws(E) -> T {
        let start = DispatchTime.now().uptimeNanoseconds
        defer {
            let seconds = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
            switch phase {
            case .dit: dit += seconds
            case .vae: vae += seconds
            case .encoders: encoders += seconds
            }
        }
        return try body()
    }

    public var summary: String {
        String(format: "time: total %.2f s; DiT %.2f s (%d calls, %d passes); VAE %.2f s; audio features %.2f s; encoders %.2f s",
               total, dit, ditCalls, ditPasses, vae, audioFeatures, encoders)
    }
}
