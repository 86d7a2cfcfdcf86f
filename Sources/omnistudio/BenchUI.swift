import ArgumentParser
import Foundation
import OmniStudioUI

/// `omnistudio bench ui`: key-to-screen latency of the studio while a generation runs (issue target: p99 ≤ 50 ms).
struct BenchUI: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "ui",
        abstract: "Time from a key event to the finished screen update while a generation runs, at 120×40.",
        discussion: """
            Runs the studio's ncurses shell in-process on a pseudo-terminal, starts a generation in the background \
            engine and writes keys (Tab, arrows, +/−) to the pty's master, timing each until the screen refresh \
            has returned. Reports the median and the 99th percentile against the 50 ms target.
            """)

    @Option(help: "Keys to time.") var keys = 300
    @Option(help: "Terminal size, COLSxROWS.") var size = "120x40"
    @Option(help: "Model of the background generation (random:mini or random:tiny, or a folder).") var model = "random:mini"

    func run() throws {
        let parts = size.lowercased().split(separator: "x").compactMap { Int($0) }
        guard parts.count == 2, parts[0] >= 20, parts[1] >= 10 else { throw ValidationError("--size wants COLSxROWS, e.g. 120x40") }
        guard keys > 0 else { throw ValidationError("--keys must be positive") }
        let r = try UIBenchmark.run(keyCount: keys, width: parts[0], height: parts[1], model: model) { line in
            FileHandle.standardError.write(Data("bench ui: \(line)\n".utf8))
        }
        print(String(format: "ui latency at %d×%d, %d keys, generation %@ running for %d of them (%d sampler steps in %.1f s):",
                     r.width, r.height, r.samples.count, r.model, r.duringGeneration, r.generationSteps, r.seconds))
        print(String(format: "  median %.2f ms   p99 %.2f ms   max %.2f ms   target p99 ≤ 50 ms: %@",
                     r.median, r.p99, r.samples.max() ?? 0, r.p99 <= 50 ? "met" : "MISSED"))
    }
}
