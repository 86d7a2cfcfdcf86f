import Foundation
import XCTest
@testable import OmniMedia

/// The Whisper log-mel front end against invariants, an independent naive implementation written here, and
/// golden numbers from a NumPy implementation of librosa's Slaney filterbank (pasted as literals).
final class LogMelTests: XCTestCase {
    /// The golden test signal: two tones and a chirp, computed in Double and stored as Float (the NumPy script
    /// used the same formula and the same Float rounding).
    static func testSignal(count: Int) -> [Float] {
        (0..<count).map { i in
            let t = Double(i) / 16_000
            let tones = 0.5 * sin(2 * .pi * 440 * t) + 0.25 * sin(2 * .pi * 1234.5 * t + 0.3)
            return Float(tones + 0.1 * sin(2 * .pi * (200 + 3000 * t) * t))
        }
    }

    // MARK: FFT

    func testMixedRadixFFTMatchesANaiveDFTForManyLengths() {
        var rng = SystemRandomNumberGenerator()
        for n in [1, 2, 3, 4, 5, 6, 7, 8, 12, 16, 25, 30, 49, 77, 100, 400] {
            let re = (0..<n).map { _ in Double.random(in: -1...1, using: &rng) }
            let im = (0..<n).map { _ in Double.random(in: -1...1, using: &rng) }
            let fft = MixedRadixFFT(count: n)
            XCTAssertEqual(fft.radices.reduce(1, *), n)
            let (outRe, outIm) = fft.transform(re: re, im: im)
            for k in 0..<n {
                var sr = 0.0, si = 0.0
                for j in 0..<n {
                    let angle = -2 * Double.pi * Double(j * k % n) / Double(n)
                    sr += re[j] * cos(angle) - im[j] * sin(angle)
                    si += re[j] * sin(angle) + im[j] * cos(angle)
                }
                XCTAssertEqual(outRe[k], sr, accuracy: 1e-9 * Double(n), "n=\(n) k=\(k) re")
                XCTAssertEqual(outIm[k], si, accuracy: 1e-9 * Double(n), "n=\(n) k=\(k) im")
            }
        }
        XCTAssertEqual(MixedRadixFFT(count: 400).radices, [4, 4, 5, 5])
    }

    // MARK: Filterbank

    func testWhisperFilterbankShapeAndOrdering() {
        let bank = MelFilterbank.whisper
        XCTAssertEqual(bank.melCount, 80)
        XCTAssertEqual(bank.binCount, 201)
        XCTAssertEqual(bank.weights.count, 80 * 201)
        XCTAssertTrue(bank.weights.allSatisfy { $0 >= 0 })
        XCTAssertEqual(bank.bandEdges.count, 82)
        XCTAssertEqual(bank.bandEdges.first!, 0, accuracy: 1e-9)
        XCTAssertEqual(bank.bandEdges.last!, 8000, accuracy: 1e-6)
        XCTAssertTrue(zip(bank.bandEdges, bank.bandEdges.dropFirst()).allSatisfy { $0 < $1 })
        var previousPeak = -1
        for m in 0..<80 {
            let row = Array(bank.weights[(m * 201)..<((m + 1) * 201)])
            let peak = row.indices.max { row[$0] < row[$1] }!
            XCTAssertGreaterThan(row[peak], 0, "filter \(m) is empty")
            XCTAssertGreaterThanOrEqual(peak, previousPeak, "filter \(m) peaks below filter \(m - 1)")
            previousPeak = peak
        }
    }

    /// Slaney normalisation: each triangle has unit area in Hz, i.e. peak height 2/(f_high − f_low); sampled at the
    /// 40 Hz bin spacing, Σ_k w[k]·40 Hz ≈ 1 (exactly 1 only in the limit of wide filters; within 2 % once a
    /// filter spans ≥ 8 bins).
    func testSlaneyAreaNormalisation() {
        let bank = MelFilterbank.whisper
        let binWidth = 16_000.0 / 400
        for m in 0..<80 {
            let low = bank.bandEdges[m], high = bank.bandEdges[m + 2]
            let row = bank.weights[(m * 201)..<((m + 1) * 201)]
            XCTAssertLessThanOrEqual(Double(row.max()!), 2 / (high - low) * (1 + 1e-6), "filter \(m) peak")
            let area = row.reduce(0.0) { $0 + Double($1) } * binWidth
            // Sampling a triangle at the bin spacing misses its area by a fraction of one bin's share.
            let tolerance = 0.25 * binWidth / (high - low)
            XCTAssertEqual(area, 1, accuracy: tolerance, "filter \(m) spans \(low) – \(high) Hz")
            if high - low >= 8 * binWidth { XCTAssertEqual(area, 1, accuracy: 0.02, "filter \(m)") }
        }
    }

    func testSlaneyMelScale() {
        XCTAssertEqual(MelFilterbank.mel(fromHz: 0), 0)
        XCTAssertEqual(MelFilterbank.mel(fromHz: 200.0 / 3), 1, accuracy: 1e-12)
        XCTAssertEqual(MelFilterbank.mel(fromHz: 1000), 15, accuracy: 1e-12)
        XCTAssertEqual(MelFilterbank.mel(fromHz: 6400), 15 + 27, accuracy: 1e-9)  // ln(6.4)/27 per mel above 1 kHz
        for hz in [0.0, 37.5, 999.0, 1000.0, 1500.0, 8000.0] {
            XCTAssertEqual(MelFilterbank.hz(fromMel: MelFilterbank.mel(fromHz: hz)), hz, accuracy: 1e-9)
        }
    }

    /// Filter weights from NumPy (librosa's construction, float32).
    func testFilterbankGoldenValues() {
        let bank = MelFilterbank.whisper
        let golden: [(mel: Int, bins: [Int], weights: [Float])] = [
            (0, [1], [0.02486259490251541]),
            (1, [1, 2], [0.001990821911022067, 0.022871771827340126]),
            (10, [10, 11], [0.019908219575881958, 0.004954375326633453]),
            (40, [42, 43, 44], [0.00541110523045063, 0.014735565520823002, 0.006518189795315266]),
            (79, [186, 187, 192, 193, 199], [0.000366741674952209, 0.0008330700220540166, 0.0031647116411477327,
                                            0.0031413130927830935, 0.00044875903404317796]),
        ]
        for (m, bins, weights) in golden {
            for (k, w) in zip(bins, weights) {
                XCTAssertEqual(bank.weights[m * 201 + k], w, accuracy: 1e-7, "filter \(m) bin \(k)")
            }
        }
        XCTAssertEqual(Array(bank.supports[0]), [1])
        XCTAssertEqual(Array(bank.supports[40]), [42, 43, 44])
        XCTAssertEqual(bank.supports[79], 186..<200)
        XCTAssertEqual(bank.bandEdges[1], 37.23921026495882, accuracy: 1e-9)
        XCTAssertEqual(bank.bandEdges[16], 595.8273642393411, accuracy: 1e-9)
        XCTAssertEqual(bank.bandEdges[40], 1656.787482703841, accuracy: 1e-9)
    }

    // MARK: Spectrogram

    func testFrameCountIsOnePlusSamplesOverHop() {
        let analyzer = LogMelAnalyzer.whisper
        for n in [0, 1, 159, 160, 161, 1000, 16_000] {
            let s = analyzer.spectrogram(of: [Float](repeating: 0.1, count: n))
            XCTAssertEqual(s.frameCount, 1 + n / 160, "\(n) samples")
            XCTAssertEqual(s.melCount, 80)
            XCTAssertEqual(s.values.count, s.frameCount * 80)
            XCTAssertEqual(s.duration, Double(n) / 16_000, accuracy: 1e-12)
            XCTAssertTrue(s.values.allSatisfy { $0.isFinite })
        }
        XCTAssertEqual(analyzer.framesPerSecond, 100)
    }

    func testSilenceGivesTheFloor() {
        let s = LogMelAnalyzer.whisper.spectrogram(of: AudioClip(samples: [Float](repeating: 0, count: 8000)))
        XCTAssertEqual(s.frameCount, 51)
        XCTAssertTrue(s.values.allSatisfy { $0 == -1.5 }, "silence must be (log10(1e-10) + 4) / 4 = −1.5")
    }

    func testAOneKilohertzTonePeaksInTheMelBinCentredNearOneKilohertz() {
        let samples = (0..<16_000).map { Float(0.5 * sin(2 * Double.pi * 1000 * Double($0) / 16_000)) }
        let analyzer = LogMelAnalyzer.whisper
        let s = analyzer.spectrogram(of: samples)
        let centres = (0..<80).map { analyzer.filterbank.bandEdges[$0 + 1] }
        let expected = centres.indices.min { abs(centres[$0] - 1000) < abs(centres[$1] - 1000) }!
        XCTAssertEqual(expected, 26)
        for frame in [10, 50, 90] {
            let row = Array(s.row(frame))
            let peak = row.indices.max { row[$0] < row[$1] }!
            XCTAssertEqual(peak, expected, "frame \(frame)")
            XCTAssertEqual(row[peak], s.values.max()!, accuracy: 0.05)
            // Far from the tone the spectrum sits on the clamp floor (max − 8 decades).
            XCTAssertEqual(row[79], (s.values.max()! * 4 - 8) / 4, accuracy: 1e-4)
        }
    }

    /// The whole spectrogram of a short signal against a naive O(n²) DFT and a mel filterbank written here from the
    /// Slaney definition, with its own reflect padding. Odd frame count: the last frame goes through the FFT alone.
    func testMatchesAnIndependentNaiveImplementation() {
        let samples = Self.testSignal(count: 1_650)
        let s = LogMelAnalyzer.whisper.spectrogram(of: samples)
        XCTAssertEqual(s.frameCount, 11)

        func mel(_ hz: Double) -> Double { hz < 1000 ? hz * 3 / 200 : 15 + log(hz / 1000) * 27 / log(6.4) }
        func hz(_ m: Double) -> Double { m < 15 ? m * 200 / 3 : 1000 * pow(6.4, (m - 15) / 27) }
        let edges = (0..<82).map { hz(mel(8000) * Double($0) / 81) }
        var filters = [[Double]](repeating: [Double](repeating: 0, count: 201), count: 80)
        for m in 0..<80 {
            for k in 0..<201 {
                let f = Double(k) * 40
                var w = 0.0
                if f > edges[m] && f <= edges[m + 1] { w = (f - edges[m]) / (edges[m + 1] - edges[m]) }
                if f > edges[m + 1] && f < edges[m + 2] { w = (edges[m + 2] - f) / (edges[m + 2] - edges[m + 1]) }
                filters[m][k] = w * 2 / (edges[m + 2] - edges[m])
            }
        }
        let n = samples.count
        func sample(_ i: Int) -> Double {  // reflect padding: x[−j] = x[j], x[n−1+j] = x[n−1−j]
            let j = i < 0 ? -i : (i >= n ? 2 * (n - 1) - i : i)
            return Double(samples[j])
        }
        var logs: [Double] = []
        for frame in 0..<11 {
            var power = [Double](repeating: 0, count: 201)
            for k in 0..<201 {
                var re = 0.0, im = 0.0
                for j in 0..<400 {
                    let x = sample(frame * 160 + j - 200) * (0.5 - 0.5 * cos(2 * Double.pi * Double(j) / 400))
                    let angle = 2 * Double.pi * Double(j * k % 400) / 400
                    re += x * cos(angle); im -= x * sin(angle)
                }
                power[k] = re * re + im * im
            }
            for m in 0..<80 {
                let energy = zip(filters[m], power).reduce(0.0) { $0 + $1.0 * $1.1 }
                logs.append(log10(max(energy, 1e-10)))
            }
        }
        let top = logs.max()!
        let expected = logs.map { (max($0, top - 8) + 4) / 4 }
        var worst = 0.0
        for (a, b) in zip(s.values, expected) { worst = max(worst, abs(Double(a) - b)) }
        XCTAssertLessThan(worst, 1e-4, "largest difference from the naive reference")
    }

    /// Golden values from NumPy (np.pad reflect, periodic Hann, np.fft.rfft, librosa's Slaney filterbank in float32,
    /// log10 / clamp / scale) for 4000 samples of the test signal: (frame, mel, value).
    func testNumPyGoldenValues() {
        let s = LogMelAnalyzer.whisper.spectrogram(of: Self.testSignal(count: 4000))
        XCTAssertEqual(s.frameCount, 26)
        XCTAssertEqual(s.values.max()!, 1.4405798, accuracy: 1e-4)
        XCTAssertEqual(s.values.min()!, -0.5594202, accuracy: 1e-4)
        let golden: [(Int, Int, Float)] = [
            (0, 0, 1.088361), (0, 6, 0.946915), (0, 18, 0.799327), (3, 7, 0.775827), (5, 12, 1.216633),
            (8, 20, 0.648938), (10, 24, 0.417784), (12, 26, 0.717843), (15, 27, 0.914392), (20, 29, 0.399755),
            (25, 30, 1.084802), (25, 18, 0.956752), (25, 79, -0.124332), (13, 60, -0.559420), (1, 40, 0.192210),
            (7, 45, -0.559420),
        ]
        for (frame, mel, value) in golden {
            XCTAssertEqual(s[frame, mel], value, accuracy: 2e-4, "frame \(frame) mel \(mel)")
        }
    }

    func testReflectPaddingIndices() {
        // np.pad([0, 1, 2, 3, 4], 6, mode="reflect") → 2 3 4 3 2 1 | 0 1 2 3 4 | 3 2 1 0 1 2
        let padded = (-6..<11).map { LogMelAnalyzer.reflect($0, count: 5)! }
        XCTAssertEqual(padded, [2, 3, 4, 3, 2, 1, 0, 1, 2, 3, 4, 3, 2, 1, 0, 1, 2])
        XCTAssertEqual(LogMelAnalyzer.reflect(-7, count: 1), 0)
        XCTAssertNil(LogMelAnalyzer.reflect(0, count: 0))
    }
}
