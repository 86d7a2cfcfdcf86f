import Foundation
import Synchronization

/// Recycles Float32 buffers by size class so that, after warm-up, a denoising step or a training step
/// allocates no activation memory from `malloc`. Buffers are 64-byte aligned. Sizes are in elements.
///
/// Size classes are the next value of the form m·2^k with m ∈ {4, 5, 6, 7}, so a buffer is at most 25 %
/// larger than asked. Freed buffers are kept while the cached total stays under `cacheLimitBytes`.
public final class BufferPool: Sendable {
    public static let shared = BufferPool()

    /// Counters for benchmarks and tests.
    public struct Statistics: Sendable, Equatable {
        /// Buffers obtained from the system allocator.
        public var systemAllocations = 0
        /// Requests served from the cache.
        public var reuses = 0
        /// Bytes currently handed out.
        public var liveBytes = 0
        /// The most bytes handed out at once since the last `resetPeak()`.
        public var peakLiveBytes = 0
        /// Bytes held in the cache, ready for reuse.
        public var cachedBytes = 0
    }

    private struct State {
        /// Free buffers by capacity, as addresses (raw pointers are not Sendable into a Mutex).
        var free: [Int: [UInt]] = [:]
        var stats = Statistics()
    }
    private let state = Mutex(State())
    public let cacheLimitBytes: Int

    public init(cacheLimitBytes: Int = 4 << 30) { self.cacheLimitBytes = cacheLimitBytes }

    /// The largest request: 2⁵⁶ elements (256 PiB of Float32).
    public static let maxElements = 1 << 56

    /// The capacity actually allocated for a request of `count` elements.
    public static func sizeClass(_ count: Int) -> Int {
        // Above this the search below would shift past Int's width (and no machine has the memory anyway);
        // configs are checked against a memory budget long before, so reaching it is a bug, not an input.
        precondition(count <= maxElements, "a tensor of \(count) elements is larger than any buffer this pool hands out (\(maxElements))")
        if count <= 16 { return 16 }
        var k = 0
        while (7 << k) < count { k += 1 }
        for m in 4...7 where m << k >= count { return m << k }
        return 7 << k
    }

    /// A buffer of at least `count` elements, uninitialised. Its capacity is `sizeClass(count)`.
    public func acquire(_ count: Int) -> UnsafeMutablePointer<Float> {
        let capacity = Self.sizeClass(count)
        let bytes = capacity * MemoryLayout<Float>.stride
        let cached: UInt? = state.withLock { s in
            s.stats.liveBytes += bytes
            s.stats.peakLiveBytes = max(s.stats.peakLiveBytes, s.stats.liveBytes)
            if var list = s.free[capacity], let p = list.popLast() {
                s.free[capacity] = list
                s.stats.reuses += 1
                s.stats.cachedBytes -= bytes
                return p
            }
            s.stats.systemAllocations += 1
            return nil
        }
        if let cached { return UnsafeMutablePointer(bitPattern: cached)! }
        var raw: UnsafeMutableRawPointer?
        guard posix_memalign(&raw, 64, bytes) == 0, let raw else {
            fatalError("out of memory allocating \(bytes) bytes for a tensor")
        }
        return raw.bindMemory(to: Float.self, capacity: capacity)
    }

    /// Returns a buffer obtained from `acquire(count)`.
    public func release(_ pointer: UnsafeMutablePointer<Float>, count: Int) {
        let capacity = Self.sizeClass(count)
        let bytes = capacity * MemoryLayout<Float>.stride
        let address = UInt(bitPattern: pointer)
        let keep = state.withLock { s -> Bool in
            s.stats.liveBytes -= bytes
            guard s.stats.cachedBytes + bytes <= cacheLimitBytes else { return false }
            s.free[capacity, default: []].append(address)
            s.stats.cachedBytes += bytes
            return true
        }
        if !keep { free(pointer) }
    }

    public var statistics: Statistics { state.withLock { $0.stats } }

    public func resetPeak() { state.withLock { $0.stats.peakLiveBytes = $0.stats.liveBytes } }

    /// Frees every cached buffer.
    public func trim() {
        let lists = state.withLock { s -> [[UInt]] in
            let lists = Array(s.free.values)
            s.free.removeAll()
            s.stats.cachedBytes = 0
            return lists
        }
        for list in lists { for address in list { free(UnsafeMutableRawPointer(bitPattern: address)) } }
    }
}

/// The memory behind one or more tensors (a reshape shares it). Returns its buffer to the pool when the last
/// tensor using it goes away.
final class TensorStorage: @unchecked Sendable {
    let pointer: UnsafeMutablePointer<Float>
    let count: Int

    init(count: Int) {
        self.count = count
        self.pointer = BufferPool.shared.acquire(max(count, 1))
    }

    deinit { BufferPool.shared.release(pointer, count: max(count, 1)) }
}
