import OmniMedia
@testable import OmniWorld

/// Shared helpers for the world tests.
enum WorldFixtures {
    /// FNV-1a 64 of an image's pixels.
    static func hash(_ image: RGBImage) -> UInt64 { FNV.hash64(image.pixels) }

    /// A short random clip.
    static func clip(seed: UInt64, style: CharacterStyle? = nil, framing: Framing? = nil, size: FrameSize = .square,
                     duration: Double = 0.6) -> Clip {
        Clip.render(ClipSpec.random(seed: seed, style: style, framing: framing, size: size, duration: duration))
    }

    /// A cartoon character with symmetric short hair and no accessories (for geometry tests).
    static var plainCharacter: Character {
        var c = Character.random(seed: 11, style: .cartoon)
        c.hair = .short; c.accessories = []; c.pattern = .solid; c.longSleeves = false
        return c
    }

    /// Pearson correlation of two equally long series.
    static func correlation(_ a: [Float], _ b: [Float]) -> Float {
        precondition(a.count == b.count && a.count > 1)
        let n = Float(a.count)
        let ma = a.reduce(0, +) / n, mb = b.reduce(0, +) / n
        var sab: Float = 0, saa: Float = 0, sbb: Float = 0
        for i in 0..<a.count { sab += (a[i] - ma) * (b[i] - mb); saa += (a[i] - ma) * (a[i] - ma); sbb += (b[i] - mb) * (b[i] - mb) }
        return sab / max(1e-12, (saa * sbb).squareRoot())
    }

    /// Per-frame RMS of audio.
    static func frameRMS(_ audio: AudioClip, fps: Int, frames: Int) -> [Float] {
        let hop = audio.sampleRate / fps
        return (0..<frames).map { f in
            let a = f * hop, b = min(audio.samples.count, a + hop)
            guard a < b else { return 0 }
            var s: Float = 0
            for i in a..<b { s += audio.samples[i] * audio.samples[i] }
            return (s / Float(b - a)).squareRoot()
        }
    }
}
