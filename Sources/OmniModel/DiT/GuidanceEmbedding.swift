import OmniTensor

/// The audio and text guidance scales of one pass, as a guidance-distilled DiT reads them (1: no guidance).
public struct GuidanceScales: Sendable, Equatable {
    public var audio: Float
    public var text: Float

    public init(audio: Float, text: Float) { self.audio = audio; self.text = text }

    public static let none = GuidanceScales(audio: 1, text: 1)
}

/// A guidance-distilled student's input for the guidance scales (docs/ARCHITECTURE.md §4.7): each scale through
/// its own sinusoid-and-MLP embedding (`TimestepEmbedding` of scale / 10, so its sinusoids see 100·scale), the two
/// summed into the video tokens' timestep embedding. Each MLP's output layer starts at zero, so a fresh student is
/// exactly its teacher with every guided condition on. Keys: `audio.fc1`, `audio.fc2`, `text.fc1`, `text.fc2`.
public final class GuidanceEmbedding: Module {
    public let audio: TimestepEmbedding
    public let text: TimestepEmbedding

    public init(frequencyWidth: Int, width: Int) {
        audio = TimestepEmbedding(frequencyWidth: frequencyWidth, width: width)
        text = TimestepEmbedding(frequencyWidth: frequencyWidth, width: width)
    }

    /// One scale pair per batch element → `[B, width]`.
    public func callAsFunction(_ scales: [GuidanceScales]) -> Tensor {
        audio(scales.map { $0.audio / 10 }) + text(scales.map { $0.text / 10 })
    }

    /// Zero output layers: the embedding adds nothing until trained.
    public func zeroInitializeOutput() {
        for embedding in [audio, text] {
            embedding.fc2.weight.fill(0)
            embedding.fc2.bias?.fill(0)
        }
    }
}
