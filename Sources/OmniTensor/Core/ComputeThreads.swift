import COpenBLAS
import Dispatch
import Foundation
import Synchronization

/// How many threads OmniTensor computes with: `OMNISTUDIO_THREADS`, or the number of cores. Every kernel,
/// GEMMs included, splits its work with `DispatchQueue.concurrentPerform`; OpenBLAS itself always runs on one
/// thread (the calling one).
///
/// Why OpenBLAS never gets threads: its threaded sgemm partitions work by the thread count, and on some
/// processors (seen on an EPYC of family 25, model 17, with 0.3.21's Zen kernels) a product computed on two
/// threads — or even its rows computed in two separate calls — differs in the last bits from one call on one
/// thread, so results would depend on `OMNISTUDIO_THREADS`. `GEMM.sgemm` instead cuts a large product into
/// row or column chunks whose boundaries depend only on its shape, and runs them on the workers: the same calls,
/// hence the same bits, for any thread count.
///
/// `parallelTasks` (and `withSingleThreadedBLAS`) mark regions whose workers call sgemm concurrently; a GEMM
/// called there is one cblas call on the calling thread (kernels enter such regions for reasons that do not
/// depend on the thread count, so that choice is the same on any number of threads too).
public enum ComputeThreads {
    private static let configured: Int = {
        let env = ProcessInfo.processInfo.environment["OMNISTUDIO_THREADS"].flatMap { Int($0) }
        let count = max(1, env ?? ProcessInfo.processInfo.activeProcessorCount)
        openblas_set_num_threads(1)
        return count
    }()

    nonisolated(unsafe) private static var override: Int?

    /// Threads in use (≥ 1).
    public static var count: Int { override ?? configured }

    /// Sets the thread count for this process (benchmarks and tests). Call from one thread, between kernels.
    public static func set(_ count: Int) {
        _ = configured
        override = max(1, count)
    }

    nonisolated(unsafe) private static var singleThreadedBLASDepth = 0

    /// Runs `body` as a region whose sgemm calls may come from several threads at once (e.g. from
    /// `parallelTasks`): each call runs on its calling thread (OpenBLAS 0.3.21's pthread build is safe to call
    /// concurrently that way) and a GEMM inside is one cblas call, never cut into chunks. A kernel must enter
    /// the region (or not) for reasons that do not depend on the thread count — that is what keeps its GEMM
    /// calls, and so its bits, the same on one thread and on many. Call it from the thread that runs kernels,
    /// never from a worker; it nests.
    public static func withSingleThreadedBLAS<R>(_ body: () throws -> R) rethrows -> R {
        singleThreadedBLASDepth += 1
        defer { singleThreadedBLASDepth -= 1 }
        return try body()
    }

    /// Whether the caller is inside a `withSingleThreadedBLAS` region.
    static var inSGEMMRegion: Bool { singleThreadedBLASDepth > 0 }

    /// How many workers `parallelTasks(total, …)` uses: min(`count`, `total`), at least 1.
    public static func workers(forTasks total: Int) -> Int { max(1, min(count, total)) }

    /// How one GEMM of `m × n × k` (C is m × n) is cut into single-threaded cblas calls for the workers: a
    /// function of the shape alone, never of the thread count. `nil` (one call) inside an sgemm region and for
    /// products under 8 MFLOP; else 2, 4 or 8 parts (one per 128 MFLOP, so a 2-, 4- or 8-core machine gets equal
    /// shares) along the longer of C's sides, in chunks of a multiple of 16, each at least 64 long. Each part
    /// packs the other operand whole, so cutting the longer side packs the smaller one again per part: at the
    /// one-pass DiT's 448 × 768 × 256 that is 0.93 of sgemm where 7 row chunks of 64 gave 0.77 (`bench kernels`).
    static func gemmSplit(m: Int, n: Int, k: Int) -> GEMMSplit? {
        let flops = 2 * m * n * k
        guard flops >= 8_000_000, !inSGEMMRegion else { return nil }
        let columns = n > m
        let length = columns ? n : m
        var parts = 2
        while parts < 8 && parts * 2 * 128_000_000 <= flops && length / (parts * 2) >= 64 { parts *= 2 }
        guard length / parts >= 64 else { return nil }
        return GEMMSplit(columns: columns, chunk: ((length + parts - 1) / parts + 15) / 16 * 16)
    }

    /// A GEMM cut into parts: `chunk` rows of C (and of op(A)) per part, or `chunk` columns of C (and of
    /// op(B)) when `columns`; the last part takes the remainder.
    struct GEMMSplit: Equatable {
        var columns: Bool
        var chunk: Int
    }

    /// Runs `body(0..<parts)`: on Dispatch workers when there are threads to use and no sgemm region is active
    /// (see `withSingleThreadedBLAS`), else in order on the calling thread. Either way each part is the same call.
    static func gemmParallel(_ parts: Int, _ body: (Int) -> Void) {
        if count <= 1 || singleThreadedBLASDepth > 0 || parts <= 1 {
            for p in 0..<parts { body(p) }
            return
        }
        withSingleThreadedBLAS {
            withoutActuallyEscaping(body) { body in
                let shared = UncheckedSendable(body)
                DispatchQueue.concurrentPerform(iterations: parts) { shared.value($0) }
            }
        }
    }

    /// Runs tasks `0..<total`, each exactly once, on `workers(forTasks: total)` workers that claim them in
    /// order as they become free. `body(worker, task)`: `worker` in `0..<workers` is stable for the worker's
    /// lifetime (index per-worker scratch with it; one worker runs one task at a time). The run is an sgemm
    /// region (`withSingleThreadedBLAS`), so `body` may call sgemm; it must not call `parallelFor` or
    /// `parallelTasks`. Tasks must write disjoint outputs. With one worker the tasks run in order on the calling
    /// thread (still inside the region, so their GEMMs are the same calls).
    public static func parallelTasks(_ total: Int, _ body: (_ worker: Int, _ task: Int) -> Void) {
        let workers = workers(forTasks: total)
        if workers <= 1 {
            withSingleThreadedBLAS { for t in 0..<total { body(0, t) } }
            return
        }
        let next = TaskCounter()
        withSingleThreadedBLAS {
            withoutActuallyEscaping(body) { body in
                let shared = UncheckedSendable(body)
                DispatchQueue.concurrentPerform(iterations: workers) { w in
                    while true {
                        let t = next.claim()
                        if t >= total { break }
                        shared.value(w, t)
                    }
                }
            }
        }
    }

    /// Runs `body` over `0..<count` split into contiguous chunks of at least `grain` items, in parallel when
    /// there is enough work. Chunk boundaries never change results: each index is handled exactly once.
    @inline(__always)
    public static func parallelFor(_ total: Int, grain: Int = 4096, _ body: (Range<Int>) -> Void) {
        let threads = count
        if threads <= 1 || total < grain * 2 {
            if total > 0 { body(0..<total) }
            return
        }
        let chunks = min(threads * 4, (total + grain - 1) / grain)
        let size = (total + chunks - 1) / chunks
        withoutActuallyEscaping(body) { body in
            // Kernels hand raw pointers to disjoint ranges; the chunks never overlap, so sharing is safe.
            let shared = UncheckedSendable(body)
            DispatchQueue.concurrentPerform(iterations: chunks) { c in
                let start = c * size
                let end = min(total, start + size)
                if start < end { shared.value(start..<end) }
            }
        }
    }
}

/// Carries a value the compiler cannot prove Sendable across threads, where the caller guarantees the
/// accesses do not race (disjoint output ranges).
struct UncheckedSendable<Value>: @unchecked Sendable {
    let value: Value
    init(_ value: Value) { self.value = value }
}

/// Hands out task indices 0, 1, 2, … to `parallelTasks` workers.
private final class TaskCounter: Sendable {
    private let value = Atomic<Int>(0)
    func claim() -> Int { value.wrappingAdd(1, ordering: .relaxed).oldValue }
}
