import CFFmpeg
import Foundation
import XCTest
@testable import OmniMedia

/// Media files a mutation run found crashing or stalling the decoders, each kept as a regression.
final class HostileMediaTests: XCTestCase {
    var dir: URL!
    override func setUpWithError() throws { dir = try MediaFixtures.temporaryDirectory() }
    override func tearDownWithError() throws { try? FileManager.default.removeItem(at: dir) }

    /// A stream whose frames change channel count and rate mid-way (two MPEG audio streams back to back, as a
    /// damaged or concatenated MP3 decodes): the resampler was set up from the first frame only, and the mono
    /// frames after stereo ones crashed `swr_convert`.
    func testAudioThatChangesLayoutAndRateMidStreamDecodes() throws {
        let path = dir.appendingPathComponent("changing.mp3").path
        let stereo = try MPEGAudioFixture.layerII(seconds: 0.5, sampleRate: 44_100, channels: 2)
        let mono = try MPEGAudioFixture.layerII(seconds: 0.5, sampleRate: 16_000, channels: 1)
        try (stereo + mono).write(to: URL(fileURLWithPath: path))
        let clip = try AudioFile.decode(path)
        XCTAssertEqual(clip.sampleRate, 16_000)
        XCTAssertEqual(clip.duration, 1.0, accuracy: 0.15)
        // Both halves carry the tone: the second half was not dropped or garbled into silence.
        let half = clip.samples.count / 2
        for part in [clip.samples[..<half], clip.samples[half...]] {
            let rms = (part.reduce(0) { $0 + Double($1 * $1) } / Double(part.count)).squareRoot()
            XCTAssertGreaterThan(rms, 0.1)
        }
    }

    /// A WAV header claiming 1 Hz made 8 000 samples into 8 000 s of 16 kHz audio (and a larger file into more
    /// memory than the machine has).
    func testImplausibleSampleRatesAreCorruptNotHours() throws {
        let path = dir.appendingPathComponent("one-hertz.wav").path
        try AudioClip(samples: MediaFixtures.tone(seconds: 0.5).samples, sampleRate: 1).writeWAV(to: path)
        XCTAssertThrowsError(try AudioFile.decode(path)) { error in
            XCTAssertTrue("\(error)".hasPrefix(path + ": corrupt"), "\(error)")
            XCTAssertTrue("\(error)".contains("at 1 Hz"), "\(error)")
        }
    }

    func testAudioLongerThanTheLimitIsAnErrorAndStopAfterReadsOnlyTheStart() throws {
        let path = dir.appendingPathComponent("tone.wav").path
        try MediaFixtures.tone(seconds: 3).writeWAV(to: path)
        XCTAssertThrowsError(try AudioFile.decode(path, maxSeconds: 2)) { error in
            XCTAssertTrue("\(error)".contains("more than 2 s"), "\(error)")
        }
        XCTAssertEqual(try AudioFile.decode(path, maxSeconds: 2, stopAfter: 1).samples.count, 16_000)
    }

    /// `"fps": 1e-300` overflowed a Double → Int conversion when the track was resampled; `"fps": 0.01` stretched
    /// 88 frames over 8 800 s.
    func testPoseClipFrameRatesOutsideCameraRatesAreRejected() throws {
        for fps in ["1e-300", "0.01", "1e300", "100000"] {
            let path = dir.appendingPathComponent("pose.json").path
            let frame = "{\"pose_keypoints_2d\": [" + Array(repeating: "10, 10, 1", count: 18).joined(separator: ", ") + "]}"
            try "{\"fps\": \(fps), \"width\": 64, \"height\": 64, \"frames\": [\(frame)]}".write(toFile: path, atomically: true, encoding: .utf8)
            XCTAssertThrowsError(try PoseTrack.load(path).resampled(toFPS: 25), "fps \(fps)") { error in
                XCTAssertEqual("\(error)", "\(path): not a usable pose file: \"fps\" must be a number in 1 … 240")
            }
        }
    }

    /// A path is a file, never a protocol: a file named like an FFmpeg pseudo-protocol is read as that file, and a
    /// container that points elsewhere (an HLS playlist naming a network address) is refused without opening it.
    func testPathsAndContainersCannotReachProtocolsOtherThanFiles() throws {
        // Relative paths, as a user types them: FFmpeg reads a leading "name:" as a protocol (an absolute path
        // starts with "/" and never does).
        let tone = MediaFixtures.tone(seconds: 0.5)
        let cwd = FileManager.default.currentDirectoryPath
        FileManager.default.changeCurrentDirectoryPath(dir.path)
        defer { FileManager.default.changeCurrentDirectoryPath(cwd) }
        for name in ["concat:a.wav|b.wav", "subfile,,start,0,end,10,,:x.wav"] {
            try tone.writeWAV(to: dir.appendingPathComponent(name).path)
            XCTAssertEqual(try AudioFile.decode(name).samples.count, tone.samples.count, name)
        }
        // FFmpeg's own default already keeps a file-opened playlist to local files; the whitelist makes that
        // explicit for every container, and this checks the outcome.

        // A listening socket on this machine stands for the network: the playlist names it, and nothing may connect.
        let listener = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        XCTAssertGreaterThanOrEqual(listener, 0)
        defer { close(listener) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let bound = withUnsafeMutablePointer(to: &address) { p in
            p.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(listener, $0, length) == 0 && listen(listener, 4) == 0 && getsockname(listener, $0, &length) == 0 }
        }
        XCTAssertTrue(bound)
        _ = fcntl(listener, F_SETFL, fcntl(listener, F_GETFL) | O_NONBLOCK)
        let port = UInt16(bigEndian: address.sin_port)
        let playlist = dir.appendingPathComponent("list.m3u8").path
        try "#EXTM3U\n#EXT-X-TARGETDURATION:1\n#EXTINF:1.0,\nhttp://127.0.0.1:\(port)/segment.ts\n#EXT-X-ENDLIST\n"
            .write(toFile: playlist, atomically: true, encoding: .utf8)
        XCTAssertThrowsError(try AudioFile.decode(playlist)) { XCTAssertTrue("\($0)".hasPrefix(playlist), "\($0)") }
        let connection = accept(listener, nil, nil)
        XCTAssertEqual(connection, -1, "the decoder connected to the address in the playlist")
        if connection >= 0 { close(connection) }
    }

    /// A file FFmpeg works on without end is an error after `stallLimit`, not a hang: opening it (FFmpeg's interrupt
    /// callback) and decoding each frame are bounded. Shown with a limit of 0 s on a good file, both phases.
    func testDecodingThatNeverEndsIsAnErrorAfterTheStallLimit() throws {
        let dir = try MediaFixtures.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let path = dir.appendingPathComponent("tone.wav").path
        try MediaFixtures.tone(seconds: 2).writeWAV(to: path)
        XCTAssertThrowsError(try MediaInput(path: path, type: AVMEDIA_TYPE_AUDIO, stallLimit: 0)) { error in
            XCTAssertTrue("\(error)".hasPrefix(path), "\(error)")
            XCTAssertTrue("\(error)".contains("without an end: the file is damaged or built to hang"), "\(error)")
        }
        let input = try MediaInput(path: path, type: AVMEDIA_TYPE_AUDIO)
        XCTAssertTrue(try input.nextFrame(), "within the default limit it decodes")
        input.stallLimit = 0
        XCTAssertThrowsError(try input.nextFrame()) { error in
            XCTAssertTrue("\(error)".contains("more than 0 s decoding one frame without an end"), "\(error)")
        }
    }

    func testClippedShowsShortValuesWholeAndCutsLongOnes() {
        XCTAssertEqual("\(Clipped("abc"))", "abc")
        XCTAssertEqual("\(Clipped("a\rb\u{1B}"))", "a\\u{d}b\\u{1b}")
        XCTAssertEqual("\(Clipped(String(repeating: "é", count: 100), limit: 4))", "éééé… (100 characters)")
    }

    func testTextLinesSplitsEveryLineEnding() {
        XCTAssertEqual(TextLines.split("a\nb\r\nc\rd").map(String.init), ["a", "b", "c", "d"])
        XCTAssertEqual(TextLines.split("a\r\n\r\nb\n").map(String.init), ["a", "", "b", ""])
    }
}

/// MPEG-1/2 Layer II audio made with FFmpeg's own encoder: raw frames, each carrying its own header, which is
/// what an .mp2/.mp3 elementary stream is — so two of them back to back form one file whose layout and rate
/// change mid-stream.
enum MPEGAudioFixture {
    struct Failure: Error, CustomStringConvertible { let description: String }

    static func layerII(seconds: Double, sampleRate: Int32, channels: Int32) throws -> Data {
        guard let codec = avcodec_find_encoder(AV_CODEC_ID_MP2) else { throw Failure(description: "no MP2 encoder") }
        var context = avcodec_alloc_context3(codec)
        defer { avcodec_free_context(&context) }
        guard let c = context else { throw Failure(description: "no codec context") }
        c.pointee.sample_fmt = AV_SAMPLE_FMT_S16
        c.pointee.sample_rate = sampleRate
        c.pointee.bit_rate = Int64(64_000 * channels)
        av_channel_layout_default(&c.pointee.ch_layout, channels)
        guard avcodec_open2(c, codec, nil) >= 0 else { throw Failure(description: "cannot open the MP2 encoder") }
        var frame = av_frame_alloc()
        var packet = av_packet_alloc()
        defer { av_frame_free(&frame); av_packet_free(&packet) }
        guard let f = frame, let p = packet else { throw Failure(description: "allocation") }
        f.pointee.nb_samples = c.pointee.frame_size
        f.pointee.format = AV_SAMPLE_FMT_S16.rawValue
        f.pointee.sample_rate = sampleRate
        av_channel_layout_copy(&f.pointee.ch_layout, &c.pointee.ch_layout)
        guard av_frame_get_buffer(f, 0) >= 0 else { throw Failure(description: "frame buffer") }
        var out = Data()
        func drain() {
            while avcodec_receive_packet(c, p) >= 0 {
                out.append(p.pointee.data, count: Int(p.pointee.size))
                av_packet_unref(p)
            }
        }
        let total = Int(seconds * Double(sampleRate))
        var t = 0
        while t < total {
            guard av_frame_make_writable(f) >= 0 else { throw Failure(description: "frame not writable") }
            let samples = f.pointee.data.0!.withMemoryRebound(to: Int16.self, capacity: Int(c.pointee.frame_size * channels)) { $0 }
            for i in 0..<Int(c.pointee.frame_size) {
                let v = Int16(12_000 * sin(2 * Double.pi * 440 * Double(t + i) / Double(sampleRate)))
                for ch in 0..<Int(channels) { samples[i * Int(channels) + ch] = v }
            }
            f.pointee.pts = Int64(t)
            guard avcodec_send_frame(c, f) >= 0 else { throw Failure(description: "encoding") }
            drain()
            t += Int(c.pointee.frame_size)
        }
        avcodec_send_frame(c, nil)
        drain()
        return out
    }
}
