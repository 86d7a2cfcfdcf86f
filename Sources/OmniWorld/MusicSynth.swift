import Foundation
import OmniMedia
import OmniTensor

/// Simple music: a kick drum on every beat at `bpm`, a hi-hat on the off-beats, and a pentatonic melody of plucked
/// notes on beats and half-beats. The beat times are returned as ground truth for dancing.
public enum MusicSynth {
    /// `duration` seconds at `bpm` beats per minute with the first beat at `beatOffset` seconds; a pure function of
    /// `seed`.
    public static func synthesize(duration: Double, bpm: Double, beatOffset: Double, seed: UInt64,
                                  sampleRate: Int = AudioClip.standardRate) -> SynthesizedAudio {
        var rng = RandomStream(seed: seed, stream: 0x4D05).split("music")
        let sr = Double(sampleRate)
        let n = Int((duration * sr).rounded())
        var samples = [Float](repeating: 0, count: n)
        var noise = NoiseSource(seed: rng.nextUInt64())
        let beatLength = 60 / bpm
        var beats: [Double] = []
        var b = beatOffset
        while b < duration { if b >= 0 { beats.append(b) }; b += beatLength }

        func add(at start: Double, length: Double, _ voice: (Int, Float) -> Float) {
            let s0 = Int(start * sr)
            for i in 0..<Int(length * sr) where s0 + i >= 0 && s0 + i < n {
                samples[s0 + i] += voice(i, Float(Double(i) / sr))
            }
        }
        // Drums.
        for beat in beats {
            var phase: Float = 0
            add(at: beat, length: 0.3) { _, t in
                let f = 50 + 110 * expf(-t / 0.03)
                phase += f / Float(sr)
                return 0.55 * sinf(2 * .pi * phase) * expf(-t / 0.1)
            }
            var last: Float = 0
            add(at: beat + beatLength / 2, length: 0.06) { _, t in
                let w = noise.next(); let hp = w - last; last = w
                return 0.09 * hp * expf(-t / 0.015)
            }
        }
        // Melody: a major pentatonic scale on a random root.
        let root = Float(rng.uniform(196, 330))
        let steps: [Float] = [0, 2, 4, 7, 9, 12, 14]
        var degree = rng.integer(in: 0...4)
        var t = beatOffset
        while t < duration {
            let length = rng.chance(0.3) ? beatLength / 2 : beatLength
            if rng.chance(0.85) {
                degree = max(0, min(steps.count - 1, degree + rng.integer(in: -2...2)))
                let f = root * powf(2, steps[degree] / 12)
                add(at: t, length: min(length * 1.6, 0.8)) { i, time in
                    let x = 2 * Float.pi * f * Float(i) / Float(sr)
                    let env = min(1, time / 0.008) * expf(-time / 0.22)
                    return 0.16 * env * (sinf(x) + 0.35 * sinf(2 * x) + 0.12 * sinf(3 * x))
                }
            }
            t += length
        }
        let peak = samples.reduce(Float(0)) { max($0, abs($1)) }
        if peak > 0.8 { for i in 0..<n { samples[i] *= 0.8 / peak } }
        return SynthesizedAudio(clip: AudioClip(samples: samples, sampleRate: sampleRate),
                                envelope: [Float](repeating: 0, count: Int((duration * SynthesizedAudio.envelopeRate).rounded()) + 1),
                                beats: beats)
    }
}
