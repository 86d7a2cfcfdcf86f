import XCTest
import OmniMedia
@testable import OmniWorld

final class AudioTests: XCTestCase {
    let voice = Voice(pitch: 140, syllableRate: 4.5, intonation: 0.15, formantShift: 1)

    func testSpeechHasSyllablesPausesAndAnEnvelope() {
        let speech = SpeechSynth.synthesize(duration: 4, voice: voice, seed: 7)
        XCTAssertEqual(speech.clip.sampleRate, 16_000)
        XCTAssertEqual(speech.clip.samples.count, 64_000)
        XCTAssertTrue(speech.clip.samples.allSatisfy { $0.isFinite && abs($0) <= 1 })
        XCTAssertEqual(speech.envelope.count, 401)
        // Pauses: a good share of the 10 ms envelope is silent; syllables: onsets at 3–6 per second of speech.
        let silent = speech.envelope.filter { $0 == 0 }.count
        XCTAssertGreaterThan(silent, 40)
        var onsets = 0
        for i in 1..<speech.envelope.count where speech.envelope[i - 1] < 0.05 && speech.envelope[i] >= 0.05 { onsets += 1 }
        let speaking = Double(speech.envelope.count - silent) / 100
        XCTAssertGreaterThan(Double(onsets) / speaking, 2.5)
        XCTAssertLessThan(Double(onsets) / speaking, 7)
        XCTAssertEqual(speech, SpeechSynth.synthesize(duration: 4, voice: voice, seed: 7))
        XCTAssertNotEqual(speech.clip, SpeechSynth.synthesize(duration: 4, voice: voice, seed: 8).clip)
    }

    /// The mouth opens with the speech: its per-frame opening correlates > 0.8 with the audio's loudness one frame
    /// later (the mouth leads by ~40 ms), better than at other lags.
    func testMouthFollowsSpeechWithAOneFrameLead() {
        let fps = 25, frames = 150
        let speech = SpeechSynth.synthesize(duration: 6, voice: voice, seed: 3)
        let mouth = MouthTrack.mouth(envelope: speech.envelope, frameCount: frames, fps: Double(fps))
        let rms = WorldFixtures.frameRMS(speech.clip, fps: fps, frames: frames)
        func lagged(_ lag: Int) -> Float {
            let a = Array(mouth[max(0, -lag)..<(frames - max(0, lag))]), b = Array(rms[max(0, lag)..<(frames - max(0, -lag))])
            return WorldFixtures.correlation(a, b)
        }
        let atLag = (-2...3).map { ($0, lagged($0)) }
        let best = atLag.max { $0.1 < $1.1 }!
        XCTAssertGreaterThan(lagged(1), 0.8, "\(atLag)")
        XCTAssertEqual(best.0, 1, "best lag \(atLag)")
        XCTAssertGreaterThan(mouth.max()!, 0.6)
    }

    func testMouthIsClosedInSilenceAndMusic() {
        let frames = 75
        let silent = SynthesizedAudio.silence(duration: 3)
        XCTAssertEqual(MouthTrack.mouth(envelope: silent.envelope, frameCount: frames, fps: 25), [Float](repeating: 0, count: frames))
        let music = MusicSynth.synthesize(duration: 3, bpm: 120, beatOffset: 0.1, seed: 4)
        XCTAssertEqual(MouthTrack.mouth(envelope: music.envelope, frameCount: frames, fps: 25), [Float](repeating: 0, count: frames))
        XCTAssertEqual(music.beats.count, 6)
        XCTAssertEqual(music.beats[1] - music.beats[0], 0.5, accuracy: 1e-9)
        XCTAssertGreaterThan(music.clip.samples.map(abs).max()!, 0.1)
    }

    func testMusicIsLoudOnTheBeats() {
        let music = MusicSynth.synthesize(duration: 3, bpm: 100, beatOffset: 0.2, seed: 5)
        func energy(_ t: Double) -> Float {
            let a = Int(t * 16_000)
            return music.clip.samples[a..<(a + 800)].reduce(0) { $0 + $1 * $1 }
        }
        let onBeats = music.beats.dropLast().map { energy($0) }.reduce(0, +)
        let between = music.beats.dropLast().map { energy($0 + 0.3 * 60 / 100) }.reduce(0, +)
        XCTAssertGreaterThan(onBeats, 2 * between)
    }

    func testClipTracksAreZeroWithoutSpeech() {
        for seed in UInt64(0)..<40 {
            let spec = ClipSpec.random(seed: seed, duration: 0.5)
            guard !spec.audio.isSpeech else { continue }
            let plan = ClipPlan(spec)
            XCTAssertTrue(plan.mouth.allSatisfy { $0 == 0 }, "seed \(seed) \(spec.audio.kind)")
        }
    }
}
