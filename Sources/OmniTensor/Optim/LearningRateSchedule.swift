import Foundation

/// Linear warm-up to `peak` over `warmupSteps`, then a cosine decay to `floor` at `totalSteps` (and `floor`
/// after). Steps count optimiser updates from 1.
public struct LearningRateSchedule: Codable, Sendable, Equatable {
    public var peak: Float
    public var floor: Float
    public var warmupSteps: Int
    public var totalSteps: Int

    public init(peak: Float, floor: Float = 0, warmupSteps: Int, totalSteps: Int) {
        self.peak = peak; self.floor = floor; self.warmupSteps = warmupSteps; self.totalSteps = totalSteps
    }

    public func rate(at step: Int) -> Float {
        if step <= 0 { return warmupSteps > 0 ? 0 : peak }
        if step < warmupSteps { return peak * Float(step) / Float(warmupSteps) }
        let span = max(1, totalSteps - warmupSteps)
        let progress = min(1, Double(step - warmupSteps) / Double(span))
        return floor + (peak - floor) * Float(0.5 * (1 + cos(.pi * progress)))
    }
}
