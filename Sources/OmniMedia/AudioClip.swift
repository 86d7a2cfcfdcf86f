/// Mono audio in memory: Float32 samples in [-1, 1] at `sampleRate` Hz (16 kHz everywhere in OmniStudio).
public struct AudioClip: Sendable, Equatable {
    public static let standardRate = 16_000

    public var samples: [Float]
    public let sampleRate: Int

    public init(samples: [Float], sampleRate: Int = AudioClip.standardRate) {
        precondition(sampleRate > 0)
        self.samples = samples
        self.sampleRate = sampleRate
    }

    /// Length in seconds.
    public var duration: Double { Double(samples.count) / Double(sampleRate) }

    /// The samples covering `[start, end)` seconds, clamped to the clip.
    public func slice(from start: Double, to end: Double) -> AudioClip {
        let a = max(0, min(samples.count, Int((start * Double(sampleRate)).rounded())))
        let b = max(a, min(samples.count, Int((end * Double(sampleRate)).rounded())))
        return AudioClip(samples: Array(samples[a..<b]), sampleRate: sampleRate)
    }
}
