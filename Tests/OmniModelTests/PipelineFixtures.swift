import Foundation
import OmniMedia
@testable import OmniModel

/// Generated inputs for pipeline tests: a reference picture, speech-like audio, a pose clip — all made here.
enum PipelineFixtures {
    static func directory() throws -> URL {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("omnistudio-pipeline-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        return url
    }

    static func reference(in dir: URL, width: Int = 48, height: Int = 40) throws -> String {
        let path = dir.appendingPathComponent("ref.png").path
        let image = RGBImage(width: width, height: height) { x, y in
            let inside = (x - width / 2) * (x - width / 2) + (y - height / 2) * (y - height / 2) < 100
            return inside ? RGB(230, 180, 150) : RGB(UInt8(x * 4), 60, UInt8(y * 5))
        }
        try ImageFile.writePNG(image, to: path)
        return path
    }

    /// `seconds` of a syllable-like tone at 16 kHz (or silence) as a 16-bit WAV.
    static func audio(in dir: URL, seconds: Double, silent: Bool = false, name: String = "voice.wav") throws -> String {
        let n = Int(seconds * 16_000)
        let samples = (0..<n).map { i -> Float in
            if silent { return 0 }
            let t = Double(i) / 16_000
            return Float(0.4 * sin(2 * .pi * 180 * t) * max(0, sin(2 * .pi * 4 * t)))
        }
        let path = dir.appendingPathComponent(name).path
        try AudioClip(samples: samples).writeWAV(to: path)
        return path
    }

    /// A pose clip of `frames` frames at 25 fps with `joints` joints per frame (18 is valid).
    static func pose(in dir: URL, frames: Int, joints: Int = 18, fps: Double = 25, name: String = "pose.json") throws -> String {
        let people = (0..<frames).map { f -> [String: Any] in
            let keypoints = (0..<joints).flatMap { j -> [Double] in [10 + Double(j) + Double(f % 5), 8 + Double(j), 0.9] }
            return ["people": [["pose_keypoints_2d": keypoints]]]
        }
        let object: [String: Any] = ["fps": fps, "width": 48, "height": 40, "frames": people]
        let path = dir.appendingPathComponent(name).path
        try JSONSerialization.data(withJSONObject: object).write(to: URL(fileURLWithPath: path))
        return path
    }

    /// Runs a generation and returns (result folder, every event, all kept frames in order).
    static func run(_ request: GenerationRequest, model: LoadedModel, out: URL, keepPartial: Bool = false,
                    configure: (Generation) -> Void = { _ in }) -> (folder: URL?, events: [GenerationEvent], frames: [RGBImage]) {
        let generation = Generation(request: request, model: model, outputFolder: out, keepPartial: keepPartial)
        configure(generation)
        var events: [GenerationEvent] = []
        var frames: [RGBImage] = []
        let folder = generation.run { event in
            events.append(event)
            if case .segmentDone(_, _, let f) = event { frames += f }
        }
        return (folder, events, frames)
    }
}
