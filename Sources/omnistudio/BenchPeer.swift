import ArgumentParser
import Foundation
import OmniModel
import OmniTensor

/// `omnistudio bench peer`: a denoising step and a segment's decode in Swift, in PyTorch eager and under
/// `torch.compile` on the same model folder and shapes (`PeerWorkload`, `python/omnitorch/bench_peer.py`), timed
/// interleaved — Swift, eager, compiled, round after round in one run, the order rotating — with the same thread
/// count; medians and ratios. Needs the project's venv (`make bootstrap`).
struct BenchPeer: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "peer",
        abstract: "Swift against PyTorch (eager and torch.compile) on the same weights and shapes: a DiT step and a segment's decode.")

    @Option(help: "Model folder (or random:tiny / random:mini; PyTorch reads folders only).") var model = GenerationRequest.defaultModel
    @Option(help: "Interleaved rounds (medians are reported).") var rounds = 7
    @Option(help: "Compute threads on both sides.") var threads = 2
    @Option(help: "The venv's Python (make bootstrap makes .venv).") var python = ".venv/bin/python"
    @Flag(help: "Skip torch.compile (it compiles for a minute or two first).") var noCompile = false

    func validate() throws {
        guard rounds >= 1, threads >= 1 else { throw ValidationError("--rounds and --threads must be at least 1") }
        guard FileManager.default.isExecutableFile(atPath: python) else {
            throw ValidationError("\(python): no Python to run the PyTorch reference (make bootstrap makes .venv)")
        }
        guard FileManager.default.fileExists(atPath: (model as NSString).appendingPathComponent("config.json")) else {
            throw ValidationError("\(model): not a model folder (PyTorch reads config.json and model.safetensors)")
        }
    }

    func run() throws {
        ComputeThreads.set(threads)
        let loaded = try LoadedModel.load(model)
        let work = try PeerWorkload(model: loaded)
        let peer = Process()
        peer.executableURL = URL(fileURLWithPath: python)
        peer.arguments = ["-m", "omnitorch.bench_peer", "--model", URL(fileURLWithPath: model).standardizedFileURL.path,
                          "--threads", String(threads)] + (noCompile ? ["--no-compile"] : [])
        peer.currentDirectoryURL = URL(fileURLWithPath: "python")
        var environment = ProcessInfo.processInfo.environment
        environment["OMP_WAIT_POLICY"] = "PASSIVE"
        peer.environment = environment
        let toPeer = Pipe(), fromPeer = Pipe()
        peer.standardInput = toPeer
        peer.standardOutput = fromPeer
        FileHandle.standardError.write(Data("bench peer: starting the PyTorch reference\(noCompile ? "" : " (torch.compile takes a minute or two)")\n".utf8))
        try peer.run()
        defer { if peer.isRunning { peer.terminate() } }
        var reader = LineReader(fromPeer.fileHandleForReading)
        guard let first = reader.next(), let ready = try? JSONSerialization.jsonObject(with: Data(first.utf8)) as? [String: Any],
              let shapes = ready["shapes"] as? [String: Any] else {
            throw ValidationError("the PyTorch reference did not start (run \(python) -m omnitorch.bench_peer --model \(model) in python/ to see why)")
        }
        // Both sides must time the same work.
        guard shapes["latent_frames"] as? Int == work.latentFrames, shapes["grid"] as? [Int] == [work.grid.h, work.grid.w],
              shapes["passes"] as? Int == work.passes else {
            throw ValidationError("the PyTorch reference built other shapes: \(shapes)")
        }
        let compiled = ready["compiled"] as? Bool ?? false
        func ask(_ command: String) throws -> Double {
            toPeer.fileHandleForWriting.write(Data((command + "\n").utf8))
            guard let line = reader.next(), let seconds = Double(line) else { throw ValidationError("the PyTorch reference stopped answering") }
            return seconds
        }
        func clock(_ body: () throws -> Void) rethrows -> Double {
            let start = DispatchTime.now().uptimeNanoseconds
            try body()
            return Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
        }
        try work.step(); work.decode()   // warm the buffer pool
        var times: [String: [Double]] = [:]
        for round in 0..<rounds {
            // Rotate who goes first, so none always runs right after the same neighbour.
            var jobs: [(String, () throws -> Double)] = [
                ("swift step", { try clock { try work.step() } }), ("eager step", { try ask("step") }),
                ("swift decode", { clock { work.decode() } }), ("eager decode", { try ask("decode") }),
            ]
            if compiled { jobs += [("compiled step", { try ask("step-compiled") }), ("compiled decode", { try ask("decode-compiled") })] }
            let shift = round % jobs.count
            for (name, job) in Array(jobs[shift...] + jobs[..<shift]) { times[name, default: []].append(try job()) }
        }
        toPeer.fileHandleForWriting.write(Data("quit\n".utf8))
        peer.waitUntilExit()
        func median(_ name: String) -> Double? { times[name].map { $0.sorted()[$0.count / 2] } }
        print("omnistudio bench peer — \(model); \(threads) thread(s) each; \(rounds) interleaved rounds, medians; torch \(ready["torch"] ?? "?")")
        print("shapes: \(work.passes) passes × \(work.latentFrames) latent frames × \(work.grid.h)×\(work.grid.w) latent grid; decode of the segment's \(work.latentFrames) latent frames")
        if !compiled { print("torch.compile: \(noCompile ? "skipped (--no-compile)" : "not available: \(ready["compile_error"] as? String ?? "?")")") }
        print("                      Swift     torch eager   torch.compile   eager ÷ Swift   compile ÷ Swift")
        for (label, key) in [("DiT step", "step"), ("segment decode", "decode")] {
            let swift = median("swift \(key)")!, eager = median("eager \(key)")!, compiledTime = median("compiled \(key)")
            let c = compiledTime.map { String(format: "%9.3f s", $0) } ?? "        —"
            let cr = compiledTime.map { String(format: "%13.2f×", $0 / swift) } ?? "             —"
            print(label.padding(toLength: 18, withPad: " ", startingAt: 0) + String(format: "%9.3f s %11.3f s", swift, eager) + "   " + c
                  + String(format: "   %12.2f×", eager / swift) + "  " + cr)
        }
        print("target: Swift ≥ 1.5× faster than torch eager on both (eager ÷ Swift ≥ 1.5)")
    }
}

/// Lines from a pipe, without the newline; nil at the end.
struct LineReader {
    let handle: FileHandle
    var buffer = Data()
    init(_ handle: FileHandle) { self.handle = handle }

    mutating func next() -> String? {
        while true {
            if let i = buffer.firstIndex(of: UInt8(ascii: "\n")) {
                let line = String(decoding: buffer[buffer.startIndex..<i], as: UTF8.self)
                buffer = Data(buffer[(i + 1)...])
                return line
            }
            let chunk = handle.availableData
            if chunk.isEmpty { return nil }
            buffer.append(chunk)
        }
    }
}
