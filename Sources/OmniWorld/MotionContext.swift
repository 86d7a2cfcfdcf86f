/// What a motion may follow besides time: the speech energy envelope (co-speech gestures) and the music's beat
/// (dancing).
public struct MotionContext: Sendable {
    /// Speech energy 0…1 sampled at `envelopeRate` Hz, starting at 0 s.
    public var envelope: [Float]
    /// Samples per second of `envelope`.
    public var envelopeRate: Double
    /// Music tempo in beats per minute.
    public var bpm: Double
    /// Seconds of the first beat.
    public var beatOffset: Double

    public init(envelope: [Float] = [], envelopeRate: Double = 100, bpm: Double = 110, beatOffset: Double = 0) {
        self.envelope = envelope; self.envelopeRate = envelopeRate; self.bpm = bpm; self.beatOffset = beatOffset
    }

    /// Speech energy at `time` seconds (0 outside the envelope), averaged over ±60 ms so gestures stay smooth.
    public func energy(at time: Double) -> Float {
        guard !envelope.isEmpty else { return 0 }
        let centre = Int((time * envelopeRate).rounded())
        let half = Int(0.06 * envelopeRate)
        var sum: Float = 0
        for i in (centre - half)...(centre + half) where i >= 0 && i < envelope.count { sum += envelope[i] }
        return sum / Float(2 * half + 1)
    }

    /// Beats elapsed at `time` seconds (integer values fall on beats).
    public func beats(at time: Double) -> Double { (time - beatOffset) * bpm / 60 }
}
