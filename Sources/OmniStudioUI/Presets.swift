import Foundation
import OmniModel

/// A partial recipe in the `recipe.toml` schema: the keys it sets override the switchboard, the rest is kept.
/// Parsed strictly (unknown keys and bad values are errors with the file and line), like recipes.
/// Its description is the file's leading comment.
public struct Preset: Sendable, Equatable {
    public var name: String
    public var path: String
    public var description: String
    public var document: TOMLDocument

    public init(name: String, path: String, text: String) throws(ModelError) {
        try self.init(name: name, path: path, document: TOMLDocument(parsing: text, path: path),
                      description: TOMLDocument.leadingComment(of: text))
    }

    public init(name: String, path: String, document: TOMLDocument, description: String = "") throws(ModelError) {
        self.name = name
        self.path = path
        self.description = description
        self.document = document
        _ = try GenerationRequest(recipe: document, path: path)   // the schema check
    }

    /// The prompt this preset sets, if it sets one.
    public var prompt: String? {
        if case .string(let p)? = document.entry("text", "prompt")?.value { return p }
        return nil
    }

    /// `request` with this preset's keys applied.
    public func applied(to request: GenerationRequest) throws(ModelError) -> GenerationRequest {
        var merged = request.tomlDocument()
        for e in document.entries { merged.set(e.table, e.key, e.value) }
        var out = try GenerationRequest(recipe: merged, path: path)
        // Keys the preset does not set but that are nil in the current request stay nil.
        if document.entry("", "duration") == nil { out.duration = request.duration }
        return out
    }
}

/// Presets from the repository's `Presets/` and `$XDG_CONFIG_HOME/omnistudio/presets` (a user preset with the
/// same name wins). Broken files do not stop the others: they are listed in `errors` as `file:line: reason`.
public struct PresetCatalog: Sendable {
    public var presets: [Preset] = []
    public var errors: [String] = []

    public init(directories: [URL]) {
        var byName: [String: Preset] = [:]
        var order: [String] = []
        for d in directories {
            let files = ((try? FileManager.default.contentsOfDirectory(atPath: d.path)) ?? []).filter { $0.hasSuffix(".toml") }.sorted()
            for f in files {
                let path = d.appendingPathComponent(f).path
                let name = String(f.dropLast(5))
                do throws(ModelError) {
                    // The recipe reader's own checks (size, UTF-8) hold for presets too: they load at start-up.
                    let p = try Preset(name: name, path: path, text: TOMLDocument.text(at: path))
                    if byName[name] == nil { order.append(name) }
                    byName[name] = p
                } catch {
                    errors.append(error.description)
                }
            }
        }
        presets = order.compactMap { byName[$0] }
    }

    public static func standard(repository: URL = URL(fileURLWithPath: FileManager.default.currentDirectoryPath),
                                environment: [String: String] = ProcessInfo.processInfo.environment) -> PresetCatalog {
        PresetCatalog(directories: [repository.appendingPathComponent("Presets"), StudioPaths.configHome(environment).appendingPathComponent("presets")])
    }
}
