import Foundation
import OmniMedia

/// The binary training shard: many clips in one memory-mappable file.
///
/// Layout (little-endian, every section starting on an 8-byte boundary):
/// - file header, 64 bytes: magic "OWSHARD\0", version u32 (= 1), header size u32 (= 64), clip count u32,
///   reserved u32, index offset u64, file length u64, zero padding;
/// - records, each: a 64-byte record header (width, height, frame count u32; fps f32; sample rate, audio sample
///   count, caption byte count u32; zero padding), then frames (u8, T·H·W·3), reference (u8, H·W·3), audio (f32),
///   pose (f32, T·18·3), mouth (f32, T), energy (f32, T), caption (UTF-8), each padded to 8 bytes;
/// - the index at the end: per clip its record offset u64, length u64 and FNV-1a 64 checksum of the record bytes.
///
/// Written under a temporary name and renamed when complete (`ShardWriter`); read with validation of every size and
/// offset and, per record, the checksum (`ShardReader`). Errors name the file and the reason.
public enum Shard {
    public static let magic: [UInt8] = Array("OWSHARD".utf8) + [0]
    public static let version: UInt32 = 1
    static let headerSize = 64
    static let recordHeaderSize = 64

    /// Bytes to pad `n` up to a multiple of 8.
    static func padding(_ n: Int) -> Int { (8 - n % 8) % 8 }

    /// Writes `records` to `path` in one go.
    public static func write(_ records: [ShardRecord], to path: String) throws(WorldError) {
        let writer = try ShardWriter(path: path)
        do throws(WorldError) {
            for record in records { try writer.append(record) }
            try writer.finish()
        } catch {
            writer.cancel()
            throw error
        }
    }
}

/// Little-endian byte building.
extension Data {
    mutating func append<T: FixedWidthInteger>(le value: T) {
        Swift.withUnsafeBytes(of: value.littleEndian) { append(contentsOf: $0) }
    }
    mutating func append(le value: Float) { append(le: value.bitPattern) }
    mutating func appendPadding() { append(contentsOf: [UInt8](repeating: 0, count: Shard.padding(count))) }
    mutating func append(floats: [Float]) {
        #if _endian(little)
        floats.withUnsafeBytes { append(contentsOf: $0) }
        #else
        for v in floats { append(le: v) }
        #endif
    }
}

/// Streams records into a new shard file (temporary name until `finish()`).
public final class ShardWriter {
    public let path: String
    private let pending: PendingFile
    private let handle: FileHandle
    private var index: [(offset: UInt64, length: UInt64, checksum: UInt64)] = []
    private var position: UInt64 = UInt64(Shard.headerSize)
    private var done = false

    public init(path: String) throws(WorldError) {
        self.path = path
        pending = PendingFile(finalPath: path)
        guard FileManager.default.createFile(atPath: pending.temporaryPath, contents: Data(count: Shard.headerSize)),
              let handle = FileHandle(forWritingAtPath: pending.temporaryPath) else {
            throw .io(path: path, reason: "cannot create the shard (is the folder there and writable?)")
        }
        self.handle = handle
        do { try handle.seekToEnd() } catch { throw .io(path: path, reason: "cannot write: \(error.localizedDescription)") }
    }

    deinit { if !done { cancel() } }

    /// Appends one clip.
    public func append(_ r: ShardRecord) throws(WorldError) {
        precondition(!done, "the shard writer is finished")
        var data = Data()
        let caption = Array(r.caption.utf8)
        for v in [r.width, r.height, r.frameCount] { data.append(le: UInt32(v)) }
        data.append(le: r.fps)
        for v in [r.sampleRate, r.audio.count, caption.count] { data.append(le: UInt32(v)) }
        data.append(contentsOf: [UInt8](repeating: 0, count: Shard.recordHeaderSize - data.count))
        data.append(contentsOf: r.frames); data.appendPadding()
        data.append(contentsOf: r.reference); data.appendPadding()
        data.append(floats: r.audio); data.appendPadding()
        data.append(floats: r.pose); data.appendPadding()
        data.append(floats: r.mouth); data.appendPadding()
        data.append(floats: r.energy); data.appendPadding()
        data.append(contentsOf: caption); data.appendPadding()
        let checksum = data.withUnsafeBytes { FNV.hash64($0) }
        do { try handle.write(contentsOf: data) } catch { throw .io(path: path, reason: "cannot write: \(error.localizedDescription)") }
        index.append((position, UInt64(data.count), checksum))
        position += UInt64(data.count)
    }

    /// Writes the index and header and renames the file into place.
    public func finish() throws(WorldError) {
        precondition(!done, "the shard writer is finished")
        var tail = Data()
        for entry in index { tail.append(le: entry.offset); tail.append(le: entry.length); tail.append(le: entry.checksum) }
        var header = Data(Shard.magic)
        header.append(le: Shard.version)
        header.append(le: UInt32(Shard.headerSize))
        header.append(le: UInt32(index.count))
        header.append(le: UInt32(0))
        header.append(le: position)
        header.append(le: position + UInt64(tail.count))
        header.append(contentsOf: [UInt8](repeating: 0, count: Shard.headerSize - header.count))
        do {
            try handle.write(contentsOf: tail)
            try handle.seek(toOffset: 0)
            try handle.write(contentsOf: header)
            try handle.synchronize()
            try handle.close()
        } catch {
            cancel()
            throw .io(path: path, reason: "cannot write: \(error.localizedDescription)")
        }
        done = true
        do { try pending.commit() } catch { throw .io(path: path, reason: error.description) }
    }

    /// Stops and removes the temporary file.
    public func cancel() {
        done = true
        try? handle.close()
        pending.discard()
    }
}

/// Reads a shard through a memory map, validating its structure on open and each record's checksum on access.
public final class ShardReader: @unchecked Sendable {
    public let path: String
    private let data: Data
    private let entries: [(offset: Int, length: Int, checksum: UInt64)]

    /// Clips in the shard.
    public var count: Int { entries.count }

    public init(path: String) throws(WorldError) {
        self.path = path
        guard FileManager.default.fileExists(atPath: path) else { throw .io(path: path, reason: "no such file") }
        do { data = try Data(contentsOf: URL(fileURLWithPath: path), options: .alwaysMapped) } catch {
            throw .io(path: path, reason: "cannot read: \(error.localizedDescription)")
        }
        func fail(_ reason: String) -> WorldError { .corruptShard(path: path, reason: reason) }
        guard data.count >= Shard.headerSize else { throw fail("the file is \(data.count) bytes, shorter than the \(Shard.headerSize)-byte header") }
        guard Array(data.prefix(8)) == Shard.magic else { throw fail("wrong magic (not a shard file)") }
        let bytes = data
        func u32(_ at: Int) -> UInt32 { bytes.withUnsafeBytes { UInt32(littleEndian: $0.loadUnaligned(fromByteOffset: at, as: UInt32.self)) } }
        func u64(_ at: Int) -> UInt64 { bytes.withUnsafeBytes { UInt64(littleEndian: $0.loadUnaligned(fromByteOffset: at, as: UInt64.self)) } }
        let version = u32(8)
        guard version == Shard.version else { throw fail("version \(version), this build reads version \(Shard.version)") }
        guard u32(12) == UInt32(Shard.headerSize) else { throw fail("header size \(u32(12)), expected \(Shard.headerSize)") }
        let count = Int(u32(16))
        let indexOffset = u64(24), fileLength = u64(32)
        guard fileLength == UInt64(data.count) else {
            throw fail(fileLength > UInt64(data.count) ? "truncated: \(data.count) of \(fileLength) bytes" : "\(UInt64(data.count) - fileLength) unexpected bytes after the end")
        }
        guard indexOffset >= UInt64(Shard.headerSize), indexOffset + UInt64(count) * 24 == fileLength else {
            throw fail("the index (\(count) entries at \(indexOffset)) does not end at the end of the file")
        }
        var entries: [(Int, Int, UInt64)] = []
        var expected = Shard.headerSize
        for i in 0..<count {
            let at = Int(indexOffset) + i * 24
            let offset = u64(at), length = u64(at + 8)
            guard offset == UInt64(expected), length >= UInt64(Shard.recordHeaderSize), offset + length <= indexOffset else {
                throw fail("record \(i): offset \(offset) / length \(length) out of place")
            }
            entries.append((Int(offset), Int(length), u64(at + 16)))
            expected = Int(offset + length)
        }
        guard expected == Int(indexOffset) else { throw fail("\(Int(indexOffset) - expected) unaccounted bytes before the index") }
        self.entries = entries
    }

    /// Record `i`; with `verify` its checksum is checked first.
    public func record(_ i: Int, verify: Bool = true) throws(WorldError) -> ShardRecord {
        precondition(i >= 0 && i < entries.count, "record \(i) of \(entries.count)")
        let entry = entries[i]
        func fail(_ reason: String) -> WorldError { .corruptShard(path: path, reason: "record \(i): \(reason)") }
        let result = data.withUnsafeBytes { (raw: UnsafeRawBufferPointer) -> Result<ShardRecord, WorldError> in
            let rec = UnsafeRawBufferPointer(rebasing: raw[entry.offset..<(entry.offset + entry.length)])
            if verify && FNV.hash64(rec) != entry.checksum { return .failure(fail("checksum mismatch (the data is damaged)")) }
            func u32(_ at: Int) -> Int { Int(UInt32(littleEndian: rec.loadUnaligned(fromByteOffset: at, as: UInt32.self))) }
            let width = u32(0), height = u32(4), frames = u32(8)
            let fps = Float(bitPattern: UInt32(u32(12)))
            let sampleRate = u32(16), audioCount = u32(20), captionCount = u32(24)
            guard width > 0, height > 0, width <= 8192, height <= 8192, fps > 0, fps.isFinite, sampleRate > 0 else {
                return .failure(fail("bad header (\(width)×\(height), \(fps) fps, \(sampleRate) Hz)"))
            }
            let sections = [frames * width * height * 3, width * height * 3, audioCount * 4, frames * 54 * 4, frames * 4, frames * 4, captionCount]
            let total = Shard.recordHeaderSize + sections.reduce(0) { $0 + $1 + Shard.padding($1) }
            guard total == entry.length else { return .failure(fail("sizes in the record header need \(total) bytes, the record has \(entry.length)")) }
            var at = Shard.recordHeaderSize
            func take(_ n: Int) -> UnsafeRawBufferPointer {
                defer { at += n + Shard.padding(n) }
                return UnsafeRawBufferPointer(rebasing: rec[at..<(at + n)])
            }
            func floats(_ n: Int) -> [Float] {
                let b = take(n * 4)
                return (0..<n).map { Float(bitPattern: UInt32(littleEndian: b.loadUnaligned(fromByteOffset: $0 * 4, as: UInt32.self))) }
            }
            let frameBytes = Array(take(sections[0])), reference = Array(take(sections[1]))
            let audio = floats(audioCount), pose = floats(frames * 54), mouth = floats(frames), energy = floats(frames)
            guard let caption = String(validating: take(captionCount), as: UTF8.self) else { return .failure(fail("the caption is not UTF-8")) }
            return .success(ShardRecord(width: width, height: height, fps: fps, sampleRate: sampleRate, frameCount: frames,
                               frames: frameBytes, reference: reference, audio: audio, pose: pose, mouth: mouth,
                               energy: energy, caption: caption))
        }
        return try result.get()
    }
}
