import Foundation
import OmniMedia

/// Real synthesized speech through the `espeak-ng` program where it is installed (optional, auto-detected).
/// The sentence is chosen by the clip's seed; espeak-ng's output is deterministic for fixed arguments. Its
/// envelope is measured from the audio (10 ms RMS, normalised, gated).
public enum EspeakSpeech {
    public static let programPath = "/usr/bin/espeak-ng"

    /// Whether `espeak-ng` can be run.
    public static var isAvailable: Bool { FileManager.default.isExecutableFile(atPath: programPath) }

    /// Sentences a clip may say.
    public static let sentences = [
        "Hello there, it is nice to see you today.", "I think the weather will be lovely this afternoon.",
        "Let me tell you a little story about a cat.", "This is my favourite song, listen to it.",
        "We should go to the park after lunch.", "Can you believe how fast the time goes?",
        "Thank you so much for coming along.", "The numbers are one, two, three, four and five.",
        "Welcome to the puppet world studio.", "Please remember to bring your umbrella.",
        "I am learning to dance and to sing.", "Good morning, everyone, let us begin.",
    ]

    /// `sentence` spoken by `voice` into `duration` seconds (padded with silence or cut), or nil when espeak-ng is
    /// missing or fails.
    public static func synthesize(sentence: String, voice: Voice, duration: Double) -> SynthesizedAudio? {
        guard isAvailable else { return nil }
        let wav = FileManager.default.temporaryDirectory.appendingPathComponent("omniworld-espeak-\(getpid())-\(UInt32.random(in: 0...UInt32.max)).wav").path
        defer { unlink(wav) }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: programPath)
        let words = Int(voice.syllableRate * 40)
        process.arguments = ["-w", wav, "-s", "\(words)", "-p", "\(Int(min(99, max(0, (voice.pitch - 80) / 2))))", sentence]
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        do { try process.run() } catch { return nil }
        process.waitUntilExit()
        guard process.terminationStatus == 0, let decoded = try? AudioFile.decode(wav) else { return nil }
        let sr = decoded.sampleRate
        let total = Int((duration * Double(sr)).rounded())
        let lead = Int(0.15 * Double(sr))
        var samples = [Float](repeating: 0, count: total)
        for i in 0..<min(decoded.samples.count, max(0, total - lead)) { samples[lead + i] = decoded.samples[i] * 0.9 }
        let hop = Int(Double(sr) / SynthesizedAudio.envelopeRate)
        var envelope = (0...(total / hop)).map { k -> Float in
            let a = k * hop, b = min(total, a + hop)
            guard a < b else { return 0 }
            var sum: Float = 0
            for i in a..<b { sum += samples[i] * samples[i] }
            return (sum / Float(b - a)).squareRoot()
        }
        let peak = envelope.max() ?? 0
        if peak > 0 { envelope = envelope.map { v in let x = v / peak; return x < 0.08 ? 0 : x } }
        return SynthesizedAudio(clip: AudioClip(samples: samples, sampleRate: sr), envelope: envelope)
    }
}
