import Foundation
import OmniModel

/// `omnistudio bench ui`: the time from a key event to the finished screen update while a generation runs in the
/// background engine. The studio's own shell (`StudioApp`) runs in-process with ncurses on a pseudo-terminal's
/// slave; each key is written to the master and timed until `StudioApp.step` has read it, applied it to the
/// view-model, rendered, diffed and refreshed the screen (`wrefresh` returned). Keys are paced about 20 ms apart,
/// with the loop ticking in between as the real app does (progress and live preview redraws included).
public enum UIBenchmark {
    public struct Result: Sendable {
        public var width: Int, height: Int, model: String
        /// Milliseconds per key, in order.
        public var samples: [Double]
        /// Keys timed while the generation was running (the rest: none, when all went well).
        public var duringGeneration: Int
        /// Sampler steps the generation did during the measurement.
        public var generationSteps: Int
        public var seconds: Double

        public func percentile(_ p: Double) -> Double {
            let s = samples.sorted()
            guard !s.isEmpty else { return .nan }
            return s[min(s.count - 1, max(0, Int((p / 100 * Double(s.count)).rounded(.up)) - 1))]
        }
        public var median: Double { percentile(50) }
        public var p99: Double { percentile(99) }
    }

    public enum Failure: Error, CustomStringConvertible {
        case noPseudoTerminal, noTerminal(String), generationDidNotStart(String)
        public var description: String {
            switch self {
            case .noPseudoTerminal: return "cannot open a pseudo-terminal (posix_openpt)"
            case .noTerminal(let m): return m
            case .generationDidNotStart(let m): return "the background generation did not start: \(m)"
            }
        }
    }

    /// Keys cycled through: focus changes, list moves, switchboard nudges.
    static let keys = [PseudoTerminal.KeyBytes.tab, PseudoTerminal.KeyBytes.down, "+", PseudoTerminal.KeyBytes.up, "-",
                       PseudoTerminal.KeyBytes.down, PseudoTerminal.KeyBytes.backTab, PseudoTerminal.KeyBytes.up]

    public static func run(keyCount: Int = 300, width: Int = 120, height: Int = 40, model: String = "random:mini",
                           cwd: URL = URL(fileURLWithPath: FileManager.default.currentDirectoryPath),
                           log: (String) -> Void = { _ in }) throws -> Result {
        guard let pty = PseudoTerminal(width: width, height: height) else { throw Failure.noPseudoTerminal }
        defer { pty.close() }
        let outputs = FileManager.default.temporaryDirectory.appendingPathComponent("omnistudio-bench-ui-\(getpid())")
        defer { try? FileManager.default.removeItem(at: outputs) }
        var options = StudioOptions()
        options.model = model
        options.outputRoot = outputs.path
        options.preview = .symbols
        var env = ProcessInfo.processInfo.environment
        env["TERM"] = "xterm-256color"; env["COLORTERM"] = "truecolor"; env["TMUX"] = nil; env["NO_COLOR"] = nil
        let app = StudioApp(options: options, cwd: cwd, environment: env)
        guard app.start(input: pty.slave, output: pty.slave, terminalType: "xterm-256color") else {
            throw Failure.noTerminal(app.exitMessage ?? "ncurses cannot start on the pty")
        }
        defer { app.stop() }
        let studio = app.studio
        // A long run so that it lasts the whole measurement; cancelled at the end.
        studio.state.request.steps = 1000
        studio.state.focus = .progress
        pty.send("g")
        let started = Date()
        while true {
            app.step(timeoutMilliseconds: 20)
            let snap = studio.engine.snapshot()
            if snap.running && snap.progress.step >= 1 { break }
            if !snap.running, let e = snap.error { throw Failure.generationDidNotStart(e) }
            if Date().timeIntervalSince(started) > 120 { throw Failure.generationDidNotStart("no sampler step after 120 s (running: \(snap.running), status: \(studio.state.status))") }
        }
        log("generation running (\(model), step \(studio.engine.snapshot().progress.step)); timing \(keyCount) keys at \(width)×\(height)")
        let firstStep = studio.engine.snapshot().progress.step
        var samples: [Double] = []
        var during = 0
        let t0 = Date()
        for i in 0..<keyCount {
            // Idle ticks between keys, as a user's typing leaves them (progress redraws happen here).
            let pause = Date().addingTimeInterval(0.02)
            while Date() < pause { app.step(timeoutMilliseconds: 5) }
            let begin = DispatchTime.now().uptimeNanoseconds
            pty.send(keys[i % keys.count])
            app.step(timeoutMilliseconds: 1000)
            let end = DispatchTime.now().uptimeNanoseconds
            samples.append(Double(end - begin) / 1e6)
            if studio.engine.snapshot().running { during += 1 }
        }
        let snap = studio.engine.snapshot()
        return Result(width: width, height: height, model: model, samples: samples, duringGeneration: during,
                      generationSteps: snap.progress.step - firstStep, seconds: Date().timeIntervalSince(t0))
    }
}
