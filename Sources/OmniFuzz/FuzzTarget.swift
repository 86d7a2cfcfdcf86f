import Foundation
import OmniMedia
import OmniModel
import OmniStudioUI
import OmniTensor

/// One parser of user files, as the fuzzer drives it: valid seed inputs (made by code or taken from the
/// repository's own files), tokens worth inserting, and `parse`, which reads a file through the library's real
/// entry point. A thrown error is a correct answer; a crash or a hang is a bug.
public struct FuzzTarget: Sendable {
    public let name: String
    /// The file name each case is written as (FFmpeg and the theme catalog look at extensions).
    public let fileName: String
    public let seeds: [[UInt8]]
    public let tokens: [String]
    /// Reads `path`; returns nothing on success, throws the parser's error on bad input.
    public let parse: @Sendable (_ path: String) throws -> Void

    /// What reading one input came to: a parse, an error naming the file (a correct answer), or an error that
    /// does not name it (a bug, like a crash, since the user could not tell which file is wrong).
    public enum Outcome: Sendable, Equatable {
        case parsed, rejected
        case unnamed(String)
    }

    /// Reads the input at `path` (whose last component is `fileName`) and judges the answer.
    public func outcome(reading path: String) -> Outcome {
        do {
            try parse(path)
            return .parsed
        } catch {
            let message = "\(error)"
            return message.contains(fileName) ? .rejected : .unnamed(String(message.prefix(300)))
        }
    }

    /// Case `index` of a run with `runSeed`: a seed input, mutated. Case indices below `seeds.count` are the seeds
    /// themselves, so every run also checks that valid files still parse.
    public func input(case index: Int, runSeed: UInt64) -> [UInt8] {
        let seed = seeds[index % seeds.count]
        if index < seeds.count { return seed }
        var rng = RandomStream(seed: runSeed, stream: name.utf8.reduce(0xF022) { $0 &* 31 &+ UInt64($1) }).split(UInt64(index))
        return Mutator.mutate(seed, tokens: tokens, rng: &rng)
    }

    /// Every target; `repository` holds `Presets/`, `Themes/` and `Models/` (seeds taken from the project's files).
    public static func all(repository: URL) -> [FuzzTarget] {
        [config(repository), recipe(repository), preset(repository), theme(repository), pose, image, audio, safetensors, ctranslate2]
    }

    public static func named(_ name: String, repository: URL) -> FuzzTarget? { all(repository: repository).first { $0.name == name } }

    // MARK: - Targets

    /// A model folder's config.json, through loading and validation; a config that passes (within a small memory
    /// budget) has its modules built, since that is where unchecked sizes used to trap.
    static func config(_ repository: URL) -> FuzzTarget {
        let files = ["Models/omni-mini/config.json", "Models/training/stage0-vae/config.json"].compactMap {
            FileManager.default.contents(atPath: repository.appendingPathComponent($0).path).map { [UInt8]($0) }
        }
        return FuzzTarget(name: "config", fileName: "config.json", seeds: files + [[UInt8](ModelConfig.tiny.encoded())],
                          tokens: ["[", "]", "{", "}", "\"heads\": 0", "\"width\": -256", "\"guider_channels\": []", "\"fps\": 1000", "null", "1e999"],
                          parse: { path in
            let config = try ModelConfig.load(folder: (path as NSString).deletingLastPathComponent)
            try config.validate(path: path, memoryBudget: 256 * 1_048_576)
            _ = OmniModelWeights(config: config)
        })
    }

    /// A recipe: the TOML reader, then the request schema.
    static func recipe(_ repository: URL) -> FuzzTarget {
        var written = GenerationRequest(model: "random:tiny", seed: 7, steps: 3, width: 32, height: 32, duration: 1.5)
        written.text = .init(enabled: true, prompt: "a person \"waves\"\tand smiles", guidance: 4)
        let seeds = presetFiles(repository) + [Array(written.tomlDocument().text(header: "a recipe").utf8)]
        return FuzzTarget(name: "recipe", fileName: "recipe.toml", seeds: seeds, tokens: tomlTokens, parse: { path in
            _ = try GenerationRequest(recipe: TOMLDocument(contentsOf: path), path: path)
        })
    }

    /// A user preset, as the studio loads them at start-up: a broken one must become an entry in `errors`.
    static func preset(_ repository: URL) -> FuzzTarget {
        FuzzTarget(name: "preset", fileName: "preset.toml", seeds: presetFiles(repository), tokens: tomlTokens, parse: { path in
            let catalog = PresetCatalog(directories: [URL(fileURLWithPath: (path as NSString).deletingLastPathComponent)])
            if let error = catalog.errors.first { throw FuzzFailure.reported(error) }
        })
    }

    static func theme(_ repository: URL) -> FuzzTarget {
        let dir = repository.appendingPathComponent("Themes")
        let files = ((try? FileManager.default.contentsOfDirectory(atPath: dir.path)) ?? []).sorted().filter { $0.hasSuffix(".theme") }
            .compactMap { FileManager.default.contents(atPath: dir.appendingPathComponent($0).path).map { [UInt8]($0) } }
        return FuzzTarget(name: "theme", fileName: "fuzz.theme", seeds: files.isEmpty ? [Array("theme[main_bg]=\"#000000\"\n".utf8)] : files,
                          tokens: ["theme[", "]=\"", "#ffffff", "\r\n", "\r", "attributes", "monochrome"], parse: { path in
            _ = try ThemeCatalog(directories: []).load(path)
        })
    }

    /// A pose clip file (the project's format) and a single OpenPose frame.
    static let pose: FuzzTarget = {
        let frames = (0..<6).map { f in
            PoseFrame(keypoints: (0..<18).map { j in
                j == 3 ? .missing : PoseKeypoint(x: 10 + Float(j) + Float(f), y: 8 + Float(j), confidence: 0.9)
            })
        }
        let clip = (try? PoseTrack(fps: 25, width: 48, height: 40, frames: frames).jsonData()).map { [UInt8]($0) } ?? []
        let openPose = Array(("{\"version\": 1.3, \"people\": [{\"pose_keypoints_2d\": ["
            + (0..<18).map { "\(10 + $0), \(12 + $0), 0.8" }.joined(separator: ", ") + "]}]}").utf8)
        return FuzzTarget(name: "pose", fileName: "pose.json", seeds: [clip, openPose],
                          tokens: ["\"fps\": ", "1e-300", "0.01", "NaN", "[", "{}", "\"people\": []", "\"width\": 0"], parse: { path in
            let track = try PoseTrack.load(path, canvasWidth: 64, canvasHeight: 64)
            _ = track.resampled(toFPS: 25).normalized(toWidth: 32, height: 32)
        })
    }()

    static let image: FuzzTarget = {
        let picture = RGBImage(width: 12, height: 8, pixels: (0..<(12 * 8 * 3)).map { UInt8(truncatingIfNeeded: $0 &* 37) })
        let png = (try? ImageFile.encodePNG(picture)).map { [UInt8]($0) } ?? []
        return FuzzTarget(name: "image", fileName: "picture.png", seeds: [png], tokens: ["IHDR", "IDAT", "IEND"], parse: { path in
            _ = try ImageFile.decode(path)
        })
    }()

    /// A WAV file and an MP4 with an AAC track (what `--audio video.mp4` reads): two demuxers, two decoders.
    static let audio: FuzzTarget = {
        let tone = AudioClip(samples: (0..<4000).map { Float(0.4 * sin(Double($0) * 0.07)) }, sampleRate: 16_000)
        var seeds = [[UInt8](tone.wavData())]
        let mp4 = FileManager.default.temporaryDirectory.appendingPathComponent("fuzz-seed-\(getpid()).mp4").path
        if let writer = try? VideoWriter(path: mp4, width: 16, height: 16, fps: 25, audio: tone) {
            for _ in 0..<6 { try? writer.append(RGBImage(width: 16, height: 16, fill: RGB(40, 90, 160))) }
            _ = try? writer.finish()
            if let bytes = FileManager.default.contents(atPath: mp4) { seeds.append([UInt8](bytes)) }
            try? FileManager.default.removeItem(atPath: mp4)
        }
        return FuzzTarget(name: "audio", fileName: "voice.wav", seeds: seeds, tokens: ["RIFF", "WAVE", "fmt ", "data", "mdat", "moov"],
                          parse: { path in _ = try AudioFile.decode(path, maxSeconds: 60) })
    }()

    static let safetensors: FuzzTarget = {
        var writer = SafetensorsWriter(metadata: ["format": "pt"])
        writer.add("a.weight", shape: [3, 4], values: (0..<12).map { Float($0) / 7 })
        writer.add("b", dtype: .f16, shape: [5], values: [1, -2, 0.5, 3, 0])
        let bytes = (try? writer.encoded()).map { [UInt8]($0) } ?? []
        return FuzzTarget(name: "safetensors", fileName: "model.safetensors", seeds: [bytes],
                          tokens: ["\"dtype\"", "\"F16\"", "\"shape\"", "\"data_offsets\"", "[0,", "9223372036854775807"], parse: { path in
            let file = try SafetensorsFile(path: path)
            for name in file.names { _ = try file.readFloats(name) }
        })
    }()

    /// The CTranslate2 model file the Whisper encoder is read from (version 6: spec, variables, aliases).
    static let ctranslate2: FuzzTarget = {
        var out: [UInt8] = []
        func u32(_ v: Int) { withUnsafeBytes(of: UInt32(v).littleEndian) { out += $0 } }
        func u16(_ v: Int) { withUnsafeBytes(of: UInt16(v).littleEndian) { out += $0 } }
        func string(_ s: String) { u16(s.utf8.count + 1); out += Array(s.utf8) + [0] }
        u32(6); string("WhisperSpec"); u32(3); u32(2)
        string("a/b"); out.append(2); u32(2); u32(3); out.append(4); u32(12)
        for v: Float in [0.5, -1, 2, 0, 0.25, 8] { u16(Int(ReducedPrecision.f16Bits(from: v))) }
        string("n"); out.append(0); out.append(2); u32(2); u16(6)
        u32(0)
        return FuzzTarget(name: "ct2", fileName: "model.bin", seeds: [out], tokens: [], parse: { path in
            let file = try CTranslate2File(path: path)
            for name in file.variables.keys.sorted() {
                guard let v = file.variables[name] else { continue }
                if v.type == .f32 || v.type == .f16 { _ = try file.tensor(name, shape: v.shape) } else { _ = try file.integer(name) }
            }
        })
    }()

    static let tomlTokens = ["[", "]", "\"", "'", "=", "\r\n", "\r", "[audio]", "steps = ", "size = [", "true", "1e999", "\\u0000"]

    static func presetFiles(_ repository: URL) -> [[UInt8]] {
        let dir = repository.appendingPathComponent("Presets")
        let files = ((try? FileManager.default.contentsOfDirectory(atPath: dir.path)) ?? []).sorted().filter { $0.hasSuffix(".toml") }
        let seeds = files.compactMap { FileManager.default.contents(atPath: dir.appendingPathComponent($0).path).map { [UInt8]($0) } }
        return seeds.isEmpty ? [Array("steps = 4\n[text]\nenabled = true\nprompt = \"waves\"\n".utf8)] : seeds
    }
}

/// An error a target reports itself (e.g. a preset the catalog listed as broken).
public enum FuzzFailure: Error, CustomStringConvertible {
    case reported(String)
    public var description: String { if case .reported(let s) = self { return s }; return "" }
}
