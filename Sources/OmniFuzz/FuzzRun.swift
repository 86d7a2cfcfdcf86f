import Foundation

/// Runs cases of one target in this process, each input written to a scratch file first. Errors thrown by the
/// parser are counted as rejections; an error whose text does not name the file is recorded as a defect (every
/// error must say which file it is about). A crash or a hang ends the process — `omnistudio-fuzz` runs this in a
/// child and keeps the input that did it.
public struct FuzzRun {
    public struct Tally: Sendable, Equatable {
        public var parsed = 0
        public var rejected = 0
        /// Errors that do not name the file: (case index, message).
        public var unnamed: [(Int, String)] = []
        public static func == (a: Tally, b: Tally) -> Bool {
            a.parsed == b.parsed && a.rejected == b.rejected && a.unnamed.map(\.0) == b.unnamed.map(\.0)
        }
    }

    public let target: FuzzTarget
    public let runSeed: UInt64
    let scratch: URL

    public init(target: FuzzTarget, runSeed: UInt64, scratch: URL) throws {
        self.target = target
        self.runSeed = runSeed
        self.scratch = scratch.appendingPathComponent(target.name)
        try FileManager.default.createDirectory(at: self.scratch, withIntermediateDirectories: true)
    }

    /// Where case inputs are written (the target's own folder: the preset catalog reads every file in it).
    public var inputPath: String { scratch.appendingPathComponent(target.fileName).path }

    /// Runs cases `range`; `willRun` is called with each index before its case starts.
    public func run(_ range: Range<Int>, willRun: (Int) -> Void = { _ in }) throws -> Tally {
        var tally = Tally()
        for index in range {
            willRun(index)
            try Data(target.input(case: index, runSeed: runSeed)).write(to: URL(fileURLWithPath: inputPath))
            check(index, &tally)
        }
        return tally
    }

    /// Parses the bytes of one saved input (a regression case).
    public func replay(_ bytes: [UInt8]) throws -> Tally {
        var tally = Tally()
        try Data(bytes).write(to: URL(fileURLWithPath: inputPath))
        check(-1, &tally)
        return tally
    }

    private func check(_ index: Int, _ tally: inout Tally) {
        switch target.outcome(reading: inputPath) {
        case .parsed: tally.parsed += 1
        case .rejected: tally.rejected += 1
        case .unnamed(let message): tally.rejected += 1; tally.unnamed.append((index, message))
        }
    }
}
