import Foundation

/// Folds `GenerationEvent`s into what a progress display shows: step k of n, segment s of m, steps per second,
/// elapsed and estimated remaining seconds, and per-step durations (for a sparkline). Pure: time comes in with
/// each event, so tests drive it with fixed clocks. Shared by the CLI progress bar and the studio.
public struct GenerationProgress: Sendable, Equatable {
    public var phase: String = "starting"
    public var step = 0
    public var steps = 0
    public var segment = 0
    public var segments = 0
    public var startTime: Double?
    public var lastStepTime: Double?
    /// Seconds each completed step took, oldest first.
    public var stepDurations: [Double] = []
    public var finished = false

    public init() {}

    /// Applies `event` observed at `time` (seconds on any monotonic clock).
    public mutating func apply(_ event: GenerationEvent, at time: Double) {
        if startTime == nil { startTime = time }
        switch event {
        case .loading(let what): phase = "loading \(what)"
        case .encodingConditions(let what): phase = "encoding \(what)"; lastStepTime = time
        case .note, .frame: break
        case .step(let k, let n, let s, let m, _):
            if let last = lastStepTime { stepDurations.append(time - last) }
            lastStepTime = time
            step = k; steps = n; segment = s; segments = m
            phase = "denoising"
        case .segmentDone(let s, let m, _): phase = "segment \(s)/\(m) decoded"; lastStepTime = time
        case .finished: phase = "done"; finished = true
        case .failed(let e): phase = "failed: \(e)"; finished = true
        case .cancelled: phase = "cancelled"; finished = true
        }
    }

    /// Completed steps over the whole run (segments × steps).
    public var completedSteps: Int { max(0, segment - 1) * steps + step }
    public var totalSteps: Int { segments * steps }
    public var fraction: Double { totalSteps > 0 ? Double(completedSteps) / Double(totalSteps) : 0 }

    /// Steps per second over the recent steps (the last 8).
    public var stepsPerSecond: Double? {
        let recent = stepDurations.suffix(8)
        guard !recent.isEmpty else { return nil }
        let mean = recent.reduce(0, +) / Double(recent.count)
        return mean > 0 ? 1 / mean : nil
    }

    public func elapsed(at time: Double) -> Double { startTime.map { time - $0 } ?? 0 }

    /// Remaining seconds at the recent rate (decode time not included).
    public var remaining: Double? {
        guard let rate = stepsPerSecond, totalSteps > 0 else { return nil }
        return Double(totalSteps - completedSteps) / rate
    }

    /// "1:05" style minutes:seconds.
    public static func clock(_ seconds: Double) -> String {
        let s = max(0, Int(seconds.rounded()))
        return s >= 3600 ? String(format: "%d:%02d:%02d", s / 3600, s / 60 % 60, s % 60) : String(format: "%d:%02d", s / 60, s % 60)
    }

    /// One line for a terminal of `width` columns: bar, counters, rate, elapsed and ETA.
    public func line(width: Int, at time: Double) -> String {
        var info = phase == "denoising"
            ? "step \(step)/\(steps) seg \(segment)/\(segments)"
            : phase
        if let r = stepsPerSecond { info += String(format: " %.2f it/s", r) }
        info += " " + GenerationProgress.clock(elapsed(at: time))
        if let eta = remaining, !finished { info += " eta " + GenerationProgress.clock(eta) }
        let barWidth = max(0, min(40, width - info.count - 8))
        guard barWidth >= 5 else { return String(info.prefix(max(0, width))) }
        let filled = Int((fraction * Double(barWidth)).rounded(.down))
        let bar = String(repeating: "█", count: filled) + String(repeating: "░", count: barWidth - filled)
        return String(format: "%3d%% ", Int(fraction * 100)) + bar + " " + info
    }
}
