import Foundation
import XCTest
@testable import OmniMedia

final class AudioFeaturesTests: XCTestCase {
    /// A spectrogram whose value at (row, mel) is `row + mel / 1000`, so every copied or averaged row is traceable.
    private func rampSpectrogram(rows: Int, melCount: Int = 80, duration: Double) -> LogMelSpectrogram {
        let values = (0..<(rows * melCount)).map { Float($0 / melCount) + Float($0 % melCount) / 1000 }
        return LogMelSpectrogram(frameCount: rows, melCount: melCount, framesPerSecond: 100, duration: duration, values: values)
    }

    func testThreeSecondsAtTwentyFiveFPSGiveSeventyFiveRows() {
        let clip = AudioClip(samples: LogMelTests.testSignal(count: 48_000))
        let features = AudioFeatures(clip: clip, fps: 25)
        XCTAssertEqual(features.videoFrameCount, 75)
        XCTAssertEqual(features.melFramesPerVideoFrame, 4)
        XCTAssertEqual(features.neighbours, 2)
        XCTAssertEqual(features.featureWidth, 5 * 4 * 80)
        XCTAssertEqual(features.values.count, 75 * 1600)
        XCTAssertEqual(features.energy.count, 75)
        XCTAssertEqual(features.rows(10..<12).count, 2 * 1600)
    }

    func testVideoFrameCountIsRoundedDurationTimesFPS() {
        XCTAssertEqual(AudioFeatures.videoFrameCount(duration: 3.0, fps: 25), 75)
        XCTAssertEqual(AudioFeatures.videoFrameCount(duration: 3.01, fps: 25), 75)   // 75.25
        XCTAssertEqual(AudioFeatures.videoFrameCount(duration: 3.02, fps: 25), 76)   // 75.5 rounds up
        XCTAssertEqual(AudioFeatures.videoFrameCount(duration: 2.0, fps: 30), 60)
        XCTAssertEqual(AudioFeatures.videoFrameCount(duration: 0, fps: 25), 0)
        XCTAssertEqual(AudioFeatures.defaultMelFramesPerVideoFrame(fps: 25), 4)
        XCTAssertEqual(AudioFeatures.defaultMelFramesPerVideoFrame(fps: 30), 3)
        XCTAssertEqual(AudioFeatures.defaultMelFramesPerVideoFrame(fps: 12.5), 8)
        let empty = AudioFeatures(clip: AudioClip(samples: []), fps: 25)
        XCTAssertEqual(empty.videoFrameCount, 0)
        XCTAssertTrue(empty.values.isEmpty && empty.energy.isEmpty)
    }

    /// At 25 fps the own block of frame f is mel rows 4f … 4f+3; neighbour slots hold frames f−2 … f+2, and past the
    /// ends repeat the first / last frame (`.edge`) or are zero (`.zero`).
    func testNeighbourConcatenationAndEdges() {
        let spectrogram = rampSpectrogram(rows: 41, duration: 0.4)   // 10 video frames
        let block = 4 * 80
        func ownBlock(_ f: Int) -> [Float] { Array(spectrogram.values[(f * block)..<((f + 1) * block)]) }
        for padding in AudioFeatures.EndPadding.allCases {
            let features = AudioFeatures(spectrogram: spectrogram, fps: 25, padding: padding)
            XCTAssertEqual(features.videoFrameCount, 10)
            for f in 0..<10 {
                let row = Array(features.row(f))
                for slot in 0..<5 {
                    let g = f - 2 + slot
                    let got = Array(row[(slot * block)..<((slot + 1) * block)])
                    if (0..<10).contains(g) {
                        XCTAssertEqual(got, ownBlock(g), "frame \(f) slot \(slot)")
                    } else if padding == .edge {
                        XCTAssertEqual(got, ownBlock(g < 0 ? 0 : 9), "frame \(f) slot \(slot) (edge)")
                    } else {
                        XCTAssertTrue(got.allSatisfy { $0 == 0 }, "frame \(f) slot \(slot) (zero)")
                    }
                }
            }
        }
        let none = AudioFeatures(spectrogram: spectrogram, fps: 25, neighbours: 0)
        XCTAssertEqual(none.featureWidth, block)
        XCTAssertEqual(Array(none.row(3)), ownBlock(3))
    }

    /// At 30 fps with k = 3 each part spans 10/9 rows; the rows it overlaps are averaged by overlap.
    func testFractionalRowsAreOverlapAveraged() {
        let spectrogram = rampSpectrogram(rows: 201, duration: 2.0)
        let features = AudioFeatures(spectrogram: spectrogram, fps: 30, neighbours: 0)
        XCTAssertEqual(features.videoFrameCount, 60)
        XCTAssertEqual(features.melFramesPerVideoFrame, 3)
        // Frame 0 part 0 = [0, 10/9): row 0 weight 1, row 1 weight 1/9 → 0.1.
        XCTAssertEqual(features.row(0)[0], 0.1, accuracy: 1e-5)
        // Frame 1 part 0 = [10/3, 40/9): row 3 weight 2/3, row 4 weight 4/9 → 3.4; mel 7 adds 0.007.
        XCTAssertEqual(features.row(1)[0], 3.4, accuracy: 1e-5)
        XCTAssertEqual(features.row(1)[7], 3.407, accuracy: 1e-5)
    }

    func testPartsPastTheLastRowTakeTheLastRow() {
        // 2 rows of spectrogram but 0.1 s at 25 fps = 3 video frames (rows 0 … 11 wanted).
        let spectrogram = rampSpectrogram(rows: 2, duration: 0.1)
        let features = AudioFeatures(spectrogram: spectrogram, fps: 25, neighbours: 0)
        XCTAssertEqual(features.videoFrameCount, 3)
        let row = Array(features.row(2))
        XCTAssertEqual(row[0], 1, accuracy: 1e-6)
        XCTAssertEqual(row[3 * 80 + 5], 1.005, accuracy: 1e-6)
    }

    func testEnergyEnvelopeFollowsLoudness() {
        // 1 s of silence, then 1 s of a 0.5-amplitude sine (RMS 0.5/√2).
        let samples = (0..<32_000).map { i -> Float in i < 16_000 ? 0 : Float(0.5 * sin(2 * Double.pi * 500 * Double(i) / 16_000)) }
        let clip = AudioClip(samples: samples)
        let energy = AudioFeatures.energyEnvelope(of: clip, fps: 25)
        XCTAssertEqual(energy.count, 50)
        for f in 0..<25 { XCTAssertEqual(energy[f], 0) }
        for f in 25..<50 { XCTAssertEqual(energy[f], Float(0.5 / 2.0.squareRoot()), accuracy: 1e-3) }
        // Frames past the end of the audio are silent.
        let longer = AudioFeatures.energyEnvelope(of: clip, fps: 25, videoFrameCount: 52)
        XCTAssertEqual(Array(longer.suffix(2)), [0, 0])
        let features = AudioFeatures(clip: clip, fps: 25)
        XCTAssertEqual(features.energy, energy)
    }
}
