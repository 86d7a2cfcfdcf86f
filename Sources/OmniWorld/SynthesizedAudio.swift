import OmniMedia

/// Audio made by the world's synthesizers together with its ground truth.
public struct SynthesizedAudio: Sendable, Equatable {
    /// 16 kHz mono.
    public var clip: AudioClip
    /// Speech energy 0…1 at `SynthesizedAudio.envelopeRate` Hz — the amplitude the voice was shaped with (0 in
    /// pauses, music and silence). This drives the mouth and co-speech gestures.
    public var envelope: [Float]
    /// Beat times in seconds (music), else empty.
    public var beats: [Double]

    /// Envelope samples per second.
    public static let envelopeRate = 100.0

    public init(clip: AudioClip, envelope: [Float], beats: [Double] = []) {
        self.clip = clip; self.envelope = envelope; self.beats = beats
    }

    /// `duration` seconds of silence.
    public static func silence(duration: Double, sampleRate: Int = AudioClip.standardRate) -> SynthesizedAudio {
        let n = Int((duration * Double(sampleRate)).rounded())
        return SynthesizedAudio(clip: AudioClip(samples: [Float](repeating: 0, count: n), sampleRate: sampleRate),
                                envelope: [Float](repeating: 0, count: Int((duration * envelopeRate).rounded()) + 1))
    }
}

