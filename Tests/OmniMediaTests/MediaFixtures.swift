import Foundation
import OmniMedia

/// Generated test media: every fixture is made by code, in a fresh temporary folder per test.
enum MediaFixtures {
    /// A smooth moving pattern: frame `t` of a clip, `width × height` pixels.
    static func movingPattern(_ t: Int, width: Int = 64, height: Int = 64) -> RGBImage {
        RGBImage(width: width, height: height) { x, y in
            let fx = Double(x), fy = Double(y), ft = Double(t)
            let r = 128 + 100 * sin(fx / 9 + ft / 6)
            let g = 128 + 100 * cos(fy / 11 - ft / 8)
            let cx = Double(width) / 2 + Double(width) / 4 * sin(ft / 7), cy = Double(height) / 2
            let d = ((fx - cx) * (fx - cx) + (fy - cy) * (fy - cy)).squareRoot()
            let b = 40 + 180 / (1 + exp((d - Double(width) / 6) / 2))  // a soft moving disc
            return RGB(UInt8(r), UInt8(g), UInt8(min(255, b)))
        }
    }

    /// `seconds` of a 440 Hz tone with a slow amplitude envelope at `rate` Hz.
    static func tone(seconds: Double, rate: Int = 16_000) -> AudioClip {
        let n = Int((seconds * Double(rate)).rounded())
        let samples = (0..<n).map { i -> Float in
            let t = Double(i) / Double(rate)
            return Float(0.5 * sin(2 * .pi * 440 * t) * (0.6 + 0.4 * sin(2 * .pi * 3 * t)))
        }
        return AudioClip(samples: samples, sampleRate: rate)
    }

    static func temporaryDirectory() throws -> URL {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("omnistudio-tests-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        return url
    }

    /// Writes a clip of `frames` moving-pattern frames at `fps`, with or without audio.
    @discardableResult
    static func writeClip(to path: String, frames: Int = 50, fps: Int = 25, width: Int = 64, height: Int = 64,
                          audio: AudioClip? = nil) throws -> [RGBImage] {
        let writer = try VideoWriter(path: path, width: width, height: height, fps: fps, audio: audio)
        var written: [RGBImage] = []
        for t in 0..<frames {
            let frame = movingPattern(t, width: width, height: height)
            try writer.append(frame)
            written.append(frame)
        }
        try writer.finish()
        return written
    }
}
