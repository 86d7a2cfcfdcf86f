/// Failures of OmniWorld's file formats and writers; each names the file and the reason.
public enum WorldError: Error, Equatable, CustomStringConvertible {
    /// A shard that cannot be used: wrong magic or version, truncated, inconsistent sizes, checksum mismatch.
    case corruptShard(path: String, reason: String)
    /// A file or folder that cannot be read or written.
    case io(path: String, reason: String)
    /// A caller error (an empty clip list, mismatched sizes …).
    case invalidInput(String)

    public var description: String {
        switch self {
        case .corruptShard(let path, let reason): return "\(path): not a usable OmniWorld shard: \(reason)"
        case .io(let path, let reason): return "\(path): \(reason)"
        case .invalidInput(let reason): return reason
        }
    }
}
