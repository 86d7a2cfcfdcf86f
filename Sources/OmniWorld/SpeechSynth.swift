import Foundation
import OmniMedia
import OmniTensor

/// A speech-like voice without words: phrases of syllables at the voice's rate (3–6 Hz) separated by pauses, each
/// syllable a vowel (formant-shaped harmonics of a gliding pitch) under a smooth envelope, some with a noisy
/// consonant onset. The envelope it shapes the voice with is returned as ground truth.
public enum SpeechSynth {
    /// Vowel formants F1, F2, F3 in Hz (a, e, i, o, u, schwa).
    static let vowels: [(Float, Float, Float)] = [(730, 1090, 2440), (530, 1840, 2480), (290, 2250, 2890),
                                                   (570, 840, 2410), (300, 870, 2240), (500, 1500, 2500)]

    /// `duration` seconds of speech-like audio for `voice`, a pure function of `seed`. Speech starts after a short
    /// lead-in of silence and leaves pauses of 0.25–0.7 s between phrases of 3–9 syllables.
    public static func synthesize(duration: Double, voice: Voice, seed: UInt64, sampleRate: Int = AudioClip.standardRate) -> SynthesizedAudio {
        var rng = RandomStream(seed: seed, stream: 0x5EEC).split("speech")
        let sr = Double(sampleRate)
        let n = Int((duration * sr).rounded())
        var samples = [Float](repeating: 0, count: n)
        var envelope = [Float](repeating: 0, count: Int((duration * SynthesizedAudio.envelopeRate).rounded()) + 1)
        var noise = NoiseSource(seed: rng.nextUInt64())

        var t = rng.uniformDouble(0.1, 0.35)
        while t < duration - 0.15 {
            let syllables = rng.integer(in: 3...9)
            let phraseStart = t
            for k in 0..<syllables {
                let length = Double(1 / voice.syllableRate * rng.uniform(0.75, 1.25))
                if t + length > duration { break }
                let vowel = rng.pick(vowels)
                let loud = rng.uniform(0.55, 1)
                // Declining pitch over the phrase, an accent on some syllables, a glide inside each.
                let progress = Float(k) / Float(max(1, syllables - 1))
                let accent: Float = rng.chance(0.3) ? voice.intonation : rng.uniform(-0.3, 0.3) * voice.intonation
                let f0 = voice.pitch * (1.08 - 0.16 * progress + accent)
                let glide = rng.uniform(-0.08, 0.06)
                let table = waveTable(f0: f0, vowel: vowel, shift: voice.formantShift, sampleRate: Float(sr))
                let consonant = rng.chance(0.6)
                let start = Int(t * sr), count = Int(length * sr)
                var phase: Float = 0
                for i in 0..<count where start + i < n {
                    let u = Float(i) / Float(count)
                    let env = loud * syllableShape(u)
                    let f = f0 * (1 + glide * u)
                    phase += f / Float(sr)
                    phase -= phase.rounded(.down)
                    var v = tableValue(table, phase) * env
                    if consonant && i < Int(0.035 * sr) {
                        v += noise.next() * 0.22 * loud * (1 - Float(i) / Float(0.035 * sr))
                    }
                    samples[start + i] += v * 0.35
                }
                // Ground-truth envelope at 100 Hz.
                let e0 = Int((t * SynthesizedAudio.envelopeRate).rounded(.up))
                let e1 = Int(((t + length) * SynthesizedAudio.envelopeRate).rounded(.down))
                if e0 <= e1 {
                    for e in e0...e1 where e < envelope.count {
                        let u = Float((Double(e) / SynthesizedAudio.envelopeRate - t) / length)
                        envelope[e] = max(envelope[e], loud * syllableShape(u))
                    }
                }
                t += length
                if rng.chance(0.18) { t += rng.uniformDouble(0.04, 0.09) }   // a word gap
            }
            if t == phraseStart { break }
            t += rng.uniformDouble(0.25, 0.7)
        }
        return SynthesizedAudio(clip: AudioClip(samples: samples, sampleRate: sampleRate), envelope: envelope)
    }

    /// A syllable's amplitude over its length u ∈ [0, 1]: fast rise, rounded top, gentle fall.
    @inline(__always)
    static func syllableShape(_ u: Float) -> Float {
        guard u > 0 && u < 1 else { return 0 }
        return powf(sinf(.pi * powf(u, 0.8)), 0.85)
    }

    /// One period (256 samples, unit RMS) of a vowel at pitch f0: harmonics up to 3.8 kHz weighted by three
    /// Gaussian formant resonances and a −6 dB/octave tilt.
    static func waveTable(f0: Float, vowel: (Float, Float, Float), shift: Float, sampleRate: Float) -> [Float] {
        let size = 256
        var table = [Float](repeating: 0, count: size + 1)
        let formants = [(vowel.0 * shift, Float(90), Float(1)), (vowel.1 * shift, Float(120), Float(0.7)), (vowel.2 * shift, Float(180), Float(0.35))]
        let count = max(1, Int(3800 / f0))
        for k in 1...count {
            let f = Float(k) * f0
            var amp: Float = 0
            for (centre, width, gain) in formants {
                let d = (f - centre) / width
                amp += gain * expf(-0.5 * d * d)
            }
            amp = (amp + 0.02) / Float(k).squareRoot()
            for i in 0..<size { table[i] += amp * sinf(2 * .pi * Float(k * i) / Float(size)) }
        }
        var power: Float = 0
        for i in 0..<size { power += table[i] * table[i] }
        let norm = 1 / max(1e-6, (power / Float(size)).squareRoot())
        for i in 0..<size { table[i] *= norm }
        table[size] = table[0]
        return table
    }

    @inline(__always)
    static func tableValue(_ table: [Float], _ phase: Float) -> Float {
        let x = phase * 256
        let i = min(255, Int(x))
        let f = x - Float(i)
        return table[i] + (table[i + 1] - table[i]) * f
    }
}

/// A fast seeded white-noise source in [−1, 1) (xorshift64*), for consonants and hi-hats.
struct NoiseSource {
    var state: UInt64

    init(seed: UInt64) { state = seed | 1 }

    @inline(__always)
    mutating func next() -> Float {
        state ^= state >> 12; state ^= state << 25; state ^= state >> 27
        let v = (state &* 0x2545_F491_4F6C_DD1D) >> 40
        return Float(v) / Float(1 << 23) - 1
    }
}
