import ArgumentParser
import Foundation
import OmniMedia
import OmniTerminal

/// `omnistudio bench media`: frames/s of MP4 encode and decode and of chafa rendering, for 64×64 and
/// 256×256 frames.
struct BenchMedia: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "media",
        abstract: "Frames/s of H.264 encode, decode and chafa cell rendering at 64×64 and 256×256.")

    @Option(help: "Frames per measurement.") var frames = 100
    @Option(help: "Terminal cells the chafa renderer fills (cols×rows).") var cells = "80x40"
    @Option(help: "Repetitions; the best run is reported.") var repeats = 3

    func run() throws {
        let parts = cells.split(separator: "x").compactMap { Int($0) }
        guard parts.count == 2, parts.allSatisfy({ $0 > 0 }) else { throw ValidationError("--cells wants COLSxROWS, e.g. 80x40") }
        guard frames > 0, repeats > 0 else { throw ValidationError("--frames and --repeats must be positive") }
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("omnistudio-bench-\(getpid())")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }

        print("omnistudio bench media — \(frames) frames, best of \(repeats), \(ProcessInfo.processInfo.activeProcessorCount) cores")
        print("size      encode f/s   decode f/s   chafa \(parts[0])×\(parts[1]) f/s   ms/frame (chafa)")
        for side in [64, 256] {
            let clip = (0..<frames).map { BenchPattern.frame($0, side: side) }
            let path = directory.appendingPathComponent("bench-\(side).mp4").path
            let encode = try best(of: repeats) {
                let writer = try VideoWriter(path: path, width: side, height: side, fps: 25)
                for frame in clip { try writer.append(frame) }
                try writer.finish()
            }
            let decode = try best(of: repeats) {
                let reader = try VideoReader(path: path)
                let read = try reader.readAllFrames()
                guard read.count == frames else { throw ValidationError("decoded \(read.count) of \(frames) frames") }
            }
            let renderer = ChafaSymbolRenderer(colorDepth: .truecolor)
            let size = CanvasSize(cols: parts[0], rows: parts[1])
            let chafa = try best(of: repeats) {
                for frame in clip { _ = renderer.render(frame, size: size) }
            }
            let f = Double(frames)
            print(String(format: "%3d×%-3d %10.1f %12.1f %18.1f %15.2f", side, side, f / encode, f / decode, f / chafa, chafa / f * 1000))
        }
    }

    /// The shortest wall time of `count` runs of `body`, in seconds.
    private func best(of count: Int, _ body: () throws -> Void) throws -> Double {
        var shortest = Double.infinity
        for _ in 0..<count {
            let start = DispatchTime.now().uptimeNanoseconds
            try body()
            shortest = min(shortest, Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9)
        }
        return shortest
    }
}

/// Deterministic moving test frames for benchmarks (smooth gradients plus a moving disc).
enum BenchPattern {
    static func frame(_ t: Int, side: Int) -> RGBImage {
        let s = Double(side)
        return RGBImage(width: side, height: side) { x, y in
            let fx = Double(x) / s, fy = Double(y) / s, ft = Double(t)
            let cx = 0.5 + 0.3 * sin(ft / 9), cy = 0.5 + 0.3 * cos(ft / 11)
            let inside = (fx - cx) * (fx - cx) + (fy - cy) * (fy - cy) < 0.02
            return inside ? RGB(240, 200, 60)
                : RGB(UInt8(255 * fx), UInt8(255 * fy), UInt8(128 + 100 * sin(ft / 5)))
        }
    }
}
