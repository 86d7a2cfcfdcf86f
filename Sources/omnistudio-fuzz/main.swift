import Foundation
import OmniFuzz
import OmniMedia
import OmniTensor

OpenBLASCore.relaunchIfGeneric()

// `omnistudio-fuzz`: long seeded mutation runs over every parser of user files (`make fuzz`). The parent runs
// each target's cases in a child process, watching its progress file: a child that dies (a signal, a trap) or
// stops advancing for `--timeout` seconds leaves the case it was on, which is saved under `--corpus` and
// skipped; a fresh child goes on from the next case. Prints one table row per target.

struct Options {
    var targets: [String] = []
    var cases = 10_000
    var seed: UInt64 = 1
    var timeout = 20.0
    var corpus = "Tests/OmniFuzzTests/Corpus"
    var repository = FileManager.default.currentDirectoryPath
    var child = false
    var from = 0
    var progress = ""
    var scratch = ""
}

func parseOptions() -> Options {
    var o = Options()
    var args = CommandLine.arguments.dropFirst().makeIterator()
    func value(_ flag: String) -> String {
        guard let v = args.next() else { fail("\(flag) needs a value") }
        return v
    }
    while let a = args.next() {
        switch a {
        case "--target": o.targets.append(value(a))
        case "--cases": o.cases = Int(value(a)) ?? 0
        case "--seed": o.seed = UInt64(value(a)) ?? 1
        case "--timeout": o.timeout = Double(value(a)) ?? 20
        case "--corpus": o.corpus = value(a)
        case "--repository": o.repository = value(a)
        case "--child": o.child = true
        case "--from": o.from = Int(value(a)) ?? 0
        case "--progress": o.progress = value(a)
        case "--scratch": o.scratch = value(a)
        case "-h", "--help":
            print("usage: omnistudio-fuzz [--target NAME]… [--cases N] [--seed S] [--timeout SECONDS] [--corpus DIR]")
            print("targets: " + FuzzTarget.all(repository: URL(fileURLWithPath: o.repository)).map(\.name).joined(separator: ", "))
            exit(0)
        default: fail("unknown argument \(a) (try --help)")
        }
    }
    guard o.cases > 0, o.timeout > 0 else { fail("--cases and --timeout must be positive") }
    return o
}

func fail(_ message: String) -> Never {
    FileHandle.standardError.write(Data("omnistudio-fuzz: \(message)\n".utf8))
    exit(2)
}

let options = parseOptions()
let repository = URL(fileURLWithPath: options.repository)
let scratchRoot = options.scratch.isEmpty
    ? FileManager.default.temporaryDirectory.appendingPathComponent("omnistudio-fuzz-\(getpid())")
    : URL(fileURLWithPath: options.scratch)

if options.child {
    // Child: run cases from --from, writing each index to the progress file before the case starts.
    guard let name = options.targets.first, let target = FuzzTarget.named(name, repository: repository) else { fail("no such target") }
    let fd = open(options.progress, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
    guard fd >= 0 else { fail("cannot write \(options.progress)") }
    do {
        let run = try FuzzRun(target: target, runSeed: options.seed, scratch: scratchRoot)
        let tally = try run.run(options.from..<options.cases) { index in
            var line = Array(String(format: "%020d\n", index).utf8)
            _ = pwrite(fd, &line, line.count, 0)
        }
        var line = Array(String(format: "done %d %d %d\n", tally.parsed, tally.rejected, tally.unnamed.count).utf8)
        _ = ftruncate(fd, 0)
        _ = pwrite(fd, &line, line.count, 0)
        for (index, message) in tally.unnamed.prefix(5) {
            FileHandle.standardError.write(Data("\(name) case \(index): an error that does not name the file: \(message)\n".utf8))
        }
    } catch {
        fail("\(error)")
    }
    exit(0)
}

// Parent.
let names = options.targets.isEmpty ? FuzzTarget.all(repository: repository).map(\.name) : options.targets
print("target        cases   parsed  rejected  crashes  hangs  unnamed errors")
var failures = 0
for name in names {
    guard let target = FuzzTarget.named(name, repository: repository) else { fail("no target \(name)") }
    var next = 0, parsed = 0, rejected = 0, unnamed = 0, crashes = 0, hangs = 0
    let progress = scratchRoot.appendingPathComponent("\(name).progress").path
    try? FileManager.default.createDirectory(at: scratchRoot, withIntermediateDirectories: true)
    while next < options.cases {
        try? FileManager.default.removeItem(atPath: progress)
        let child = Process()
        child.executableURL = URL(fileURLWithPath: CommandLine.arguments[0]).standardizedFileURL
        if !FileManager.default.fileExists(atPath: child.executableURL!.path) {
            child.executableURL = URL(fileURLWithPath: ProcessInfo.processInfo.arguments[0])
        }
        child.arguments = ["--child", "--target", name, "--from", String(next), "--cases", String(options.cases),
                           "--seed", String(options.seed), "--progress", progress, "--repository", options.repository,
                           "--scratch", scratchRoot.appendingPathComponent("child").path]
        do { try child.run() } catch { fail("cannot start a child: \(error)") }
        var lastIndex = -1, lastChange = Date(), hung = false
        while child.isRunning {
            usleep(50_000)
            let text = (try? String(contentsOfFile: progress, encoding: .utf8)) ?? ""
            if let index = Int(text.trimmingCharacters(in: .whitespacesAndNewlines)), index != lastIndex {
                lastIndex = index; lastChange = Date()
            } else if Date().timeIntervalSince(lastChange) > options.timeout {
                kill(child.processIdentifier, SIGKILL)
                hung = true
            }
        }
        child.waitUntilExit()
        let text = (try? String(contentsOfFile: progress, encoding: .utf8)) ?? ""
        if text.hasPrefix("done") {
            let fields = text.split(separator: " ").dropFirst().compactMap { Int($0.trimmingCharacters(in: .whitespacesAndNewlines)) }
            if fields.count == 3 { parsed += fields[0]; rejected += fields[1]; unnamed += fields[2] }
            break
        }
        // The child died or hung on case `lastIndex` (or before its first case): keep the input, go on after it.
        let index = max(lastIndex, next)
        if hung { hangs += 1 } else { crashes += 1 }
        let folder = URL(fileURLWithPath: options.corpus).appendingPathComponent(name)
        let file = folder.appendingPathComponent("\(hung ? "hang" : "crash")-seed\(options.seed)-case\(index)")
        // The input is what makes the finding reproducible: failing to keep it is said, not swallowed.
        var saved = "saved \(file.path)"
        do {
            try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
            try PendingFile.write(Data(target.input(case: index, runSeed: options.seed)), to: file.path)
        } catch {
            saved = "could not save the input to \(file.path): \(error) (seed \(options.seed), case \(index) reproduce it)"
        }
        FileHandle.standardError.write(Data("\(name): case \(index) \(hung ? "hung" : "crashed (status \(child.terminationStatus))"); \(saved)\n".utf8))
        next = index + 1
    }
    failures += crashes + hangs + unnamed
    print(name.padding(toLength: 12, withPad: " ", startingAt: 0)
          + String(format: "%7d %8d %9d %8d %6d %15d", options.cases, parsed, rejected, crashes, hangs, unnamed))
}
try? FileManager.default.removeItem(at: scratchRoot)
exit(failures == 0 ? 0 : 1)
