import ArgumentParser
import Foundation
import OmniModel
import OmniTensor

/// `omnistudio bench generate`: seconds per step and per second of video, where the time goes, the DiT's
/// GFLOP/s against sgemm, the condition cache's speed-up and peak memory for a short against a long video.
struct BenchGenerate: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "generate",
        abstract: "Speed and memory of generation on a model, with generated inputs, at its default settings.")

    @Option(help: "Model folder or random:tiny / random:mini.") var model = "random:mini"
    @Option(help: "Seconds of video for the timed run.") var seconds = 5.0
    @Option(help: "Seconds of video for the long memory run.") var longSeconds = 30.0
    @Option(help: "Steps of the memory runs (memory does not depend on them).") var memorySteps = 2
    @Option(help: "quality (the model's steps) or fast (a distilled student's sampling.fast_steps); default: the model's sampling.speed.") var speed: SamplingSpeed?

    func run() throws {
        let r = try GenerationBenchmark.run(model: model, seconds: seconds, longSeconds: longSeconds, memorySteps: memorySteps, speed: speed) {
            FileHandle.standardError.write(Data("bench: \($0)\n".utf8))
        }
        let t = r.timings
        func share(_ x: Double) -> String { String(format: "%5.1f %%", 100 * x / max(t.total, 1e-9)) }
        func mb(_ bytes: Int) -> String { String(format: "%.1f MB", Double(bytes) / 1_048_576) }
        print("omnistudio bench generate — \(r.model); OpenBLAS \(OpenBLASCore.chosen) kernels")
        print("settings: \(r.settings)")
        print(String(format: "video: %.1f s, %d segment(s) × %d steps; total %.2f s", r.videoSeconds, r.segments, r.steps, t.total))
        print(String(format: "seconds per denoising step (DiT, all passes): %.3f", r.secondsPerStep))
        print(String(format: "seconds of compute per second of video:       %.2f (real-time factor %.2f×)", r.secondsPerVideoSecond, 1 / r.secondsPerVideoSecond))
        print(String(format: "first decoded frame after:                    %.2f s (target ≤ 2 s)", r.firstFrameSeconds))
        print("share of time: DiT \(share(t.dit)), VAE \(share(t.vae)), audio features \(share(t.audioFeatures)), encoders \(share(t.encoders)), other \(share(t.total - t.dit - t.vae - t.audioFeatures - t.encoders))")
        print(String(format: "DiT step: %.1f GFLOP/s vs sgemm %.1f GFLOP/s on its shapes = %.2f (target ≥ 0.85)", r.ditGflops, r.sgemmGflops, r.ditGflops / r.sgemmGflops))
        print(String(format: "condition cache: %.3f s cached vs %.3f s uncached per DiT call = %.2f× (median of 9 interleaved rounds, %.2f–%.2f; target ≥ 1.3×)",
                     r.cachedStepSeconds, r.uncachedStepSeconds, r.cacheSpeedup, r.cacheSpeedupRange.lowerBound, r.cacheSpeedupRange.upperBound))
        print("peak memory: \(Int(r.videoSeconds)) s video \(mb(r.peak5.rss)) RSS (\(mb(r.peak5.tensors)) tensors), "
              + "\(Int(longSeconds)) s video \(mb(r.peak30.rss)) RSS (\(mb(r.peak30.tensors)) tensors)"
              + String(format: " = %+.1f %% (target within 10 %%)", 100 * (Double(r.peak30.rss) / Double(max(1, r.peak5.rss)) - 1)))
    }
}
