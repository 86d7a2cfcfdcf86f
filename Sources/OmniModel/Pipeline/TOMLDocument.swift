import Foundation
import OmniMedia

/// The TOML subset OmniStudio's recipes and presets use: `# comments`, `[table]` headers (one level),
/// `key = value` with basic strings ("…" with \" \\ \n \t \u escapes), literal strings ('…'), integers, floats,
/// booleans and single-line arrays of those (nested at most `maxArrayDepth` deep). Lines may end in `\n`, `\r\n` or
/// `\r`; files are at most `maxFileBytes`. Every entry remembers its line, so errors can name `file:line`. Writing
/// produces the same subset, so a written recipe always reads back.
public struct TOMLDocument: Sendable, Equatable {
    public enum Value: Sendable, Equatable, CustomStringConvertible {
        case string(String)
        case integer(Int)
        case float(Double)
        case boolean(Bool)
        case array([Value])

        public var description: String {
            switch self {
            case .string(let s): return TOMLDocument.quoted(s)
            case .integer(let i): return String(i)
            case .float(let d):
                if d == d.rounded() && abs(d) < 1e15 { return String(format: "%.1f", d) }
                return "\(d)"
            case .boolean(let b): return b ? "true" : "false"
            case .array(let a): return "[" + a.map(\.description).joined(separator: ", ") + "]"
            }
        }
    }

    public struct Entry: Sendable, Equatable {
        public var table: String      // "" for the top level
        public var key: String
        public var value: Value
        public var line: Int
    }

    public var entries: [Entry] = []

    /// Recipes and presets are a few hundred bytes; anything near this is not one.
    public static let maxFileBytes = 1 << 20
    /// Arrays inside arrays: the reader recurses once per level, so the depth is bounded (a line of 100 000 `[`
    /// would otherwise overflow the stack).
    public static let maxArrayDepth = 8

    public init() {}

    /// Parses `text`; `path` only names the file in errors (`path:line: reason`).
    public init(parsing text: String, path: String) throws(ModelError) {
        var table = ""
        var seen = Set<String>()
        var tables = Set<String>()
        for (index, rawLine) in TextLines.split(text).enumerated() {
            let line = index + 1
            var scanner = TOMLScanner(Array(String(rawLine).unicodeScalars), path: path, line: line)
            scanner.skipSpaces()
            if scanner.atEndOrComment { continue }
            if scanner.peek == "[" {
                scanner.advance()
                scanner.skipSpaces()
                let name = try scanner.key()
                scanner.skipSpaces()
                guard scanner.peek == "]" else { throw scanner.error("expected ']' after table name") }
                scanner.advance()
                scanner.skipSpaces()
                guard scanner.atEndOrComment else { throw scanner.error("unexpected text after [\(Clipped(name))]") }
                guard tables.insert(name).inserted else { throw scanner.error("table [\(Clipped(name))] appears twice") }
                table = name
                continue
            }
            let key = try scanner.key()
            scanner.skipSpaces()
            guard scanner.peek == "=" else { throw scanner.error("expected '=' after '\(Clipped(key))'") }
            scanner.advance()
            scanner.skipSpaces()
            let value = try scanner.value()
            scanner.skipSpaces()
            guard scanner.atEndOrComment else { throw scanner.error("unexpected text after the value of '\(Clipped(key))'") }
            let full = table.isEmpty ? key : table + "." + key
            guard seen.insert(full).inserted else { throw scanner.error("'\(Clipped(full))' is set twice") }
            entries.append(Entry(table: table, key: key, value: value, line: line))
        }
    }

    /// Reads and parses the file at `path`.
    public init(contentsOf path: String) throws(ModelError) {
        try self.init(parsing: Self.text(at: path), path: path)
    }

    /// The text of the recipe or preset at `path`, with the reader's checks (size, readable, UTF-8).
    public static func text(at path: String) throws(ModelError) -> String {
        let size = (try? FileManager.default.attributesOfItem(atPath: path)[.size] as? Int) ?? 0
        guard size <= Self.maxFileBytes else {
            throw .invalidRecipe(path: path, line: nil, reason: "\(size) bytes is too large for a recipe or preset (at most \(Self.maxFileBytes))")
        }
        guard let data = FileManager.default.contents(atPath: path) else {
            throw .invalidRecipe(path: path, line: nil, reason: FileManager.default.fileExists(atPath: path) ? "not readable" : "no such file")
        }
        guard let text = String(data: data, encoding: .utf8) else { throw .invalidRecipe(path: path, line: nil, reason: "not UTF-8 text") }
        return text
    }

    /// The comment lines at the top of `text` (before the first key or table), without their `#`, joined by spaces:
    /// how a preset describes itself.
    public static func leadingComment(of text: String) -> String {
        var words: [String] = []
        for line in TextLines.split(text) {
            let t = line.trimmingCharacters(in: .whitespaces)
            if t.isEmpty { if words.isEmpty { continue } else { break } }
            guard t.hasPrefix("#") else { break }
            let body = t.drop(while: { $0 == "#" }).trimmingCharacters(in: .whitespaces)
            if !body.isEmpty { words.append(body) }
        }
        return words.joined(separator: " ")
    }

    public func entry(_ table: String, _ key: String) -> Entry? { entries.first { $0.table == table && $0.key == key } }

    public mutating func set(_ table: String, _ key: String, _ value: Value) {
        if let i = entries.firstIndex(where: { $0.table == table && $0.key == key }) { entries[i].value = value }
        else { entries.append(Entry(table: table, key: key, value: value, line: 0)) }
    }

    /// The document as TOML text: top-level keys first, then each table in first-appearance order.
    public func text(header: String? = nil) -> String {
        var out = header.map { $0.split(separator: "\n").map { "# " + $0 }.joined(separator: "\n") + "\n" } ?? ""
        var order: [String] = []
        for e in entries where !order.contains(e.table) { order.append(e.table) }
        if let top = order.firstIndex(of: "") { order.remove(at: top); order.insert("", at: 0) }
        for table in order {
            if !table.isEmpty { out += "\n[\(table)]\n" }
            for e in entries where e.table == table { out += "\(e.key) = \(e.value)\n" }
        }
        return out
    }

    static func quoted(_ s: String) -> String {
        var out = "\""
        for scalar in s.unicodeScalars {
            switch scalar {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\t": out += "\\t"
            case "\r": out += "\\r"
            default:
                if scalar.value < 0x20 || scalar.value == 0x7F { out += String(format: "\\u%04X", scalar.value) }
                else { out.unicodeScalars.append(scalar) }
            }
        }
        return out + "\""
    }
}

/// A cursor over one line of TOML.
private struct TOMLScanner {
    let chars: [Unicode.Scalar]
    var i = 0
    let path: String
    let line: Int

    init(_ chars: [Unicode.Scalar], path: String, line: Int) { self.chars = chars; self.path = path; self.line = line }

    var peek: Unicode.Scalar? { i < chars.count ? chars[i] : nil }
    var atEndOrComment: Bool { peek == nil || peek == "#" }
    mutating func advance() { i += 1 }
    mutating func skipSpaces() { while let c = peek, c == " " || c == "\t" { i += 1 } }
    func error(_ reason: String) -> ModelError { .invalidRecipe(path: path, line: line, reason: reason) }

    mutating func key() throws(ModelError) -> String {
        if peek == "\"" { return try basicString() }
        var s = ""
        while let c = peek, c.properties.isAlphabetic || ("0"..."9").contains(c) || c == "_" || c == "-" {
            s.unicodeScalars.append(c); i += 1
        }
        guard !s.isEmpty else { throw error("expected a key") }
        return s
    }

    mutating func value(depth: Int = 0) throws(ModelError) -> TOMLDocument.Value {
        guard let c = peek else { throw error("missing value") }
        switch c {
        case "\"": return .string(try basicString())
        case "'":
            i += 1
            var s = ""
            while let c = peek, c != "'" { s.unicodeScalars.append(c); i += 1 }
            guard peek == "'" else { throw error("unterminated string") }
            i += 1
            return .string(s)
        case "[":
            guard depth < TOMLDocument.maxArrayDepth else { throw error("arrays nested more than \(TOMLDocument.maxArrayDepth) deep") }
            i += 1
            var items: [TOMLDocument.Value] = []
            skipSpaces()
            while peek != "]" {
                guard peek != nil else { throw error("unterminated array (arrays must fit on one line)") }
                items.append(try value(depth: depth + 1))
                skipSpaces()
                if peek == "," { i += 1; skipSpaces() } else if peek != "]" { throw error("expected ',' or ']' in array") }
            }
            i += 1
            return .array(items)
        default:
            var word = ""
            while let c = peek, !(c == " " || c == "\t" || c == "," || c == "]" || c == "#") { word.unicodeScalars.append(c); i += 1 }
            if word == "true" { return .boolean(true) }
            if word == "false" { return .boolean(false) }
            let digits = word.replacingOccurrences(of: "_", with: "")
            if let n = Int(digits) { return .integer(n) }
            if let d = Double(digits), d.isFinite, digits.contains(where: { "0123456789".contains($0) }) { return .float(d) }
            throw error("'\(Clipped(word))' is not a value (strings need quotes)")
        }
    }

    mutating func basicString() throws(ModelError) -> String {
        i += 1
        var s = ""
        while let c = peek, c != "\"" {
            i += 1
            if c == "\\" {
                guard let e = peek else { break }
                i += 1
                switch e {
                case "\"": s += "\""
                case "\\": s += "\\"
                case "n": s += "\n"
                case "t": s += "\t"
                case "r": s += "\r"
                case "u", "U":
                    let n = e == "u" ? 4 : 8
                    guard i + n <= chars.count, let v = UInt32(String(String.UnicodeScalarView(chars[i..<(i + n)])), radix: 16),
                          let scalar = Unicode.Scalar(v) else { throw error("bad \\\(e) escape") }
                    s.unicodeScalars.append(scalar)
                    i += n
                default: throw error("unknown escape \\\(e)")
                }
            } else {
                s.unicodeScalars.append(c)
            }
        }
        guard peek == "\"" else { throw error("unterminated string") }
        i += 1
        return s
    }
}
