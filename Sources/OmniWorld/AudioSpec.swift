import OmniTensor

/// What a clip sounds like, enough to regenerate it exactly.
public struct AudioSpec: Sendable, Codable, Equatable {
    public enum Kind: String, Sendable, Codable, CaseIterable {
        /// `SpeechSynth`'s speech-like voice.
        case speech
        /// Real speech from espeak-ng (falls back to `.speech` where it is not installed).
        case espeak
        /// `MusicSynth`'s beat and melody.
        case music
        case silence
    }

    public var kind: Kind
    /// Seed of the synthesizer.
    public var seed: UInt64
    public var voice: Voice
    /// Beats per minute (music).
    public var bpm: Double
    /// Seconds of the first beat (music).
    public var beatOffset: Double
    /// The sentence (espeak).
    public var sentence: String?

    public init(kind: Kind, seed: UInt64, voice: Voice, bpm: Double = 110, beatOffset: Double = 0, sentence: String? = nil) {
        self.kind = kind; self.seed = seed; self.voice = voice; self.bpm = bpm; self.beatOffset = beatOffset; self.sentence = sentence
    }

    /// The audio and its ground truth for `duration` seconds.
    public func synthesize(duration: Double) -> SynthesizedAudio {
        switch kind {
        case .speech:
            return SpeechSynth.synthesize(duration: duration, voice: voice, seed: seed)
        case .espeak:
            if let sentence, let spoken = EspeakSpeech.synthesize(sentence: sentence, voice: voice, duration: duration) { return spoken }
            return SpeechSynth.synthesize(duration: duration, voice: voice, seed: seed)
        case .music:
            return MusicSynth.synthesize(duration: duration, bpm: bpm, beatOffset: beatOffset, seed: seed)
        case .silence:
            return .silence(duration: duration)
        }
    }

    /// Whether this audio is speech (the mouth moves with it).
    public var isSpeech: Bool { kind == .speech || kind == .espeak }
}
