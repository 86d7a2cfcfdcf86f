import Foundation

/// Audio conditioning per video frame: the log-mel rows covering each video frame, concatenated with those of
/// its ±`neighbours` video frames, plus the speech energy (RMS) of each video frame.
///
/// - **Frame count**: `videoFrameCount = round(duration · fps)` (halves round away from zero), where `duration`
///   is the audio length in seconds. Video frame f spans `[f / fps, (f + 1) / fps)` seconds.
/// - **Per frame**: the span is cut into `melFramesPerVideoFrame` (k) equal parts; part j is the average of the
///   log-mel rows it overlaps, each row standing for the 1/`framesPerSecond` s that starts at its centre time and
///   weighted by its overlap. At 25 fps with Whisper's 100 rows/s, k = 4 and part j of frame f is exactly row
///   4f + j. Parts past the last row take the last row.
/// - **Neighbours**: row f of `values` is `[frame f−N, …, frame f, …, frame f+N]`, each k·melCount values,
///   so `featureWidth = (2N + 1)·k·melCount`. Frames before the first or after the last one are taken from the
///   nearest real frame (`.edge`, the default: silence in log-mel is −1.5, not 0) or are zeros (`.zero`).
public struct AudioFeatures: Sendable, Equatable {
    /// How neighbours beyond the ends of the clip are filled.
    public enum EndPadding: String, Sendable, Codable, CaseIterable {
        /// Repeat the first / last video frame's features.
        case edge
        /// Zeros.
        case zero
    }

    /// Video frames per second.
    public let fps: Double
    public let videoFrameCount: Int
    /// Log-mel rows (k) that describe one video frame.
    public let melFramesPerVideoFrame: Int
    /// N: video frames taken on each side.
    public let neighbours: Int
    public let melCount: Int
    public let padding: EndPadding
    /// `[videoFrameCount, featureWidth]`, row-major.
    public let values: [Float]
    /// RMS of the samples of each video frame (linear amplitude, 0 for silence; empty when built from a
    /// spectrogram alone).
    public private(set) var energy: [Float]

    /// Values per video frame: `(2·neighbours + 1)·melFramesPerVideoFrame·melCount`.
    public var featureWidth: Int { (2 * neighbours + 1) * melFramesPerVideoFrame * melCount }

    /// The default k for a frame rate: `round(melFramesPerSecond / fps)`, at least 1 (4 at 25 fps, 3 at 30 fps).
    public static func defaultMelFramesPerVideoFrame(fps: Double, melFramesPerSecond: Double = 100) -> Int {
        max(1, Int((melFramesPerSecond / fps).rounded()))
    }

    /// `round(duration · fps)`.
    public static func videoFrameCount(duration: Double, fps: Double) -> Int {
        Int((duration * fps).rounded())
    }

    /// Features of `clip` (16 kHz for Whisper's analyzer): log-mel through `analyzer`, then as described on the type,
    /// with the per-frame energy envelope.
    public init(clip: AudioClip, fps: Double, neighbours: Int = 2, melFramesPerVideoFrame: Int? = nil,
                padding: EndPadding = .edge, analyzer: LogMelAnalyzer = .whisper) {
        let spectrogram = analyzer.spectrogram(of: clip)
        self.init(spectrogram: spectrogram, fps: fps, neighbours: neighbours,
                  melFramesPerVideoFrame: melFramesPerVideoFrame, padding: padding)
        energy = Self.energyEnvelope(of: clip, fps: fps, videoFrameCount: videoFrameCount)
    }

    /// Features of an existing spectrogram (`energy` stays empty).
    public init(spectrogram: LogMelSpectrogram, fps: Double, neighbours: Int = 2, melFramesPerVideoFrame: Int? = nil,
                padding: EndPadding = .edge) {
        precondition(fps > 0 && fps.isFinite, "AudioFeatures needs a positive frame rate, got \(fps)")
        precondition(neighbours >= 0, "AudioFeatures needs neighbours ≥ 0, got \(neighbours)")
        let k = melFramesPerVideoFrame ?? Self.defaultMelFramesPerVideoFrame(fps: fps, melFramesPerSecond: spectrogram.framesPerSecond)
        precondition(k >= 1, "AudioFeatures needs at least one mel frame per video frame, got \(k)")
        self.fps = fps
        self.neighbours = neighbours
        self.melFramesPerVideoFrame = k
        self.melCount = spectrogram.melCount
        self.padding = padding
        self.energy = []
        let frames = Self.videoFrameCount(duration: spectrogram.duration, fps: fps)
        self.videoFrameCount = frames

        // Per video frame: k·melCount values.
        let m = spectrogram.melCount, perFrame = k * m
        var own = [Float](repeating: 0, count: frames * perFrame)
        let rowsPerVideoFrame = spectrogram.framesPerSecond / fps
        var acc = [Double](repeating: 0, count: m)
        for f in 0..<frames where spectrogram.frameCount > 0 {
            for j in 0..<k {
                // Part j in row units: [u0, u1); row i covers [i, i + 1).
                let u0 = (Double(f) + Double(j) / Double(k)) * rowsPerVideoFrame
                let u1 = (Double(f) + Double(j + 1) / Double(k)) * rowsPerVideoFrame
                for c in 0..<m { acc[c] = 0 }
                var total = 0.0
                var i = Int(u0.rounded(.down))
                while Double(i) < u1 && i < spectrogram.frameCount {
                    let weight = min(u1, Double(i + 1)) - max(u0, Double(i))
                    if weight > 1e-12 {
                        total += weight
                        for c in 0..<m { acc[c] += weight * Double(spectrogram.values[i * m + c]) }
                    }
                    i += 1
                }
                let base = f * perFrame + j * m
                if total > 0 {
                    for c in 0..<m { own[base + c] = Float(acc[c] / total) }
                } else {
                    let last = spectrogram.frameCount - 1
                    for c in 0..<m { own[base + c] = spectrogram.values[last * m + c] }
                }
            }
        }

        // Neighbour concatenation.
        let width = (2 * neighbours + 1) * perFrame
        var values = [Float](repeating: 0, count: frames * width)
        for f in 0..<frames {
            for (slot, g) in ((f - neighbours)...(f + neighbours)).enumerated() {
                let source: Int
                if g >= 0 && g < frames { source = g } else if padding == .edge { source = min(max(g, 0), frames - 1) } else { continue }
                let dst = f * width + slot * perFrame
                values.replaceSubrange(dst..<(dst + perFrame), with: own[(source * perFrame)..<((source + 1) * perFrame)])
            }
        }
        self.values = values
    }

    /// Sets the per-frame energy (`energyEnvelope` of the clip the features describe), one value per video frame.
    public mutating func setEnergy(_ values: [Float]) {
        precondition(values.count == videoFrameCount, "energy needs \(videoFrameCount) values, got \(values.count)")
        energy = values
    }

    /// The `featureWidth` values of video frame `frame`.
    public func row(_ frame: Int) -> [Float] {
        Array(values[(frame * featureWidth)..<((frame + 1) * featureWidth)])
    }

    /// Rows `frames` of `values` (a segment of a long clip), `[frames.count, featureWidth]` row-major.
    public func rows(_ frames: Range<Int>) -> [Float] {
        Array(values[(frames.lowerBound * featureWidth)..<(frames.upperBound * featureWidth)])
    }

    /// RMS amplitude of the samples in each video frame's span `[f / fps, (f + 1) / fps)` (sample bounds rounded
    /// to the nearest sample), for `videoFrameCount` frames (default `round(duration · fps)`); frames past the end
    /// of the clip are 0.
    public static func energyEnvelope(of clip: AudioClip, fps: Double, videoFrameCount: Int? = nil) -> [Float] {
        precondition(fps > 0 && fps.isFinite, "energyEnvelope needs a positive frame rate, got \(fps)")
        let frames = videoFrameCount ?? Self.videoFrameCount(duration: clip.duration, fps: fps)
        let rate = Double(clip.sampleRate), n = clip.samples.count
        return (0..<frames).map { f in
            let a = min(n, Int((Double(f) * rate / fps).rounded()))
            let b = min(n, Int((Double(f + 1) * rate / fps).rounded()))
            guard b > a else { return 0 }
            var sum = 0.0
            for i in a..<b { sum += Double(clip.samples[i]) * Double(clip.samples[i]) }
            return Float((sum / Double(b - a)).squareRoot())
        }
    }
}
