import OmniMedia
import OmniTensor

/// Every failure of the engine. Each case names the file (or setting) and the reason, so the CLI prints it in
/// one line and the studio shows it in its status bar; nothing half-written is left behind when one is thrown.
public enum ModelError: Error, Equatable, CustomStringConvertible {
    /// A model folder or its `config.json` is missing, unreadable or invalid.
    case invalidModel(path: String, reason: String)
    /// The text encoder's weights are not in the cache.
    case missingEncoder(name: String, path: String)
    /// A generation request (recipe) is invalid: `setting` names the key.
    case invalidRequest(setting: String, reason: String)
    /// A recipe file could not be read or parsed: names the file and, where known, the line.
    case invalidRecipe(path: String, line: Int?, reason: String)
    case media(MediaError)
    case checkpoint(CheckpointError)
    case cancelled

    public var description: String {
        switch self {
        case .invalidModel(let p, let r): return "\(p): not a usable model: \(r)"
        case .missingEncoder(let n, let p): return "\(p): the \(n) weights are missing — run `make bootstrap` to fetch them"
        case .invalidRequest(let s, let r): return "\(s): \(r)"
        case .invalidRecipe(let p, let line?, let r): return "\(p):\(line): \(r)"
        case .invalidRecipe(let p, nil, let r): return "\(p): \(r)"
        case .media(let e): return e.description
        case .checkpoint(let e): return e.description
        case .cancelled: return "cancelled"
        }
    }
}
