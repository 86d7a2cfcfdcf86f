import Foundation
import OmniMedia
import OmniTensor
import Synchronization

/// The one place audio becomes the DiT's per-video-frame features, for generation and training alike: the model
/// config's `audio.encoder` picks log-mel rows or Whisper tiny.en's encoder states (see `AudioConditionConfig`).
/// Either way the result is an `AudioFeatures` (`[videoFrames, featureWidth]`, ±neighbours, edge padding,
/// per-frame energy).
public enum AudioConditioning {
    /// Features of `clip` (16 kHz mono) at `fps` video frames per second.
    public static func features(of clip: AudioClip, fps: Double, config: AudioConditionConfig) throws(ModelError) -> AudioFeatures {
        guard config.encoder == AudioConditionConfig.whisperEncoder else {
            return AudioFeatures(clip: clip, fps: fps, neighbours: config.neighbours, melFramesPerVideoFrame: config.melFramesPerVideoFrame)
        }
        let states = try whisperStates(of: clip)
        var features = AudioFeatures(spectrogram: states, fps: fps, neighbours: config.neighbours, melFramesPerVideoFrame: 1)
        features.setEnergy(AudioFeatures.energyEnvelope(of: clip, fps: fps, videoFrameCount: features.videoFrameCount))
        return features
    }

    /// The Whisper encoder, loaded from the cache on first use and shared (it is immutable).
    static let whisper = Mutex<WhisperEncoder?>(nil)

    static func sharedWhisper() throws(ModelError) -> WhisperEncoder {
        let cached = whisper.withLock { $0 }
        if let cached { return cached }
        let loaded = try WhisperEncoder.load()
        whisper.withLock { $0 = loaded }
        return loaded
    }

    /// Seconds by which consecutive 30 s windows overlap.
    static let windowOverlap = 10.0

    /// The Whisper states of the last `recentLimit` clips, by their samples (newest last). The studio generates again
    /// on the same audio after every tweak, and the encoder — a whole 30 s window even for a short clip — is about a
    /// sixth of a fast run; its weights never change, so a clip's states do not either.
    static let recentStates = Mutex<[(samples: [Float], states: LogMelSpectrogram)]>([])
    static let recentLimit = 4
    /// How many times the encoder ran (tests: a clip seen again is served from `recentStates`).
    static let encoderRuns = Mutex<Int>(0)

    /// Whisper encoder states of any length of audio as rows at 50 per second (`LogMelSpectrogram` is the type of a
    /// row sequence at a fixed rate; here a row is a 384-wide state). Audio longer than one 30 s window is cut into
    /// windows 20 s apart. Whisper's states depend on where in its window a sound falls (the same instant seen 25 s
    /// into one window and 5 s into the next differs by a cosine of ~0.5), so over each 10 s overlap the states
    /// cross-fade linearly from one window to the next: the joined sequence has no step.
    public static func whisperStates(of clip: AudioClip) throws(ModelError) -> LogMelSpectrogram {
        let encoder = try sharedWhisper()
        let rate = WhisperEncoder.sampleRate, perSecond = Double(WhisperEncoder.statesPerSecond), d = encoder.width
        guard clip.sampleRate == rate else {
            throw .invalidRequest(setting: "audio", reason: "the Whisper encoder reads 16 kHz audio, got \(clip.sampleRate) Hz")
        }
        if let seen = recentStates.withLock({ $0.last { $0.samples == clip.samples }?.states }) { return seen }
        encoderRuns.withLock { $0 += 1 }
        let states = encode(clip, encoder: encoder, rate: rate, perSecond: perSecond, width: d)
        recentStates.withLock { recent in
            recent.append((clip.samples, states))
            if recent.count > recentLimit { recent.removeFirst(recent.count - recentLimit) }
        }
        return states
    }

    /// `whisperStates` computed: windows 20 s apart, cross-faded over their overlaps.
    private static func encode(_ clip: AudioClip, encoder: WhisperEncoder, rate: Int, perSecond: Double, width d: Int) -> LogMelSpectrogram {
        let window = Double(WhisperEncoder.windowSeconds), hop = window - windowOverlap
        let count = max(1, Int((Double(clip.samples.count) / Double(rate) * perSecond).rounded(.up)))
        let windows = clip.duration <= window ? 1 : 1 + Int(((clip.duration - window) / hop).rounded(.up))
        var values = [Float](repeating: 0, count: count * d)
        var weights = [Float](repeating: 0, count: count)
        for w in 0..<windows {
            let start = Int(Double(w) * hop * Double(rate))
            let end = min(clip.samples.count, start + Int(window) * rate)
            let states = encoder(WhisperEncoder.logMel(samples: Array(clip.samples[start..<end])))
            let offset = Int((Double(w) * hop * perSecond).rounded())
            let overlap = Int(windowOverlap * perSecond)
            values.withUnsafeMutableBufferPointer { out in
                for local in 0..<states.shape[0] {
                    let g = offset + local
                    guard g < count else { break }
                    // Ramp in over the overlap with the previous window, out over the overlap with the next one.
                    var weight: Float = 1
                    if w > 0 && local < overlap { weight = Float(local) / Float(overlap) }
                    if w < windows - 1 && local >= states.shape[0] - overlap { weight = Float(states.shape[0] - local) / Float(overlap) }
                    guard weight > 0 else { continue }
                    weights[g] += weight
                    let o = out.baseAddress! + g * d, sp = states.data + local * d
                    for j in 0..<d { o[j] += weight * sp[j] }
                }
            }
        }
        for g in 0..<count where weights[g] > 0 && weights[g] != 1 {
            for j in 0..<d { values[g * d + j] /= weights[g] }
        }
        return LogMelSpectrogram(frameCount: count, melCount: encoder.width, framesPerSecond: Double(perSecond),
                                 duration: clip.duration, values: values)
    }
}
