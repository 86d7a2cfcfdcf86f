import Foundation
import OmniMedia
import OmniTensor
import TOMLKit

/// A recipe or preset as flat entries: `[table]` (one level, "" for the top) → `key` → a string, integer, float,
/// boolean or array of those. Reading is TOML 1.0 through TOMLKit (toml++), after the size check; the shapes
/// recipes never use (sub-tables, inline tables, arrays of tables, dates, non-finite floats, arrays nested more than
/// `maxArrayDepth` deep) are errors naming `file:line`. Lines may end in `\n`, `\r\n` or `\r`. Every entry
/// remembers its line, so the schema's errors can name it too. Writing produces the same subset, so a written
/// recipe always reads back.
public struct TOMLDocument: Sendable, Equatable {
    public enum Value: Sendable, Equatable, CustomStringConvertible {
        case string(String)
        case integer(Int)
        case float(Double)
        case boolean(Bool)
        case array([Value])

        public var description: String {
            switch self {
            case .string(let s): return quotedString(s)
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
        /// The line in the file it was read from; nil for entries set in code or that the reader could not place.
        public var line: Int?
    }

    public var entries: [Entry] = []

    /// Recipes and presets are a few hundred bytes; anything near this is not one.
    public static let maxFileBytes = 1 << 20
    /// Arrays inside arrays. toml++ stops at 256 levels (a line of 100 000 `[` is its error, not a stack overflow);
    /// recipes need two at most, so anything past this is refused too.
    public static let maxArrayDepth = 8

    public init() {}

    /// Parses `text`; `path` only names the file in errors (`path:line: reason`).
    public init(parsing text: String, path: String) throws(ModelError) {
        // toml++ reads C strings and counts LF/CRLF lines: a NUL would silently end the document there, and a lone
        // CR would join lines. Normalising the endings keeps the line numbers those of the file.
        guard !text.unicodeScalars.contains("\0") else {
            throw .invalidRecipe(path: path, line: nil, reason: "contains a NUL byte: not a text file")
        }
        let lines = TextLines.split(text)
        for (index, line) in lines.enumerated() where !Self.headerStartsWithAName(line) {
            throw .invalidRecipe(path: path, line: index + 1, reason: "expected a table name after '['")
        }
        let table: TOMLTable
        do {
            table = try TOMLTable(string: lines.joined(separator: "\n"))
        } catch let error as TOMLParseError {
            throw .invalidRecipe(path: path, line: error.source.begin.line, reason: Self.reason(error.description))
        } catch {
            throw .invalidRecipe(path: path, line: nil, reason: Self.reason("\(error)"))
        }
        let positions = KeyLines(lines)
        for (key, value) in table {
            let line = positions.line(table: "", key: key)
            if let sub = value.table, !sub.inline {
                for (subKey, subValue) in sub {
                    let subLine = positions.line(table: key, key: subKey)
                    if let nested = subValue.table {
                        throw .invalidRecipe(path: path, line: subLine, reason: nested.inline
                            ? "'\(Clipped(subKey))' is an inline table; recipes use only [table] headers"
                            : "[\(Clipped(key)).\(Clipped(subKey))]: tables are one level deep")
                    }
                    entries.append(Entry(table: key, key: subKey,
                                         value: try Self.value(subValue, key: subKey, path: path, line: subLine), line: subLine))
                }
            } else {
                entries.append(Entry(table: "", key: key, value: try Self.value(value, key: key, path: path, line: line), line: line))
            }
        }
        // toml++ keeps keys sorted; the file's order is what a writer gives back and what errors meet first.
        entries = entries.enumerated().sorted { ($0.element.line ?? .max, $0.offset) < ($1.element.line ?? .max, $1.offset) }.map(\.element)
    }

    /// toml++ 3.4 (TOMLKit 0.6.0) asserts — aborts the process — when a line's `[` or `[[` is followed by anything
    /// but a key (`[,`, `[[[`, `[` at the end of a line; found by `omnistudio-fuzz`), so such a line is refused
    /// before it gets there. A nested array that opens a line of a multi-line array is refused too: recipes
    /// write arrays on one line.
    static func headerStartsWithAName(_ line: Substring) -> Bool {
        var rest = line.drop { $0 == " " || $0 == "\t" }
        guard rest.first == "[" else { return true }
        rest = rest.dropFirst()
        if rest.first == "[" { rest = rest.dropFirst() }
        rest = rest.drop { $0 == " " || $0 == "\t" }
        guard let c = rest.unicodeScalars.first else { return false }
        return c == "\"" || c == "'" || c == "]" || c == "_" || c == "-"
            || ("a"..."z").contains(c) || ("A"..."Z").contains(c) || ("0"..."9").contains(c)
    }

    /// toml++'s messages, one line and short ("Error while parsing key-value pair: expected value, saw …").
    private static func reason(_ message: String) -> String {
        "\(Clipped(message.replacingOccurrences(of: "\n", with: " "), limit: 120))"
    }

    private static func value(_ node: TOMLValueConvertible, key: String, path: String, line: Int?,
                              depth: Int = 0) throws(ModelError) -> Value {
        func fail(_ reason: String) -> ModelError { .invalidRecipe(path: path, line: line, reason: reason) }
        switch node.type {
        case .string: return .string(node.string ?? "")
        case .int: return .integer(node.int ?? 0)
        case .bool: return .boolean(node.bool ?? false)
        case .double:
            let d = node.double ?? .nan
            guard d.isFinite else { throw fail("'\(Clipped(key))' must be a finite number, got \(d)") }
            return .float(d)
        case .array:
            guard depth < maxArrayDepth else { throw fail("arrays nested more than \(maxArrayDepth) deep") }
            var items: [Value] = []
            for item in node.array ?? TOMLArray() {
                if item.type == .table { throw fail("'\(Clipped(key))' holds tables; recipes use only [table] headers") }
                items.append(try value(item, key: key, path: path, line: line, depth: depth + 1))
            }
            return .array(items)
        case .table: throw fail("'\(Clipped(key))' is an inline table; recipes use only [table] headers")
        case .date, .time, .dateTime: throw fail("'\(Clipped(key))' is a date or time; recipes use none")
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
        else { entries.append(Entry(table: table, key: key, value: value, line: nil)) }
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
}

/// Where each `key =` and `[table]` header of a parsed file is, so entries (which toml++ hands back without
/// positions) can name their line. It runs on text toml++ has already accepted; a key it cannot place (a dotted
/// key, one inside a multi-line value) has no line, and its errors name only the file.
private struct KeyLines {
    private var lines: [String: Int] = [:]

    init(_ text: [Substring]) {
        var table = ""
        for (index, raw) in text.enumerated() {
            let line = raw.trimmingCharacters(in: .whitespaces)
            if line.hasPrefix("[") && !line.hasPrefix("[[") {
                guard let close = line.firstIndex(of: "]") else { continue }
                table = Self.bare(line[line.index(after: line.startIndex)..<close])
                continue
            }
            guard let eq = line.firstIndex(of: "="), !line.hasPrefix("#") else { continue }
            let key = Self.bare(line[..<eq])
            let full = table + "\u{0}" + key
            if lines[full] == nil { lines[full] = index + 1 }
        }
    }

    func line(table: String, key: String) -> Int? { lines[table + "\u{0}" + key] }

    /// A key as written (`name`, `"name"` or `'name'`) → its name.
    private static func bare(_ s: Substring) -> String {
        let t = s.trimmingCharacters(in: .whitespaces)
        if t.count >= 2, let f = t.first, f == "\"" || f == "'", t.last == f { return String(t.dropFirst().dropLast()) }
        return t
    }
}
