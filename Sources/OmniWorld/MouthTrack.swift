/// Per-frame tracks derived from a speech envelope (`SynthesizedAudio.envelope`, 100 Hz).
public enum MouthTrack {
    /// How far the mouth leads the sound, seconds (lips open just before the voice starts).
    public static let lead = 0.04

    /// Mean speech energy over each video frame `[f/fps, (f+1)/fps)`: `frameCount` values in 0…1.
    public static func energy(envelope: [Float], frameCount: Int, fps: Double, shift: Double = 0) -> [Float] {
        let rate = SynthesizedAudio.envelopeRate
        return (0..<frameCount).map { f in
            let a = (Double(f) / fps + shift) * rate, b = (Double(f + 1) / fps + shift) * rate
            let i0 = max(0, Int(a.rounded(.up))), i1 = min(envelope.count - 1, Int(b.rounded(.up)) - 1)
            guard i0 <= i1 else { return 0 }
            var sum: Float = 0
            for i in i0...i1 { sum += envelope[i] }
            return sum / Float(i1 - i0 + 1)
        }
    }

    /// Mouth openness 0…1 per frame: the frame energy taken `lead` seconds ahead, smoothed with a [¼ ½ ¼] kernel
    /// and scaled so full syllables open the mouth wide. Exactly 0 wherever the envelope is 0 for ±1 frame (silence,
    /// music, pauses).
    public static func mouth(envelope: [Float], frameCount: Int, fps: Double) -> [Float] {
        let ahead = energy(envelope: envelope, frameCount: frameCount, fps: fps, shift: lead)
        return (0..<frameCount).map { f in
            let a = ahead[max(0, f - 1)], b = ahead[f], c = ahead[min(frameCount - 1, f + 1)]
            return clamp01((0.25 * a + 0.5 * b + 0.25 * c) * 1.35)
        }
    }
}
