import Foundation
import OmniFuzz

// `omnistudio-libfuzzer`: the fuzz targets of `OmniFuzz` under libFuzzer's coverage-guided search, with
// AddressSanitizer (`make fuzz-libfuzzer`). Built for real only with `-DOMNI_LIBFUZZER -sanitize=fuzzer,address`;
// `main` hands the command line to libFuzzer's `LLVMFuzzerRunDriver` (SwiftPM points the executable's `main` at
// this module's entry, so libFuzzer's own `main` cannot be used). The target is picked by `OMNI_FUZZ_TARGET`; `OMNI_FUZZ_SEEDS` names a folder to write its seeds to. A
// thrown error is a correct answer; an error that does not name the file is a bug and traps, so libFuzzer keeps
// the input like a crash.

#if OMNI_LIBFUZZER
@_silgen_name("LLVMFuzzerRunDriver")
func LLVMFuzzerRunDriver(_ argc: UnsafeMutablePointer<CInt>,
                         _ argv: UnsafeMutablePointer<UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>>,
                         _ callback: @convention(c) (UnsafePointer<UInt8>?, Int) -> CInt) -> CInt

/// The target and the file each input is written to, set once before libFuzzer starts calling.
nonisolated(unsafe) private var current: (target: FuzzTarget, path: String)?

@main
enum LibFuzzerMain {
    static func main() {
        let environment = ProcessInfo.processInfo.environment
        let repository = URL(fileURLWithPath: environment["OMNI_FUZZ_REPOSITORY"] ?? FileManager.default.currentDirectoryPath)
        let name = environment["OMNI_FUZZ_TARGET"] ?? ""
        guard let target = FuzzTarget.named(name, repository: repository) else {
            let names = FuzzTarget.all(repository: repository).map(\.name).joined(separator: ", ")
            FileHandle.standardError.write(Data("omnistudio-libfuzzer: set OMNI_FUZZ_TARGET to one of \(names)\n".utf8))
            exit(2)
        }
        // The seed inputs, as files libFuzzer can take as a corpus folder.
        if let seeds = environment["OMNI_FUZZ_SEEDS"] {
            for (i, seed) in target.seeds.enumerated() {
                _ = FileManager.default.createFile(atPath: seeds + "/seed-\(i)", contents: Data(seed))
            }
        }
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("omnistudio-libfuzzer-\(getpid())")
        try? FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        current = (target, folder.appendingPathComponent(target.fileName).path)
        var argc = CommandLine.argc
        var argv = CommandLine.unsafeArgv
        let status = LLVMFuzzerRunDriver(&argc, &argv) { data, size in
            guard let (target, path) = current else { return 0 }
            let bytes = data.map { Data(bytes: $0, count: size) } ?? Data()
            guard FileManager.default.createFile(atPath: path, contents: bytes) else { fatalError("cannot write \(path)") }
            if case .unnamed(let message) = target.outcome(reading: path) {
                fatalError("\(target.name): an error that does not name the file: \(message)")
            }
            return 0
        }
        try? FileManager.default.removeItem(at: folder)
        exit(status)
    }
}
#else
@main
enum NotBuiltForLibFuzzer {
    static func main() {
        FileHandle.standardError.write(Data("omnistudio-libfuzzer is built by `make fuzz-libfuzzer` (swiftc -sanitize=fuzzer,address -DOMNI_LIBFUZZER)\n".utf8))
        exit(2)
    }
}
#endif
