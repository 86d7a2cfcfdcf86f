import OmniTensor

/// What a distilled student reads besides σ (docs/ARCHITECTURE.md §4.7): the audio and text guidance scales of
/// its one pass (1: no guidance) and, for a shortcut student, the size of the sampler's step as the fraction
/// 1/M of an M-step run (0: an infinitesimal step, the plain velocity).
public struct SamplingControls: Sendable, Equatable {
    public var audio: Float
    public var text: Float
    public var stepSize: Float

    public init(audio: Float, text: Float, stepSize: Float = 0) { self.audio = audio; self.text = text; self.stepSize = stepSize }

    /// No guidance, infinitesimal step.
    public static let neutral = SamplingControls(audio: 1, text: 1)
}

/// A distilled student's input for its `SamplingControls`: each guidance scale through its own sinusoid-and-MLP
/// embedding (`TimestepEmbedding` of scale / 10, so its sinusoids see 100·scale) and, with `dit.step_embedding`, the
/// step size through a third (`TimestepEmbedding` of 1/M), summed into the video tokens' timestep embedding. Each
/// MLP's output layer starts at zero, so a fresh student is exactly the model it was made from. Keys: `audio.fc1`,
/// `audio.fc2`, `text.fc1`, `text.fc2`, `step.fc1`, `step.fc2`.
public final class SamplingEmbedding: Module {
    public let audio: TimestepEmbedding
    public let text: TimestepEmbedding
    public let step: TimestepEmbedding?

    public init(frequencyWidth: Int, width: Int, steps: Bool) {
        audio = TimestepEmbedding(frequencyWidth: frequencyWidth, width: width)
        text = TimestepEmbedding(frequencyWidth: frequencyWidth, width: width)
        step = steps ? TimestepEmbedding(frequencyWidth: frequencyWidth, width: width) : nil
    }

    /// One set of controls per batch element → `[B, width]`.
    public func callAsFunction(_ controls: [SamplingControls]) -> Tensor {
        var e = audio(controls.map { $0.audio / 10 }) + text(controls.map { $0.text / 10 })
        if let step { e = e + step(controls.map(\.stepSize)) }
        return e
    }

    /// Zero output layers for the given parts: they add nothing until trained.
    public static func zeroOutput(_ parts: [TimestepEmbedding]) {
        for embedding in parts {
            embedding.fc2.weight.fill(0)
            embedding.fc2.bias?.fill(0)
        }
    }
}
