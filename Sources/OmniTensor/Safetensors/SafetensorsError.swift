/// Every failure of the safetensors reader and writer. Each case names the file path and the reason, and
/// the tensor key where one is involved, so the message can be printed as one line, e.g.
/// `model.safetensors: tensor 'blocks.0.w': data_offsets [0, 12] hold 12 bytes but shape [2, 2] of F32 needs 16`.
public enum SafetensorsError: Error, Equatable, Sendable, CustomStringConvertible {
    /// The file does not exist.
    case notFound(path: String)
    /// The path names a directory.
    case isDirectory(path: String)
    /// The file exists but cannot be opened, stat'ed or mapped (permissions, I/O error, not a regular file).
    case notReadable(path: String, reason: String)
    /// The file is not a valid safetensors file: header size, JSON, layout or length problems.
    case invalidFile(path: String, reason: String)
    /// One tensor entry of the header is invalid (dtype, shape, offsets, byte count).
    case invalidTensor(path: String, tensor: String, reason: String)
    /// No tensor of that name is in the file.
    case noSuchTensor(path: String, tensor: String)
    /// `readFloats` was asked for a tensor whose dtype is an integer or boolean type.
    case notFloatTensor(path: String, tensor: String, dtype: DType)
    /// The destination buffer handed to `readFloats(_:into:)` does not hold exactly `numel` elements.
    case countMismatch(path: String, tensor: String, expected: Int, got: Int)
    /// The writer was given something it cannot store (duplicate name, size mismatch, bad dtype).
    case invalidInput(path: String, tensor: String?, reason: String)
    /// Writing or renaming the output file failed.
    case notWritable(path: String, reason: String)

    /// The file the failure is about.
    public var path: String {
        switch self {
        case .notFound(let p), .isDirectory(let p), .notReadable(let p, _), .invalidFile(let p, _),
             .invalidTensor(let p, _, _), .noSuchTensor(let p, _), .notFloatTensor(let p, _, _),
             .countMismatch(let p, _, _, _), .invalidInput(let p, _, _), .notWritable(let p, _):
            return p
        }
    }

    public var description: String {
        switch self {
        case .notFound(let p): return "\(p): no such file"
        case .isDirectory(let p): return "\(p): is a directory, not a safetensors file"
        case .notReadable(let p, let r): return "\(p): not readable (\(r))"
        case .invalidFile(let p, let r): return "\(p): not a valid safetensors file: \(r)"
        case .invalidTensor(let p, let t, let r): return "\(p): tensor '\(t)': \(r)"
        case .noSuchTensor(let p, let t): return "\(p): no tensor named '\(t)'"
        case .notFloatTensor(let p, let t, let d): return "\(p): tensor '\(t)': not a float tensor (dtype \(d.name))"
        case .countMismatch(let p, let t, let e, let g):
            return "\(p): tensor '\(t)': has \(e) elements but the destination holds \(g)"
        case .invalidInput(let p, let t?, let r): return "\(p): tensor '\(t)': \(r)"
        case .invalidInput(let p, nil, let r): return "\(p): \(r)"
        case .notWritable(let p, let r): return "\(p): cannot write (\(r))"
        }
    }
}
