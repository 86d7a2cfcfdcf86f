import Foundation

/// Where a training step's wall time goes: data (rendering clips, audio features, pose maps, MiniLM), encoding
/// (the frozen VAE turning the data into target and reference latents — DiT stages only; part of the data
/// pipeline, shown apart), forward, backward, optimiser (clipping, AdamW, EMA). Seconds, summed over the steps.
public struct TrainingProfile: Sendable, Equatable {
    public enum Phase: String, CaseIterable, Sendable { case data, encoding, forward, backward, optimizer }
    public private(set) var seconds: [Phase: Double] = [:]
    public var steps = 0
    public var samples = 0

    public init() {}

    /// Runs `body`, adding its wall time to `phase`.
    public mutating func measure<T>(_ phase: Phase, _ body: () throws -> T) rethrows -> T {
        let start = DispatchTime.now().uptimeNanoseconds
        defer { seconds[phase, default: 0] += Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9 }
        return try body()
    }

    mutating func add(_ phase: Phase, _ value: Double) { seconds[phase, default: 0] += value }

    public var total: Double { seconds.values.reduce(0, +) }
    public func share(_ phase: Phase) -> Double { total > 0 ? (seconds[phase] ?? 0) / total : 0 }
    public var samplesPerSecond: Double { total > 0 ? Double(samples) / total : 0 }

    /// `data 12 %, forward 30 %, backward 55 %, optimizer 3 %; 4.1 samples/s`.
    public var summary: String {
        Phase.allCases.map { String(format: "%@ %.0f %%", $0.rawValue, 100 * share($0)) }.joined(separator: ", ")
            + String(format: "; %.2f samples/s, %.2f s/step over %d steps", samplesPerSecond, total / Double(max(steps, 1)), steps)
    }
}
