/// The validated contents of a safetensors header: every tensor entry and the metadata.
///
/// `validate` checks everything the format demands before anything is exposed: the 8-byte little-endian
/// header size N (1 ≤ N ≤ 100 MB, 8 + N ≤ file length), UTF-8 JSON starting with `{` (trailing whitespace
/// padding allowed), no duplicate keys, `__metadata__` string → string, known dtypes, non-negative shapes
/// whose element and byte counts do not overflow, `end − begin == numel × dtype size`, offsets that tile the
/// data section from 0 with no hole or overlap, and 8 + N + last end == file length exactly.
struct SafetensorsHeader {
    /// The largest header accepted, in bytes (the reference implementation's limit).
    static let maximumHeaderSize = 100_000_000

    let tensors: [String: SafetensorsFile.TensorInfo]
    let metadata: [String: String]
    /// 8 + N: the file offset where the data section starts.
    let dataStart: Int

    /// Validates the whole file image `file` (the mapped file, `file.count` = file length).
    static func validate(_ file: UnsafeRawBufferPointer, path: String) throws(SafetensorsError) -> SafetensorsHeader {
        func fail(_ reason: String) -> SafetensorsError { .invalidFile(path: path, reason: reason) }
        func bad(_ tensor: String, _ reason: String) -> SafetensorsError {
            .invalidTensor(path: path, tensor: tensor, reason: reason)
        }

        let fileSize = file.count
        if fileSize == 0 { throw fail("the file is empty (0 bytes)") }
        if fileSize < 8 {
            throw fail("the file is \(fileSize) bytes, shorter than the 8-byte header size field")
        }
        let declared = UInt64(littleEndian: file.loadUnaligned(fromByteOffset: 0, as: UInt64.self))
        if declared == 0 { throw fail("the header size is 0") }
        if declared > UInt64(maximumHeaderSize) {
            throw fail("the header size \(declared) exceeds the limit of \(maximumHeaderSize) bytes")
        }
        let headerSize = Int(declared)
        if headerSize > fileSize - 8 {
            throw fail("the header size \(headerSize) needs \(8 + headerSize) bytes but the file has only \(fileSize)")
        }
        let headerBytes = UnsafeRawBufferPointer(rebasing: file[8..<(8 + headerSize)])
        if headerBytes[0] != UInt8(ascii: "{") {
            throw fail("the header does not start with '{'")
        }
        if String(validating: headerBytes, as: UTF8.self) == nil {
            throw fail("the header is not valid UTF-8")
        }
        let json: HeaderJSON
        do {
            json = try HeaderJSON.parse(headerBytes)
        } catch {
            throw fail("the header is not valid JSON: \(error.reason)")
        }
        guard case .object(let members) = json else { throw fail("the header is not a JSON object") }

        var tensors: [String: SafetensorsFile.TensorInfo] = [:]
        var metadata: [String: String] = [:]
        for (key, value) in members {
            if key == "__metadata__" {
                guard case .object(let pairs) = value else {
                    throw fail("__metadata__ must be an object of strings, found \(value.kindName)")
                }
                for (k, v) in pairs {
                    guard case .string(let s) = v else {
                        throw fail("__metadata__ entry '\(k)' must be a string, found \(v.kindName)")
                    }
                    metadata[k] = s
                }
                continue
            }
            guard tensors[key] == nil else { throw bad(key, "appears twice in the header") }
            tensors[key] = try entry(key, value, bad)
        }

        // The data section must be tiled exactly: sorted by offsets, each tensor starts where the last ended.
        let ordered = tensors.values.sorted {
            ($0.byteRange.lowerBound, $0.byteRange.upperBound, $0.name) < ($1.byteRange.lowerBound, $1.byteRange.upperBound, $1.name)
        }
        var expected = 0
        var previous: SafetensorsFile.TensorInfo?
        for info in ordered {
            let begin = info.byteRange.lowerBound
            if begin > expected {
                throw bad(info.name, "data_offsets \(offsets(info)) leave a hole: data bytes \(expected)..<\(begin) belong to no tensor")
            }
            if begin < expected, let p = previous {
                throw bad(info.name, "data_offsets \(offsets(info)) overlap tensor '\(p.name)' at \(offsets(p))")
            }
            expected = info.byteRange.upperBound
            previous = info
        }
        let dataStart = 8 + headerSize
        let dataLength = fileSize - dataStart
        if expected > dataLength {
            throw fail("the tensors need \(expected) data bytes but the file holds only \(dataLength) after the header (truncated?)")
        }
        if expected < dataLength {
            throw fail("\(dataLength - expected) trailing bytes after the last tensor's data")
        }
        return SafetensorsHeader(tensors: tensors, metadata: metadata, dataStart: dataStart)
    }

    private static func offsets(_ info: SafetensorsFile.TensorInfo) -> String {
        "[\(info.byteRange.lowerBound), \(info.byteRange.upperBound)]"
    }

    /// Validates one tensor entry `{"dtype", "shape", "data_offsets"}`; unknown or missing fields are errors.
    private static func entry(
        _ name: String, _ value: HeaderJSON, _ bad: (String, String) -> SafetensorsError
    ) throws(SafetensorsError) -> SafetensorsFile.TensorInfo {
        guard case .object(let fields) = value else {
            throw bad(name, "the entry must be an object, found \(value.kindName)")
        }
        var dtypeValue: HeaderJSON?
        var shapeValue: HeaderJSON?
        var offsetsValue: HeaderJSON?
        for (key, field) in fields {
            switch key {
            case "dtype": dtypeValue = field
            case "shape": shapeValue = field
            case "data_offsets": offsetsValue = field
            default: throw bad(name, "unknown field '\(key)'")
            }
        }
        guard let dtypeValue else { throw bad(name, "missing field 'dtype'") }
        guard let shapeValue else { throw bad(name, "missing field 'shape'") }
        guard let offsetsValue else { throw bad(name, "missing field 'data_offsets'") }

        guard case .string(let dtypeName) = dtypeValue else {
            throw bad(name, "dtype must be a string, found \(dtypeValue.kindName)")
        }
        guard let dtype = DType(rawValue: dtypeName) else {
            let shown = dtypeName.count > 24 ? String(dtypeName.prefix(24)) + "…" : dtypeName
            throw bad(name, "unknown dtype '\(shown)'")
        }

        guard case .array(let dimValues) = shapeValue else {
            throw bad(name, "shape must be an array, found \(shapeValue.kindName)")
        }
        var shape: [Int] = []
        shape.reserveCapacity(dimValues.count)
        var numel = 1
        var overflow = false
        for (axis, dimValue) in dimValues.enumerated() {
            switch dimValue.nonNegativeInt() {
            case .success(let dim):
                shape.append(dim)
                let (product, o) = numel.multipliedReportingOverflow(by: dim)
                numel = product
                overflow = overflow || o
            case .failure(let e):
                throw bad(name, "shape dimension \(axis): \(e.reason)")
            }
        }
        let (byteCount, o2) = numel.multipliedReportingOverflow(by: dtype.byteSize)
        if overflow || o2 {
            throw bad(name, "shape \(shapeText(shape)) of \(dtype.name) has more elements than can be addressed")
        }

        guard case .array(let offsetValues) = offsetsValue else {
            throw bad(name, "data_offsets must be an array of two integers, found \(offsetsValue.kindName)")
        }
        guard offsetValues.count == 2 else {
            throw bad(name, "data_offsets must hold two integers [begin, end], found \(offsetValues.count)")
        }
        var bounds: [Int] = []
        for v in offsetValues {
            switch v.nonNegativeInt() {
            case .success(let x): bounds.append(x)
            case .failure(let e): throw bad(name, "data_offsets: \(e.reason)")
            }
        }
        let begin = bounds[0], end = bounds[1]
        guard begin <= end else {
            throw bad(name, "data_offsets [\(begin), \(end)] end before they begin")
        }
        guard end - begin == byteCount else {
            throw bad(name, "data_offsets [\(begin), \(end)] hold \(end - begin) bytes but shape \(shapeText(shape)) of \(dtype.name) needs \(byteCount)")
        }
        return SafetensorsFile.TensorInfo(name: name, dtype: dtype, shape: shape, byteRange: begin..<end)
    }

    static func shapeText(_ shape: [Int]) -> String {
        "[" + shape.map(String.init).joined(separator: ", ") + "]"
    }
}
