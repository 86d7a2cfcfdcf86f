/// Writes safetensors files the way the reference writer lays them out.
///
/// Tensors are stored sorted by descending dtype size, then by name (UTF-8 byte order), so each one is
/// naturally aligned; the JSON header is padded with spaces to a multiple of 8 bytes. `Float` values are
/// converted to F16/BF16 with round-to-nearest-even (NaN, ±infinity and subnormals handled exactly as
/// `ReducedPrecision` does) and to F64 exactly. The file is written under a temporary hidden name in the
/// same directory and renamed into place only when complete. Duplicate names, `__metadata__` as a tensor
/// name, negative dimensions and value counts that do not match the shape are `invalidInput` errors.
public struct SafetensorsWriter: Sendable {
    /// One tensor to write.
    public struct Tensor: Sendable {
        enum Payload: Sendable {
            case values([Float])
            case bytes([UInt8])
        }

        public let name: String
        public let dtype: DType
        /// Dimensions, outermost first; `[]` for a scalar.
        public let shape: [Int]
        let payload: Payload

        /// `values` in row-major order, stored as `dtype`, which must be F64, F32, F16 or BF16.
        public init(name: String, dtype: DType = .f32, shape: [Int], values: [Float]) {
            self.name = name
            self.dtype = dtype
            self.shape = shape
            self.payload = .values(values)
        }

        /// Already-encoded little-endian element bytes of any dtype (e.g. I64 token ids); the count must be
        /// `numel × dtype.byteSize`.
        public init(name: String, dtype: DType, shape: [Int], rawBytes: [UInt8]) {
            self.name = name
            self.dtype = dtype
            self.shape = shape
            self.payload = .bytes(rawBytes)
        }
    }

    /// Tensors in any order (the file's layout order is decided by `write`).
    public var tensors: [Tensor]
    /// Stored as the header's `__metadata__` object when not empty.
    public var metadata: [String: String]

    public init(tensors: [Tensor] = [], metadata: [String: String] = [:]) {
        self.tensors = tensors
        self.metadata = metadata
    }

    /// Appends a tensor of `Float` values stored as `dtype` (F64, F32, F16 or BF16).
    public mutating func add(_ name: String, dtype: DType = .f32, shape: [Int], values: [Float]) {
        tensors.append(Tensor(name: name, dtype: dtype, shape: shape, values: values))
    }

    /// Writes the file to `path` atomically (temporary hidden name, then rename).
    public func write(to path: String) throws(SafetensorsError) {
        let plan = try layout(path: path)
        let file = try StagedFile(finalPath: path)
        do {
            try emit(plan) { (chunk: [UInt8]) throws(SafetensorsError) in
                try file.append(chunk)
            }
        } catch {
            file.discard()
            throw error
        }
        try file.commit()
    }

    /// The complete file image in memory. `path` only names the target in error messages.
    public func encoded(path: String = "<memory>") throws(SafetensorsError) -> [UInt8] {
        let plan = try layout(path: path)
        var out: [UInt8] = []
        out.reserveCapacity(8 + plan.header.count + plan.dataLength)
        emit(plan) { out.append(contentsOf: $0) }
        return out
    }

    // MARK: - Layout

    private struct Plan {
        var header: [UInt8]
        var ordered: [Tensor]
        var dataLength: Int
    }

    private func layout(path: String) throws(SafetensorsError) -> Plan {
        var seen = Set<String>()
        var sizes: [Int] = []
        for t in tensors {
            func bad(_ reason: String) -> SafetensorsError { .invalidInput(path: path, tensor: t.name, reason: reason) }
            if t.name == "__metadata__" { throw bad("'__metadata__' is reserved and cannot name a tensor") }
            if !seen.insert(t.name).inserted { throw bad("the name appears twice") }
            var numel = 1
            for d in t.shape {
                guard d >= 0 else { throw bad("negative dimension in shape \(SafetensorsHeader.shapeText(t.shape))") }
                let (p, o) = numel.multipliedReportingOverflow(by: d)
                guard !o else { throw bad("shape \(SafetensorsHeader.shapeText(t.shape)) is too large") }
                numel = p
            }
            let (bytes, o) = numel.multipliedReportingOverflow(by: t.dtype.byteSize)
            guard !o else { throw bad("shape \(SafetensorsHeader.shapeText(t.shape)) is too large") }
            switch t.payload {
            case .values(let v):
                guard [.f64, .f32, .f16, .bf16].contains(t.dtype) else {
                    throw bad("Float values can be stored as F64, F32, F16 or BF16, not \(t.dtype.name)")
                }
                guard v.count == numel else {
                    throw bad("\(v.count) values given but shape \(SafetensorsHeader.shapeText(t.shape)) has \(numel) elements")
                }
            case .bytes(let b):
                guard b.count == bytes else {
                    throw bad("\(b.count) bytes given but shape \(SafetensorsHeader.shapeText(t.shape)) of \(t.dtype.name) needs \(bytes)")
                }
            }
            sizes.append(bytes)
        }
        let order = tensors.indices.sorted { a, b in
            let (x, y) = (tensors[a], tensors[b])
            if x.dtype.byteSize != y.dtype.byteSize { return x.dtype.byteSize > y.dtype.byteSize }
            return x.name.utf8.lexicographicallyPrecedes(y.name.utf8)
        }

        var json = "{"
        var first = true
        if !metadata.isEmpty {
            json += "\"__metadata__\":{"
            let keys = metadata.keys.sorted { $0.utf8.lexicographicallyPrecedes($1.utf8) }
            json += keys.map { "\(quotedString($0)):\(quotedString(metadata[$0]!))" }.joined(separator: ",")
            json += "}"
            first = false
        }
        var offset = 0
        for i in order {
            let t = tensors[i]
            if !first { json += "," }
            first = false
            let shape = t.shape.map(String.init).joined(separator: ",")
            json += "\(quotedString(t.name)):{\"dtype\":\"\(t.dtype.name)\",\"shape\":[\(shape)],\"data_offsets\":[\(offset),\(offset + sizes[i])]}"
            offset += sizes[i]
        }
        json += "}"
        var header = Array(json.utf8)
        while header.count % 8 != 0 { header.append(0x20) }
        return Plan(header: header, ordered: order.map { tensors[$0] }, dataLength: offset)
    }

    /// Hands the file image to `sink` in pieces: size field, header, then each tensor's bytes.
    private func emit<E: Error>(_ plan: Plan, _ sink: ([UInt8]) throws(E) -> Void) throws(E) {
        let size = UInt64(plan.header.count)
        try sink((0..<8).map { UInt8(truncatingIfNeeded: size >> (8 * $0)) })
        try sink(plan.header)
        for t in plan.ordered { try sink(Self.encode(t)) }
    }

    /// The little-endian element bytes of one tensor.
    private static func encode(_ t: Tensor) -> [UInt8] {
        switch t.payload {
        case .bytes(let b):
            return b
        case .values(let values):
            var out = [UInt8]()
            out.reserveCapacity(values.count * t.dtype.byteSize)
            func put<T: FixedWidthInteger>(_ x: T) {
                withUnsafeBytes(of: x.littleEndian) { out.append(contentsOf: $0) }
            }
            switch t.dtype {
            case .f64: for v in values { put(Double(v).bitPattern) }
            case .f32: for v in values { put(v.bitPattern) }
            case .f16: for v in values { put(ReducedPrecision.f16Bits(from: v)) }
            case .bf16: for v in values { put(ReducedPrecision.bf16Bits(from: v)) }
            default: preconditionFailure("checked in layout")
            }
            return out
        }
    }
}
