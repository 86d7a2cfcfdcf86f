/// Loading and saving a module's tensors as safetensors, strictly: every key the module declares must be in
/// the file with the same shape, every tensor in the file must be used (stable-diffusion.cpp / mlx style), and
/// every value must be finite.
extension Module {
    /// Fills every tensor of the module from `file` (F32/F16/BF16/F64 widened to Float32). Keys are the
    /// module's keys with `prefix` in front; with a prefix, tensors of the file outside it are not "unused".
    public func load(from file: SafetensorsFile, prefix: String = "") throws(CheckpointError) {
        let expected = namedTensors()
        let keys = Set(expected.map { prefix + $0.key })
        let missing = expected.map { prefix + $0.key }.filter { !file.contains($0) }
        let unused = file.names.filter { (prefix.isEmpty || $0.hasPrefix(prefix)) && !keys.contains($0) }
        if !missing.isEmpty || !unused.isEmpty {
            throw .keysMismatch(path: file.path, missing: missing, unused: unused)
        }
        for (key, tensor) in expected {
            let info: SafetensorsFile.TensorInfo
            do { info = try file.info(prefix + key) } catch { throw .read(error) }
            guard info.shape == tensor.shape else {
                throw .shapeMismatch(path: file.path, key: prefix + key, expected: tensor.shape, found: info.shape)
            }
            do { try file.readFloats(prefix + key, into: tensor.buffer) } catch { throw .read(error) }
            // A NaN or infinity in one weight turns every frame black; refuse it here, naming the tensor.
            if let bad = tensor.buffer.firstIndex(where: { !$0.isFinite }) {
                throw .nonFinite(path: file.path, key: prefix + key, index: bad, value: tensor.buffer[bad])
            }
        }
    }

    /// Loads from a safetensors file at `path`.
    public func load(path: String, prefix: String = "") throws(CheckpointError) {
        let file: SafetensorsFile
        do { file = try SafetensorsFile(path: path) } catch { throw .read(error) }
        try load(from: file, prefix: prefix)
    }

    /// The module's tensors as writer entries (`dtype` F32, F16 or BF16), keys prefixed.
    public func checkpointEntries(dtype: DType = .f32, prefix: String = "") -> [SafetensorsWriter.Tensor] {
        namedTensors().map { SafetensorsWriter.Tensor(name: prefix + $0.key, dtype: dtype, shape: $0.tensor.shape, values: $0.tensor.values) }
    }

    /// Writes the module's tensors to `path` (through a temporary file renamed when complete).
    public func save(path: String, dtype: DType = .f32, metadata: [String: String] = [:]) throws(CheckpointError) {
        do { try SafetensorsWriter(tensors: checkpointEntries(dtype: dtype), metadata: metadata).write(to: path) }
        catch { throw .read(error) }
    }
}

/// Why a checkpoint does not fit a module. Messages name the file and the keys.
public enum CheckpointError: Error, Equatable, CustomStringConvertible {
    case keysMismatch(path: String, missing: [String], unused: [String])
    case shapeMismatch(path: String, key: String, expected: [Int], found: [Int])
    case nonFinite(path: String, key: String, index: Int, value: Float)
    case read(SafetensorsError)

    public var description: String {
        switch self {
        case .keysMismatch(let p, let missing, let unused):
            func list(_ keys: [String]) -> String {
                keys.prefix(5).joined(separator: ", ") + (keys.count > 5 ? " and \(keys.count - 5) more" : "")
            }
            var parts: [String] = []
            if !missing.isEmpty { parts.append("missing \(missing.count) key(s): \(list(missing))") }
            if !unused.isEmpty { parts.append("unused \(unused.count) key(s): \(list(unused))") }
            return "\(p): checkpoint does not fit the model: " + parts.joined(separator: "; ")
        case .shapeMismatch(let p, let k, let e, let f):
            return "\(p): tensor '\(k)' has shape \(f), the model needs \(e)"
        case .nonFinite(let p, let k, let i, let v):
            return "\(p): tensor '\(k)' holds \(v) at element \(i); a model's weights must be finite numbers"
        case .read(let e): return e.description
        }
    }
}
