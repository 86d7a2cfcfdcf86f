/// An element type as named in a safetensors header (`"F32"`, `"BF16"`, …).
///
/// `byteSize` is the size of one element in bytes; `numel × byteSize` is the exact byte length a tensor
/// of that type occupies in the file. The 8-bit float formats are known so that files holding them
/// validate; `isFloatingPoint` says whether `SafetensorsFile.readFloats` can widen the type to `Float`.
public enum DType: String, Sendable, Hashable, CaseIterable, Codable {
    case f64 = "F64"
    case f32 = "F32"
    case f16 = "F16"
    case bf16 = "BF16"
    case f8E4M3 = "F8_E4M3"
    case f8E5M2 = "F8_E5M2"
    case i64 = "I64"
    case i32 = "I32"
    case i16 = "I16"
    case i8 = "I8"
    case u64 = "U64"
    case u32 = "U32"
    case u16 = "U16"
    case u8 = "U8"
    case bool = "BOOL"

    /// Bytes per element.
    public var byteSize: Int {
        switch self {
        case .f64, .i64, .u64: return 8
        case .f32, .i32, .u32: return 4
        case .f16, .bf16, .i16, .u16: return 2
        case .f8E4M3, .f8E5M2, .i8, .u8, .bool: return 1
        }
    }

    /// True for the types `readFloats` converts to `Float` (F64, F32, F16, BF16, F8_E4M3, F8_E5M2).
    public var isFloatingPoint: Bool {
        switch self {
        case .f64, .f32, .f16, .bf16, .f8E4M3, .f8E5M2: return true
        default: return false
        }
    }

    /// The name used in safetensors headers, e.g. `"BF16"`.
    public var name: String { rawValue }
}
