import Foundation

/// A log-mel spectrogram: `frameCount` rows of `melCount` values, row-major (`values[frame * melCount + mel]`).
/// Row i describes the audio centred on `i / framesPerSecond` seconds.
public struct LogMelSpectrogram: Sendable, Equatable {
    public let frameCount: Int
    public let melCount: Int
    /// Rows per second of audio (100 for Whisper's 160-sample hop at 16 kHz).
    public let framesPerSecond: Double
    /// Length of the analysed audio in seconds (not `frameCount / framesPerSecond`: the last row is centred on
    /// the last whole hop, and the audio may run on for part of one).
    public let duration: Double
    /// `[frameCount, melCount]`, row-major.
    public let values: [Float]

    public init(frameCount: Int, melCount: Int, framesPerSecond: Double, duration: Double, values: [Float]) {
        precondition(values.count == frameCount * melCount, "a \(frameCount)×\(melCount) spectrogram needs \(frameCount * melCount) values, got \(values.count)")
        precondition(framesPerSecond > 0 && duration >= 0)
        self.frameCount = frameCount
        self.melCount = melCount
        self.framesPerSecond = framesPerSecond
        self.duration = duration
        self.values = values
    }

    public subscript(frame: Int, mel: Int) -> Float { values[frame * melCount + mel] }

    /// The `melCount` values of one row.
    public func row(_ frame: Int) -> [Float] { Array(values[(frame * melCount)..<((frame + 1) * melCount)]) }
}

/// Whisper's audio front end: mono samples at 16 kHz → `[frames, 80]` log-mel features.
///
/// Steps, with Whisper's settings (every one is a stored property):
/// 1. Centre padding: `fftSize / 2` = 200 samples on each side, reflected without repeating the edge sample
///    (`x[−1] = x[1]`, as torch/librosa `center=True, pad_mode="reflect"`). Clips shorter than the padding are
///    reflected back and forth; an empty clip is treated as one frame of silence.
/// 2. Frames of `fftSize` = 400 samples every `hopLength` = 160 samples (10 ms), each times a periodic Hann
///    window `0.5 − 0.5·cos(2πn/400)`. **frames = 1 + samples / 160** (integer division); row i is centred on
///    sample 160·i. (Whisper's own code then drops the last row; this type keeps it, so Whisper's features are
///    the first `samples / 160` rows, up to the effect of that row on the clamp below.)
/// 3. Power spectrum `|X[k]|²`, k = 0…200, by a mixed-radix FFT (two real frames per complex transform).
/// 4. 80 Slaney mel filters (`MelFilterbank`, 0 – 8000 Hz, unit area in Hz).
/// 5. `log10(max(mel, 1e-10))`, then clamped from below at (the spectrogram's maximum − 8), then `(x + 4) / 4`.
///    Silence therefore gives −1.5 everywhere; a full-scale 1 kHz sine peaks near +1.6.
///
/// Immutable and thread-safe; build one (`LogMelAnalyzer.whisper`) and reuse it.
public struct LogMelAnalyzer: Sendable {
    /// Hz.
    public let sampleRate: Int
    /// Samples per analysis frame (also the FFT length).
    public let fftSize: Int
    /// Samples between frame starts.
    public let hopLength: Int
    public let filterbank: MelFilterbank
    /// Periodic Hann window of `fftSize` values.
    let window: [Double]
    let fft: MixedRadixFFT

    /// Whisper's settings: 16 kHz, n_fft 400, hop 160, 80 Slaney mels over 0 – 8000 Hz.
    public static let whisper = LogMelAnalyzer()

    public init(sampleRate: Int = 16_000, fftSize: Int = 400, hopLength: Int = 160, melCount: Int = 80,
                minFrequency: Double = 0, maxFrequency: Double? = nil) {
        precondition(sampleRate > 0 && fftSize > 1 && hopLength > 0 && melCount > 0, "LogMelAnalyzer needs positive sizes")
        self.sampleRate = sampleRate
        self.fftSize = fftSize
        self.hopLength = hopLength
        filterbank = MelFilterbank(melCount: melCount, fftSize: fftSize, sampleRate: sampleRate,
                                   minFrequency: minFrequency, maxFrequency: maxFrequency)
        window = (0..<fftSize).map { 0.5 - 0.5 * cos(2 * Double.pi * Double($0) / Double(fftSize)) }
        fft = MixedRadixFFT(count: fftSize)
    }

    public var melCount: Int { filterbank.melCount }
    /// Spectrogram rows per second of audio: `sampleRate / hopLength` (100 for Whisper).
    public var framesPerSecond: Double { Double(sampleRate) / Double(hopLength) }

    /// Rows produced for `sampleCount` samples: `1 + sampleCount / hopLength`.
    public func frameCount(forSamples sampleCount: Int) -> Int { 1 + sampleCount / hopLength }

    /// The log-mel spectrogram of `clip`, whose rate must equal `sampleRate` (`AudioFile.decode` delivers 16 kHz).
    public func spectrogram(of clip: AudioClip) -> LogMelSpectrogram {
        precondition(clip.sampleRate == sampleRate, "LogMelAnalyzer expects \(sampleRate) Hz audio, got \(clip.sampleRate) Hz: decode with AudioFile.decode(_:sampleRate:)")
        return spectrogram(of: clip.samples)
    }

    /// The log-mel spectrogram of mono `samples` at `sampleRate` Hz.
    public func spectrogram(of samples: [Float]) -> LogMelSpectrogram {
        let mels = melPower(of: samples)
        var logs = mels.map { log10(max($0, 1e-10)) }
        let floor = (logs.max() ?? -10) - 8
        for i in logs.indices { logs[i] = (max(logs[i], floor) + 4) / 4 }
        return LogMelSpectrogram(frameCount: frameCount(forSamples: samples.count), melCount: melCount,
                                 framesPerSecond: framesPerSecond, duration: Double(samples.count) / Double(sampleRate),
                                 values: logs.map { Float($0) })
    }

    /// Mel-filtered power, `[frames, melCount]` row-major, before the log (steps 1 – 4).
    func melPower(of samples: [Float]) -> [Double] {
        let frames = frameCount(forSamples: samples.count)
        let n = fftSize, bins = filterbank.binCount, half = fftSize / 2
        var out = [Double](repeating: 0, count: frames * melCount)
        // Centre-padded signal: index i of the padded signal is sample i − half, reflected into range.
        let padded: [Double] = (0..<((frames - 1) * hopLength + n)).map { i in
            guard let j = Self.reflect(i - half, count: samples.count) else { return 0 }
            return Double(samples[j])
        }
        var inRe = [Double](repeating: 0, count: n), inIm = inRe, outRe = inRe, outIm = inRe
        var powerA = [Double](repeating: 0, count: bins), powerB = powerA
        padded.withUnsafeBufferPointer { signal in
            window.withUnsafeBufferPointer { w in
                // Two real frames a and b per transform of z = a + i·b:
                // A[k] = (Z[k] + conj Z[n−k]) / 2, B[k] = (Z[k] − conj Z[n−k]) / 2i.
                var frame = 0
                while frame < frames {
                    let hasSecond = frame + 1 < frames
                    let a = frame * hopLength, b = (frame + 1) * hopLength
                    for j in 0..<n {
                        inRe[j] = signal[a + j] * w[j]
                        inIm[j] = hasSecond ? signal[b + j] * w[j] : 0
                    }
                    inRe.withUnsafeBufferPointer { iR in
                        inIm.withUnsafeBufferPointer { iI in
                            outRe.withUnsafeMutableBufferPointer { oR in
                                outIm.withUnsafeMutableBufferPointer { oI in
                                    fft.transform(inRe: iR.baseAddress!, inIm: iI.baseAddress!, outRe: oR.baseAddress!, outIm: oI.baseAddress!)
                                }
                            }
                        }
                    }
                    for k in 0..<bins {
                        let zr = outRe[k], zi = outIm[k]
                        let nr = outRe[(n - k) % n], ni = outIm[(n - k) % n]
                        powerA[k] = ((zr + nr) * (zr + nr) + (zi - ni) * (zi - ni)) / 4
                        powerB[k] = ((zi + ni) * (zi + ni) + (zr - nr) * (zr - nr)) / 4
                    }
                    out.withUnsafeMutableBufferPointer { o in
                        powerA.withUnsafeBufferPointer { filterbank.apply($0.baseAddress!, into: o.baseAddress! + frame * melCount) }
                        if hasSecond {
                            powerB.withUnsafeBufferPointer { filterbank.apply($0.baseAddress!, into: o.baseAddress! + (frame + 1) * melCount) }
                        }
                    }
                    frame += 2
                }
            }
        }
        return out
    }

    /// Index `i` reflected into `0..<count` without repeating edge samples (period 2·(count − 1)); nil when empty.
    static func reflect(_ i: Int, count: Int) -> Int? {
        if count == 0 { return nil }
        if count == 1 { return 0 }
        let period = 2 * (count - 1)
        var j = i % period
        if j < 0 { j += period }
        return j < count ? j : period - j
    }
}
