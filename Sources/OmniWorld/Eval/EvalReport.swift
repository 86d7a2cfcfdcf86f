import Foundation

/// The metric columns of an eval table, in order.
public enum EvalMetric: String, CaseIterable, Codable, Sendable {
    case psnr = "PSNR"
    case ssim = "SSIM"
    case akd = "AKD"
    case sync = "Sync"
    case stillness = "MStill"
    case hkv = "HKV"
    case hkc = "HKC"
    case fvd = "FVD-p"
    case seams = "Seams"
    case drift = "Drift"

    /// Unit and direction, for the table's legend.
    public var legend: String {
        switch self {
        case .psnr: return "PSNR dB vs truth (↑, capped at 100)"
        case .ssim: return "SSIM luma 7×7 (↑, 1 ideal)"
        case .akd: return "AKD px: detector joints vs truth pose (↓)"
        case .sync: return "Sync: corr(truth mouth, measured mouth darkness) (↑, 1 ideal)"
        case .stillness: return "MStill: mouth-openness variance in silent spans ÷ max(truth's, 1e-4) (↓, ≤ 2 still; talking through pauses ≈ 20–65)"
        case .hkv: return "HKV px²: wrist variance over time (gesture)"
        case .hkc: return "HKC: mean wrist presence probability (↑)"
        case .fvd: return "FVD-p: Fréchet distance of detector features pooled over 8 frames, a proxy, not FVD (↓)"
        case .seams: return "Seams: change at segment boundaries ÷ inside (≈1 ideal)"
        case .drift: return "Drift dB: PSNR first − last window (5 s, or thirds for short clips) (↓)"
        }
    }
}

/// One row of the table: a mode of the model, or a baseline / the truth itself.
public struct EvalRow: Codable, Sendable {
    public var name: String
    public var clips: Int
    /// Metric → value; absent = not applicable to this row.
    public var metrics: [String: Double]
    public var note: String?

    public init(name: String, clips: Int, metrics: [String: Double], note: String? = nil) {
        self.name = name; self.clips = clips; self.metrics = metrics; self.note = note
    }

    public subscript(metric: EvalMetric) -> Double? { metrics[metric.rawValue] }
}

/// The result of an eval run: rows, notes, timings.
public struct EvalReport: Codable, Sendable {
    public var model: String
    public var set: String
    public var clips: Int
    public var frameSize: String
    public var framesPerClip: [Int]
    public var rows: [EvalRow]
    public var notes: [String]
    public var seconds: Double

    public func row(_ name: String) -> EvalRow? { rows.first { $0.name == name } }

    /// A fixed-width text table with a legend.
    public func table() -> String {
        let columns = EvalMetric.allCases
        var lines: [String] = []
        lines.append("eval \(model) on \(set): \(clips) clip(s) \(frameSize), frames \(framesPerClip.map(String.init).joined(separator: ",")), \(String(format: "%.1f", seconds)) s")
        let header = "mode".padding(toLength: 12, withPad: " ", startingAt: 0) + "n".leftPad(3) + columns.map { $0.rawValue.leftPad(8) }.joined()
        lines.append(header)
        lines.append(String(repeating: "─", count: header.count))
        for row in rows {
            var line = row.name.padding(toLength: 12, withPad: " ", startingAt: 0) + "\(row.clips)".leftPad(3)
            for c in columns {
                if let v = row[c] { line += Self.format(v, c).leftPad(8) } else { line += "—".leftPad(8) }
            }
            if let note = row.note { line += "  " + note }
            lines.append(line)
        }
        lines.append("")
        lines.append("  n: clips scored in the row")
        lines += columns.map { "  \($0.rawValue): \($0.legend)" }
        lines += notes.map { "note: \($0)" }
        return lines.joined(separator: "\n")
    }

    static func format(_ v: Double, _ metric: EvalMetric) -> String {
        switch metric {
        case .hkv, .fvd: return v >= 1000 ? String(format: "%.0f", v) : String(format: "%.2f", v)
        case .psnr, .akd, .drift: return String(format: "%.2f", v)
        default: return String(format: "%.3f", v)
        }
    }

    /// Pretty-printed JSON with sorted keys.
    public func json() throws -> String {
        let encoder = JSONEncoder(); encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        return String(decoding: try encoder.encode(self), as: UTF8.self)
    }
}

extension String {
    func leftPad(_ n: Int) -> String { count >= n ? " " + self : String(repeating: " ", count: n - count) + self }
}
