import OmniTensor

/// A synthetic speaker: base pitch (Hz), syllables per second (3–6 Hz), pitch movement and formant shift.
public struct Voice: Sendable, Codable, Equatable {
    /// Base fundamental frequency, Hz.
    public var pitch: Float
    /// Syllables per second.
    public var syllableRate: Float
    /// Relative pitch excursion of accents (0.05–0.25).
    public var intonation: Float
    /// Formant frequency factor (≈ 0.9 deep … 1.15 bright).
    public var formantShift: Float

    public init(pitch: Float, syllableRate: Float, intonation: Float, formantShift: Float) {
        self.pitch = pitch; self.syllableRate = syllableRate; self.intonation = intonation; self.formantShift = formantShift
    }

    public static func random(_ rng: inout RandomStream) -> Voice {
        let high = rng.chance(0.5)
        return Voice(pitch: high ? rng.uniform(170, 260) : rng.uniform(95, 150), syllableRate: rng.uniform(3.2, 5.8),
                     intonation: rng.uniform(0.06, 0.22), formantShift: high ? rng.uniform(1.0, 1.15) : rng.uniform(0.9, 1.02))
    }
}
