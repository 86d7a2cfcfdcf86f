import Foundation
import OmniMedia

/// The run's `train.jsonl`: one JSON object per optimiser step (`step`, `loss`, `loss_average`, `lr`,
/// `grad_norm`, `seconds`, the objective's other loss terms). On resume, lines past the checkpoint's step are
/// dropped, so the log of a resumed run equals an uninterrupted run's (apart from `seconds`).
public struct TrainingLog {
    public static let fileName = "train.jsonl"
    public let path: String

    public init(folder: String) { path = (folder as NSString).appendingPathComponent(TrainingLog.fileName) }

    public struct Entry: Codable, Sendable, Equatable {
        public var step: Int
        public var loss: Double
        public var lossAverage: Double
        public var lr: Double
        public var gradNorm: Double
        public var seconds: Double
        public var terms: [String: Double]
    }

    /// Every readable entry (a torn last line from a crash is ignored).
    public func entries() -> [Entry] {
        guard let text = try? String(contentsOfFile: path, encoding: .utf8) else { return [] }
        let decoder = JSONDecoder()
        decoder.keyDecodingStrategy = .convertFromSnakeCase
        return text.split(separator: "\n").compactMap { try? decoder.decode(Entry.self, from: Data($0.utf8)) }
    }

    /// Keeps the entries with `step ≤ last` (rewritten through a temporary file).
    public func truncate(after last: Int) throws {
        let kept = entries().filter { $0.step <= last }
        try PendingFile.write(Data(kept.map(Self.line).joined().utf8), to: path)
    }

    public func append(_ entries: [Entry]) throws {
        guard !entries.isEmpty else { return }
        let data = Data(entries.map(Self.line).joined().utf8)
        if !FileManager.default.fileExists(atPath: path) { FileManager.default.createFile(atPath: path, contents: nil) }
        guard let handle = FileHandle(forWritingAtPath: path) else {
            throw TrainingError.unreadable(path: path, reason: "cannot open the training log for writing")
        }
        defer { try? handle.close() }
        try handle.seekToEnd()
        try handle.write(contentsOf: data)
    }

    static func line(_ entry: Entry) -> String {
        let encoder = JSONEncoder()
        encoder.keyEncodingStrategy = .convertToSnakeCase
        encoder.outputFormatting = [.sortedKeys]
        return String(decoding: (try? encoder.encode(entry)) ?? Data(), as: UTF8.self) + "\n"
    }
}
