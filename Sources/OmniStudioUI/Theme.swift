import Foundation
import OmniMedia

/// A colour in a theme: 24-bit RGB, one of the 16 ANSI colours (for `tty` themes, drawn exactly on 16-colour
/// terminals), or the terminal's default.
public enum ThemeColor: Sendable, Equatable {
    case rgb(RGB)
    case ansi(Int)
    case terminalDefault
}

/// How a role looks: colours plus bold/reverse (monochrome themes and `--no-color` rely on the attributes).
public struct RoleStyle: Sendable, Equatable {
    public var foreground: ThemeColor
    public var background: ThemeColor
    public var bold: Bool
    public var reverse: Bool
}

public struct ThemeError: Error, Sendable, Equatable, CustomStringConvertible {
    public var path: String
    public var line: Int
    public var reason: String
    public var description: String { "\(path):\(line): \(reason)" }
    /// The same with the file's name instead of its path: what fits on the studio's status line.
    public var summary: String { "\((path as NSString).lastPathComponent)\(line > 0 ? ":\(line)" : ""): \(reason)" }
}

/// A btop-style theme: lines `theme[key]="#rrggbb"` (or an ANSI name such as `red`, `brightblue`, or `default`),
/// `#` comments. Keys are the semantic roles' btop names (`main_bg`, `main_fg`, `inactive_fg`, `div_line`,
/// `hi_fg`, `title`, `selected_bg`, `selected_fg`, …); unknown keys are errors with the file and line.
public struct Theme: Sendable, Equatable {
    public var name: String
    public var background: ThemeColor
    public var styles: [Role: RoleStyle]

    /// btop key → what it sets.
    static let keys: [String] = ["main_bg", "main_fg", "inactive_fg", "div_line", "hi_fg", "title", "selected_bg",
                                 "selected_fg", "accent", "ok", "warn", "error", "bar_filled", "bar_empty", "header_bg",
                                 "header_fg", "status_bg", "status_fg", "on_fg", "off_fg", "overlay_bg", "overlay_fg",
                                 "attributes"]

    public func style(_ role: Role) -> RoleStyle {
        styles[role] ?? RoleStyle(foreground: .terminalDefault, background: background, bold: false, reverse: false)
    }

    /// Parses a theme file's text; `path` only names the file in errors.
    public init(parsing text: String, name: String, path: String) throws(ThemeError) {
        var values: [String: ThemeColor] = [:]
        var monochromeAttributes = false
        for (index, raw) in TextLines.split(text).enumerated() {
            let line = raw.trimmingCharacters(in: .whitespaces)
            if line.isEmpty || line.hasPrefix("#") { continue }
            let n = index + 1
            guard line.hasPrefix("theme["), let close = line.firstIndex(of: "]"),
                  let eq = line[close...].firstIndex(of: "=") else {
                throw ThemeError(path: path, line: n, reason: "expected theme[key]=\"#rrggbb\", got '\(Clipped(line))'")
            }
            let key = String(line[line.index(line.startIndex, offsetBy: 6)..<close])
            guard Theme.keys.contains(key) else {
                throw ThemeError(path: path, line: n, reason: "unknown key '\(Clipped(key))' (known: \(Theme.keys.joined(separator: ", ")))")
            }
            var value = line[line.index(after: eq)...].trimmingCharacters(in: .whitespaces)
            if value.hasPrefix("\"") && value.hasSuffix("\"") && value.count >= 2 { value = String(value.dropFirst().dropLast()) }
            if key == "attributes" {
                guard value == "monochrome" || value == "color" else {
                    throw ThemeError(path: path, line: n, reason: "attributes must be \"monochrome\" or \"color\", got '\(Clipped(value))'")
                }
                monochromeAttributes = value == "monochrome"
                continue
            }
            guard let colour = Theme.color(value) else {
                throw ThemeError(path: path, line: n, reason: "'\(key)' must be \"#rrggbb\", an ANSI colour name or \"default\", got '\(Clipped(value))'")
            }
            values[key] = colour
        }
        self.init(name: name, values: values, monochrome: monochromeAttributes)
    }

    init(name: String, values: [String: ThemeColor], monochrome: Bool) {
        self.name = name
        let bg = values["main_bg"] ?? .terminalDefault
        background = bg
        func v(_ k: String, _ fallback: ThemeColor) -> ThemeColor { monochrome ? .terminalDefault : (values[k] ?? fallback) }
        let fg = v("main_fg", .terminalDefault)
        let hi = v("hi_fg", fg)
        func s(_ f: ThemeColor, _ b: ThemeColor? = nil, bold: Bool = false, reverse: Bool = false) -> RoleStyle {
            RoleStyle(foreground: f, background: b ?? bg, bold: bold, reverse: reverse)
        }
        let mono = monochrome
        styles = [
            .text: s(fg),
            .dim: s(v("inactive_fg", fg)),
            .border: s(v("div_line", fg)),
            .borderFocus: s(hi, bold: true),
            .title: s(v("title", fg)),
            .titleFocus: s(hi, bold: true, reverse: mono),
            .selection: s(v("selected_fg", fg), mono ? bg : v("selected_bg", .terminalDefault), bold: true, reverse: mono || values["selected_bg"] == nil),
            .accent: s(v("accent", hi), bold: true),
            .ok: s(v("ok", fg), bold: mono),
            .warn: s(v("warn", fg), bold: true),
            .error: s(v("error", fg), bold: true, reverse: mono),
            .barFilled: s(v("bar_filled", hi)),
            .barEmpty: s(v("bar_empty", v("inactive_fg", fg))),
            .header: s(v("header_fg", fg), v("header_bg", bg), bold: true, reverse: mono),
            .status: s(v("status_fg", fg), v("status_bg", bg), reverse: mono),
            .toggleOn: s(v("on_fg", hi), bold: true),
            .toggleOff: s(v("off_fg", v("inactive_fg", fg))),
            .overlay: s(v("overlay_fg", fg), v("overlay_bg", bg)),
        ]
    }

    static let ansiNames = ["black", "red", "green", "yellow", "blue", "magenta", "cyan", "white"]

    static func color(_ value: String) -> ThemeColor? {
        let v = value.lowercased()
        if v == "default" { return .terminalDefault }
        if let i = ansiNames.firstIndex(of: v) { return .ansi(i) }
        if v.hasPrefix("bright"), let i = ansiNames.firstIndex(of: String(v.dropFirst(6))) { return .ansi(8 + i) }
        guard v.hasPrefix("#"), v.count == 7, let n = UInt32(v.dropFirst(), radix: 16) else { return nil }
        return .rgb(RGB(UInt8(n >> 16 & 255), UInt8(n >> 8 & 255), UInt8(n & 255)))
    }

    /// The built-in dark default (used when no theme file is found).
    public static let fallback = Theme(name: "default", values: [
        "main_bg": .rgb(RGB(0x10, 0x12, 0x18)), "main_fg": .rgb(RGB(0xd8, 0xdc, 0xe6)), "inactive_fg": .rgb(RGB(0x6c, 0x73, 0x86)),
        "div_line": .rgb(RGB(0x3b, 0x42, 0x52)), "hi_fg": .rgb(RGB(0x5f, 0xd7, 0xff)), "title": .rgb(RGB(0xb0, 0xb8, 0xc8)),
        "selected_bg": .rgb(RGB(0x26, 0x4f, 0x78)), "selected_fg": .rgb(RGB(0xff, 0xff, 0xff)), "ok": .rgb(RGB(0x87, 0xd7, 0x87)),
        "warn": .rgb(RGB(0xff, 0xd7, 0x5f)), "error": .rgb(RGB(0xff, 0x5f, 0x5f)),
    ], monochrome: false)

    /// `--no-color` / `NO_COLOR`: attributes only.
    public static let monochrome = Theme(name: "monochrome", values: [:], monochrome: true)
}

/// Finds themes: the repository's `Themes/` and `$XDG_CONFIG_HOME/omnistudio/themes` (user themes win).
public struct ThemeCatalog: Sendable {
    public var directories: [URL]
    public init(directories: [URL]) { self.directories = directories }

    public static func standard(repository: URL = URL(fileURLWithPath: FileManager.default.currentDirectoryPath),
                                environment: [String: String] = ProcessInfo.processInfo.environment) -> ThemeCatalog {
        ThemeCatalog(directories: [repository.appendingPathComponent("Themes"), StudioPaths.configHome(environment).appendingPathComponent("themes")])
    }

    /// Theme names found, sorted.
    public func names() -> [String] {
        var names = Set<String>()
        for d in directories {
            for f in (try? FileManager.default.contentsOfDirectory(atPath: d.path)) ?? [] where f.hasSuffix(".theme") {
                names.insert(String(f.dropLast(6)))
            }
        }
        return names.sorted()
    }

    /// Loads `name` (a theme name or a path to a `.theme` file); the last directory holding it wins.
    public func load(_ name: String) throws(ThemeError) -> Theme {
        var candidates = directories.map { $0.appendingPathComponent("\(name).theme").path }
        if name.hasSuffix(".theme") || name.contains("/") { candidates = [name] }
        guard let path = candidates.last(where: { FileManager.default.fileExists(atPath: $0) }) else {
            if name == "default" { return .fallback }
            if name == "monochrome" { return .monochrome }
            throw ThemeError(path: "\(Clipped(name))", line: 0, reason: "no theme '\(Clipped(name))' (have: \(names().joined(separator: ", ")))")
        }
        guard let text = try? String(contentsOfFile: path, encoding: .utf8) else {
            throw ThemeError(path: path, line: 0, reason: "cannot read the file")
        }
        return try Theme(parsing: text, name: ((path as NSString).lastPathComponent as NSString).deletingPathExtension, path: path)
    }
}

/// Where user configuration lives.
public enum StudioPaths {
    public static func configHome(_ environment: [String: String]) -> URL {
        if let x = environment["XDG_CONFIG_HOME"], !x.isEmpty { return URL(fileURLWithPath: x).appendingPathComponent("omnistudio") }
        let home = environment["HOME"] ?? NSHomeDirectory()
        return URL(fileURLWithPath: home).appendingPathComponent(".config/omnistudio")
    }
}
