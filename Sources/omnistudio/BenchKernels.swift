import ArgumentParser
import Foundation
import OmniMedia
import OmniTensor

/// `omnistudio bench kernels`: GFLOP/s of linear, attention and causal Conv3d (forward and backward) next
/// to raw cblas_sgemm on the equivalent GEMM shapes, measured in the same run.
struct BenchKernels: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "kernels",
        abstract: "GFLOP/s of linear, attention and causal Conv3d vs raw sgemm, same run.")

    @Option(help: "Seconds of timing per measurement (median of the runs).") var seconds = 0.3
    @Option(help: "Threads (default: OMNISTUDIO_THREADS or the number of cores).") var threads: Int?
    @Flag(help: "Only the smallest shape of each kernel (a quick check).") var quick = false
    @Flag(help: "Print JSON instead of a table.") var json = false
    @Option(help: ArgumentHelp("Which kernels, comma-separated: linear, attention, conv3d.", valueName: "list"))
    var kernels = "linear,attention,conv3d"

    @Option(help: ArgumentHelp("Force the convolution path of the conv3d rows: per-tap, frames or direct (default: the rule every model uses).",
                               valueName: "path"))
    var convPath: String?

    static let kernelNames = ["linear", "attention", "conv3d"]

    static func names(_ list: String) -> [String] {
        list.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
    }

    func validate() throws {
        let chosen = Self.names(kernels)
        if chosen.isEmpty { throw ValidationError("--kernels names no kernel (known: \(Self.kernelNames.joined(separator: ", ")))") }
        if let bad = chosen.first(where: { !Self.kernelNames.contains($0) }) {
            throw ValidationError("--kernels: unknown kernel '\(Clipped(bad))' (known: \(Self.kernelNames.joined(separator: ", ")))")
        }
        if let convPath, !KernelBenchmark.convolutionPathNames.contains(convPath) {
            throw ValidationError("--conv-path must be one of \(KernelBenchmark.convolutionPathNames.joined(separator: ", ")), not '\(Clipped(convPath))'")
        }
    }

    func run() throws {
        if let threads { ComputeThreads.set(threads) }
        let chosen = Set(Self.names(kernels))
        var rows: [KernelBenchmark.Row] = []
        if chosen.contains("linear") {
            let shapes = quick ? [(256, 256, 256)] : [(256, 256, 256), (448, 256, 768), (448, 256, 1024), (448, 1024, 256), (1024, 512, 512), (2048, 512, 1536), (2048, 512, 2048)]
            for (t, w, o) in shapes { rows += KernelBenchmark.linear(tokens: t, width: w, out: o, seconds: seconds) }
        }
        if chosen.contains("attention") {
            let shapes = quick ? [(256, 4)] : [(256, 4), (1024, 8), (2048, 8)]
            for (l, h) in shapes { rows += KernelBenchmark.attention(tokens: l, heads: h, seconds: seconds) }
        }
        if chosen.contains("conv3d") {
            let shapes = quick ? [(16, 8, 5)] : [(16, 64, 5), (32, 64, 5), (32, 32, 5), (64, 32, 5), (64, 16, 5), (128, 16, 5), (128, 8, 5)]
            for (c, side, frames) in shapes { rows += KernelBenchmark.causalConv3d(channels: c, side: side, frames: frames, seconds: seconds, path: convPath) }
        }

        if json {
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
            print(String(decoding: try encoder.encode(rows), as: UTF8.self))
            return
        }
        print("omnistudio bench kernels — \(ComputeThreads.count) thread(s), OpenBLAS \(OpenBLASCore.chosen) kernels; ratio = kernel GFLOP/s ÷ sgemm GFLOP/s on the same GEMM shapes, same run")
        print("kernel     shape                     pass       GFLOP/s    sgemm   ratio  target")
        for r in rows {
            let numbers = String(format: "%8.1f %8.1f %7.2f  ≥%.2f", r.gflops, r.sgemmGflops, r.ratio, r.target)
            print(r.kernel.padded(10) + " " + r.shape.padded(25) + " " + r.pass.padded(9) + " " + numbers + (r.ratio >= r.target ? "" : "  below target"))
        }
    }
}

extension String {
    /// Left-aligned in a column of `width` characters.
    func padded(_ width: Int) -> String { count >= width ? self : self + String(repeating: " ", count: width - count) }
}
