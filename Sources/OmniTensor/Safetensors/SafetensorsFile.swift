#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A read-only safetensors file, memory-mapped (`mmap`, `PROT_READ`, `MAP_PRIVATE`) for its lifetime.
///
/// `init(path:)` validates the whole header and layout before the object exists (see `SafetensorsHeader`),
/// so every accessor afterwards reads only inside the mapping. Tensor data need not be aligned: all reads
/// use unaligned loads or `memcpy`. Values are little-endian as the format prescribes.
///
/// Thread safety: the object is immutable after `init` and the mapping is read-only, so it may be shared
/// between threads (`@unchecked Sendable` because it holds a raw pointer). If another process truncates the
/// file while it is mapped, reading the lost pages raises SIGBUS — the format offers no defence against that.
public final class SafetensorsFile: @unchecked Sendable {
    /// One tensor's header entry.
    public struct TensorInfo: Sendable, Hashable {
        /// The tensor's key in the header.
        public let name: String
        public let dtype: DType
        /// Dimensions, outermost first; `[]` is a rank-0 scalar (one element).
        public let shape: [Int]
        /// `data_offsets` in bytes, relative to the start of the data section (file offset `dataStart`).
        public let byteRange: Range<Int>

        /// Number of elements: the product of `shape` (1 for a scalar, 0 for an empty tensor).
        public var numel: Int { shape.reduce(1, *) }
        /// Bytes of data: `numel × dtype.byteSize`.
        public var byteCount: Int { byteRange.count }
    }

    /// The path as given to `init`.
    public let path: String
    /// Tensor names, sorted.
    public let names: [String]
    /// The `__metadata__` object (empty when absent).
    public let metadata: [String: String]
    /// The file length in bytes.
    public let fileSize: Int
    /// File offset of the data section: 8 + header size.
    public let dataStart: Int

    private let tensors: [String: TensorInfo]
    private let base: UnsafeRawPointer

    /// Opens, maps and fully validates the file at `path`.
    /// Throws `notFound`, `isDirectory`, `notReadable`, `invalidFile` or `invalidTensor`.
    public init(path: String) throws(SafetensorsError) {
        let fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK)
        if fd < 0 {
            let code = errno
            switch code {
            case ENOENT, ENOTDIR: throw .notFound(path: path)
            case EISDIR: throw .isDirectory(path: path)
            default: throw .notReadable(path: path, reason: String(cString: strerror(code)))
            }
        }
        defer { close(fd) }
        var status = stat()
        if fstat(fd, &status) != 0 {
            throw .notReadable(path: path, reason: String(cString: strerror(errno)))
        }
        if (status.st_mode & S_IFMT) == S_IFDIR { throw .isDirectory(path: path) }
        if (status.st_mode & S_IFMT) != S_IFREG { throw .notReadable(path: path, reason: "not a regular file") }
        guard status.st_size > 0 else {
            throw .invalidFile(path: path, reason: "the file is empty (0 bytes)")
        }
        guard let size = Int(exactly: status.st_size) else {
            throw .notReadable(path: path, reason: "file too large to map")
        }
        let mapped = mmap(nil, size, PROT_READ, MAP_PRIVATE, fd, 0)
        guard let mapped, mapped != UnsafeMutableRawPointer(bitPattern: -1) else {
            throw .notReadable(path: path, reason: "cannot map the file: \(String(cString: strerror(errno)))")
        }
        let image = UnsafeRawBufferPointer(start: mapped, count: size)
        let header: SafetensorsHeader
        do {
            header = try SafetensorsHeader.validate(image, path: path)
        } catch {
            munmap(mapped, size)
            throw error
        }
        self.path = path
        self.base = UnsafeRawPointer(mapped)
        self.fileSize = size
        self.dataStart = header.dataStart
        self.tensors = header.tensors
        self.metadata = header.metadata
        self.names = header.tensors.keys.sorted()
    }

    deinit {
        munmap(UnsafeMutableRawPointer(mutating: base), fileSize)
    }

    /// True if a tensor of that name exists.
    public func contains(_ name: String) -> Bool { tensors[name] != nil }

    /// The header entry of tensor `name`; throws `noSuchTensor` if there is none.
    public func info(_ name: String) throws(SafetensorsError) -> TensorInfo {
        guard let info = tensors[name] else { throw .noSuchTensor(path: path, tensor: name) }
        return info
    }

    /// The tensor's bytes exactly as stored (little-endian, possibly unaligned), valid only while this object
    /// lives: keep a reference (or use `withExtendedLifetime`) for as long as the pointer is used. Use it to
    /// keep F16/BF16 weights half-size and widen them per layer with `ReducedPrecision.widen`.
    public func rawBytes(_ name: String) throws(SafetensorsError) -> UnsafeRawBufferPointer {
        let info = try info(name)
        return UnsafeRawBufferPointer(start: base + dataStart + info.byteRange.lowerBound, count: info.byteCount)
    }

    /// The tensor's elements as `Float` in row-major order: F32 as stored, F16/BF16/F8 widened exactly, F64
    /// rounded to nearest. Integer and BOOL tensors throw `notFloatTensor`.
    public func readFloats(_ name: String) throws(SafetensorsError) -> [Float] {
        let info = try floatInfo(name)
        let raw = UnsafeRawBufferPointer(start: base + dataStart + info.byteRange.lowerBound, count: info.byteCount)
        return [Float](unsafeUninitializedCapacity: info.numel) { buffer, count in
            ReducedPrecision.widen(raw, dtype: info.dtype, into: UnsafeMutableBufferPointer(rebasing: buffer[0..<info.numel]))
            count = info.numel
        }
    }

    /// Like `readFloats(_:)`, writing into `destination`, whose count must equal the tensor's `numel`
    /// (else `countMismatch`).
    public func readFloats(_ name: String, into destination: UnsafeMutableBufferPointer<Float>) throws(SafetensorsError) {
        let info = try floatInfo(name)
        guard destination.count == info.numel else {
            throw .countMismatch(path: path, tensor: name, expected: info.numel, got: destination.count)
        }
        let raw = UnsafeRawBufferPointer(start: base + dataStart + info.byteRange.lowerBound, count: info.byteCount)
        ReducedPrecision.widen(raw, dtype: info.dtype, into: destination)
    }

    private func floatInfo(_ name: String) throws(SafetensorsError) -> TensorInfo {
        let info = try info(name)
        guard info.dtype.isFloatingPoint else {
            throw .notFloatTensor(path: path, tensor: name, dtype: info.dtype)
        }
        return info
    }
}
