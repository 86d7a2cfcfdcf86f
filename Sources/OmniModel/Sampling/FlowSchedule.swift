import Foundation

/// The flow-matching noise levels of one sampling run: σ from 1 (pure noise) to 0 (clean) in `steps` steps on
/// the shifted grid σ' = s·σ / (1 + (s − 1)·σ). `sigmas` has `steps + 1` entries; step k goes from
/// `sigmas[k]` to `sigmas[k + 1]`. The model sees x_σ = (1 − σ)·x₀ + σ·ε and predicts v = ε − x₀.
public struct FlowSchedule: Sendable, Equatable {
    public let steps: Int
    public let shift: Double
    public let sigmas: [Double]

    public init(steps: Int, shift: Double) {
        precondition(steps >= 1 && shift > 0)
        self.steps = steps
        self.shift = shift
        sigmas = (0...steps).map { i in
            let s = 1 - Double(i) / Double(steps)
            return shift * s / (1 + (shift - 1) * s)
        }
    }
}

/// Which ODE solver `FlowMatchSampler` walks the schedule with: Euler (one model evaluation per step, first
/// order), Heun (two, except on the last step, which is Euler because σ = 0 there; second order) or multistep
/// (Adams–Bashforth 2: one evaluation per step, second order).
public enum SamplerKind: String, Codable, Sendable, CaseIterable {
    case euler
    case heun
    case multistep
}

/// Which of the model's step counts an unset `steps` takes: `quality` its `sampling.steps`, `fast` its
/// `sampling.fast_steps` — the few steps a step-distilled (shortcut) student was trained for. A model without
/// `fast_steps` has no fast sampler.
public enum SamplingSpeed: String, Codable, Sendable, CaseIterable {
    case quality
    case fast
}

/// How the audio guidance scale moves over the steps, from `start` at the first step to `end` at the last:
/// constant (start throughout), linear, or cosine (slow at both ends) — OmniHuman's CFG annealing.
public enum AnnealingCurve: String, Codable, Sendable, CaseIterable {
    case constant
    case linear
    case cosine

    /// The scale at step `k` of `steps` (k from 0).
    public func value(start: Double, end: Double, step k: Int, of steps: Int) -> Double {
        if self == .constant || steps <= 1 { return start }
        let p = Double(k) / Double(steps - 1)
        switch self {
        case .constant: return start
        case .linear: return start + (end - start) * p
        case .cosine: return end + (start - end) * 0.5 * (1 + cos(.pi * p))
        }
    }
}
