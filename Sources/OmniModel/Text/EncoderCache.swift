import Foundation

/// Where the project's pretrained assets live on disk (filled by `make bootstrap`; nothing downloads at run
/// time). The root is, in order: `$OMNISTUDIO_CACHE`, `$XDG_CACHE_HOME/omnistudio`, `~/.cache/omnistudio`
/// (empty variables count as unset) — the same rule as the Makefile's `OMNISTUDIO_CACHE`.
public enum EncoderCache {
    /// The folder name of the all-MiniLM-L6-v2 text encoder under the cache root.
    public static let miniLMFolder = "all-minilm-l6-v2"

    /// The cache root for the given environment (default: the process environment). No file-system access.
    public static func root(environment: [String: String] = ProcessInfo.processInfo.environment) -> URL {
        if let explicit = environment["OMNISTUDIO_CACHE"], !explicit.isEmpty {
            return URL(fileURLWithPath: explicit, isDirectory: true)
        }
        if let xdg = environment["XDG_CACHE_HOME"], !xdg.isEmpty {
            return URL(fileURLWithPath: xdg, isDirectory: true).appendingPathComponent("omnistudio", isDirectory: true)
        }
        let home = environment["HOME"].flatMap { $0.isEmpty ? nil : $0 } ?? NSHomeDirectory()
        return URL(fileURLWithPath: home, isDirectory: true)
            .appendingPathComponent(".cache", isDirectory: true)
            .appendingPathComponent("omnistudio", isDirectory: true)
    }

    /// `root/name`: the folder of one cached asset.
    public static func directory(_ name: String, environment: [String: String] = ProcessInfo.processInfo.environment) -> URL {
        root(environment: environment).appendingPathComponent(name, isDirectory: true)
    }

    /// The all-MiniLM-L6-v2 folder (`model.safetensors`, `vocab.txt`, `config.json`, `tokenizer.json`).
    public static func miniLMDirectory(environment: [String: String] = ProcessInfo.processInfo.environment) -> URL {
        directory(miniLMFolder, environment: environment)
    }
}
