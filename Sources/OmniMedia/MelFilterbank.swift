import Foundation

/// Triangular mel filters on the bins of a real FFT, the Slaney construction (librosa `filters.mel` with
/// `htk=False, norm="slaney"`), which is what Whisper's `mel_filters.npz` holds for 16 kHz, n_fft 400, 80 mels.
///
/// - Mel scale (Slaney / Auditory Toolbox): linear below 1 kHz at 200/3 Hz per mel, logarithmic above with a
///   step of ln(6.4)/27 per mel, so 1 kHz is mel 15.
/// - `melCount + 2` band edges are spaced evenly in mel from `minFrequency` to `maxFrequency`; filter m rises
///   linearly from edge m to edge m+1 and falls to edge m+2 (frequencies in Hz, bin k at k·sampleRate/fftSize).
/// - Each triangle is scaled by 2/(edge[m+2] − edge[m]) so it has unit area in Hz ("slaney" normalisation):
///   weights are in 1/Hz.
public struct MelFilterbank: Sendable, Equatable {
    public let melCount: Int
    public let fftSize: Int
    /// Hz.
    public let sampleRate: Int
    /// Hz.
    public let minFrequency: Double
    /// Hz.
    public let maxFrequency: Double
    /// `melCount + 2` band edges in Hz: filter m spans `bandEdges[m] ... bandEdges[m + 2]` and peaks at `bandEdges[m + 1]`.
    public let bandEdges: [Double]
    /// Row-major `[melCount, binCount]` weights in 1/Hz, all ≥ 0.
    public let weights: [Float]
    /// For each filter, the first and one-past-last bin with a non-zero weight (empty range for an empty filter).
    let supports: [Range<Int>]

    /// Bins of the one-sided spectrum: `fftSize / 2 + 1`.
    public var binCount: Int { fftSize / 2 + 1 }

    /// Whisper's filterbank: 80 mels on a 400-point FFT at 16 kHz, 0 – 8000 Hz.
    public static let whisper = MelFilterbank(melCount: 80, fftSize: 400, sampleRate: 16_000)

    /// `maxFrequency` defaults to the Nyquist frequency `sampleRate / 2`.
    public init(melCount: Int, fftSize: Int, sampleRate: Int, minFrequency: Double = 0, maxFrequency: Double? = nil) {
        let top = maxFrequency ?? Double(sampleRate) / 2
        precondition(melCount > 0 && fftSize > 1 && sampleRate > 0, "MelFilterbank needs positive sizes")
        precondition(minFrequency >= 0 && minFrequency < top, "MelFilterbank needs 0 ≤ minFrequency < maxFrequency, got \(minFrequency) – \(top) Hz")
        self.melCount = melCount
        self.fftSize = fftSize
        self.sampleRate = sampleRate
        self.minFrequency = minFrequency
        self.maxFrequency = top

        let lowMel = Self.mel(fromHz: minFrequency), highMel = Self.mel(fromHz: top)
        let edges = (0..<(melCount + 2)).map { i in
            Self.hz(fromMel: lowMel + (highMel - lowMel) * Double(i) / Double(melCount + 1))
        }
        bandEdges = edges
        let bins = fftSize / 2 + 1
        var weights = [Float](repeating: 0, count: melCount * bins)
        var supports: [Range<Int>] = []
        for m in 0..<melCount {
            let lower = edges[m], centre = edges[m + 1], upper = edges[m + 2]
            let norm = 2 / (upper - lower)
            var first = bins, last = 0
            for k in 0..<bins {
                let f = Double(k) * Double(sampleRate) / Double(fftSize)
                let rising = (f - lower) / (centre - lower), falling = (upper - f) / (upper - centre)
                let w = max(0, min(rising, falling)) * norm
                if w > 0 {
                    weights[m * bins + k] = Float(w)
                    first = min(first, k); last = max(last, k + 1)
                }
            }
            supports.append(first < last ? first..<last : 0..<0)
        }
        self.weights = weights
        self.supports = supports
    }

    /// Hz → mel on the Slaney scale.
    public static func mel(fromHz hz: Double) -> Double {
        let linearStep = 200.0 / 3, breakHz = 1000.0, breakMel = breakHz / linearStep, logStep = log(6.4) / 27
        return hz < breakHz ? hz / linearStep : breakMel + log(hz / breakHz) / logStep
    }

    /// Mel → Hz on the Slaney scale.
    public static func hz(fromMel mel: Double) -> Double {
        let linearStep = 200.0 / 3, breakHz = 1000.0, breakMel = breakHz / linearStep, logStep = log(6.4) / 27
        return mel < breakMel ? mel * linearStep : breakHz * exp(logStep * (mel - breakMel))
    }

    /// `out[m] = Σ_k weights[m, k]·power[k]` for a one-sided power spectrum of `binCount` values.
    func apply(_ power: UnsafePointer<Double>, into out: UnsafeMutablePointer<Double>) {
        weights.withUnsafeBufferPointer { w in
            for m in 0..<melCount {
                var sum = 0.0
                let row = m * binCount
                for k in supports[m] { sum += Double(w[row + k]) * power[k] }
                out[m] = sum
            }
        }
    }
}
