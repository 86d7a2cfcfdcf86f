import Foundation
import XCTest
import OmniMedia
@testable import OmniModel
@testable import OmniTensor

/// Audio features from the config's encoder: log-mel rows (old folders) or Whisper tiny.en's states pooled per
/// video frame, for any length of audio.
final class AudioConditioningTests: XCTestCase {
    /// A speech-like test signal: a gliding harmonic voice with a syllable-rate envelope.
    func clip(seconds: Double) -> AudioClip {
        let n = Int(seconds * 16_000)
        var phase = 0.0
        let samples = (0..<n).map { i -> Float in
            let t = Double(i) / 16_000
            phase += 2 * Double.pi * (140 + 40 * sin(2 * Double.pi * 0.7 * t)) / 16_000
            let voice = (1...8).map { sin(Double($0) * phase) / Double($0) }.reduce(0, +)
            return Float(0.3 * voice * pow(max(0, sin(2 * Double.pi * 3 * t)), 2))
        }
        return AudioClip(samples: samples, sampleRate: 16_000)
    }

    func testConfigSelectsTheEncoderAndOldFoldersReadLogMel() throws {
        XCTAssertEqual(ModelConfig.mini.audio.encoder, "logmel")
        XCTAssertEqual(ModelConfig.mini.audio.featureWidth, 5 * 4 * 80)
        let whisper = try XCTUnwrap(ModelConfig.preset("mini-whisper"))
        XCTAssertEqual(whisper.audio.featureWidth, 5 * 384)
        XCTAssertEqual(MMDiT(config: whisper).audioEmbedding.inFeatures, 5 * 384)
        var json = String(decoding: ModelConfig.mini.encoded(), as: UTF8.self)
        json = json.replacingOccurrences(of: "\"encoder\" : \"logmel\",", with: "")
        XCTAssertFalse(json.contains("\"encoder\""))
        let decoder = JSONDecoder()
        decoder.keyDecodingStrategy = .convertFromSnakeCase
        XCTAssertEqual(try decoder.decode(ModelConfig.self, from: Data(json.utf8)).audio.encoder, "logmel")
        var bad = ModelConfig.mini
        bad.audio.encoder = "wav2vec"
        XCTAssertThrowsError(try bad.validate(path: "config.json")) { XCTAssertTrue("\($0)".contains("audio.encoder 'wav2vec'"), "\($0)") }
    }

    func testWhisperFeaturesPoolTheStatesOfEachVideoFrame() throws {
        let audio = clip(seconds: 2)
        let config = try XCTUnwrap(ModelConfig.preset("tiny-whisper")).audio
        let features = try AudioConditioning.features(of: audio, fps: 25, config: config)
        XCTAssertEqual(features.videoFrameCount, 50)
        XCTAssertEqual(features.featureWidth, (2 * config.neighbours + 1) * 384)
        XCTAssertEqual(features.energy.count, 50)
        let states = try AudioConditioning.whisperStates(of: audio)
        XCTAssertEqual(states.frameCount, 100)
        // Frame f's own block (the middle of its neighbours) is the mean of states 2f and 2f + 1.
        let own = config.neighbours * 384
        for f in [0, 17, 49] {
            let row = features.row(f)
            for j in stride(from: 0, to: 384, by: 37) {
                XCTAssertEqual(row[own + j], (states[2 * f, j] + states[2 * f + 1, j]) / 2, accuracy: 1e-5)
            }
        }
        XCTAssertTrue(features.values.allSatisfy(\.isFinite))
    }

    func testLongAudioJoinsWindowsWithoutAStep() throws {
        let audio = clip(seconds: 45)   // two windows 20 s apart, cross-faded over 20–30 s
        let states = try AudioConditioning.whisperStates(of: audio)
        XCTAssertEqual(states.frameCount, 45 * 50)
        XCTAssertTrue(states.values.allSatisfy(\.isFinite))
        func change(_ g: Int) -> Float {   // distance between consecutive states g − 1 and g
            (0..<384).map { let d = states[g, $0] - states[g - 1, $0]; return d * d }.reduce(0, +).squareRoot()
        }
        let inside = (1..<(20 * 50)).map(change).sorted()
        let overlap = ((20 * 50)..<(30 * 50)).map(change)
        XCTAssertLessThanOrEqual(overlap.max()!, inside.last!, "no change across the join is bigger than the first window's own changes")
        // Before the overlap the states are the first window's own.
        let firstWindow = try AudioConditioning.whisperStates(of: AudioClip(samples: Array(audio.samples[0..<(30 * 16_000)]), sampleRate: 16_000))
        for g in [0, 500, 999] { for j in stride(from: 0, to: 384, by: 41) { XCTAssertEqual(states[g, j], firstWindow[g, j], accuracy: 1e-6) } }
    }

    func testAClipHeardAgainIsNotEncodedAgain() throws {
        // The studio's re-runs on the same audio reuse its states; a clip that differs in one sample does not.
        let audio = clip(seconds: 1.5)
        let before = AudioConditioning.encoderRuns.withLock { $0 }
        let first = try AudioConditioning.whisperStates(of: audio)
        let again = try AudioConditioning.whisperStates(of: AudioClip(samples: audio.samples, sampleRate: 16_000))
        XCTAssertEqual(AudioConditioning.encoderRuns.withLock { $0 }, before + 1)
        XCTAssertTrue(again.values == first.values)
        var changed = audio.samples
        changed[8_000] += 0.01
        let other = try AudioConditioning.whisperStates(of: AudioClip(samples: changed, sampleRate: 16_000))
        XCTAssertEqual(AudioConditioning.encoderRuns.withLock { $0 }, before + 2)
        XCTAssertFalse(other.values == first.values)
    }

    func testSilenceGivesFiniteFeatures() throws {
        let silent = AudioClip(samples: [Float](repeating: 0, count: 16_000), sampleRate: 16_000)
        let features = try AudioConditioning.features(of: silent, fps: 25, config: try XCTUnwrap(ModelConfig.preset("tiny-whisper")).audio)
        XCTAssertEqual(features.videoFrameCount, 25)
        XCTAssertTrue(features.values.allSatisfy(\.isFinite))
        XCTAssertTrue(features.energy.allSatisfy { $0 == 0 })
    }
}
