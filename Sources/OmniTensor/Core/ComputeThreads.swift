import COpenBLAS
import Dispatch
import Foundation
import Synchronization

/// How many threads OmniTensor computes with: `OMNISTUDIO_THREADS`, or the number of cores. GEMMs run on
/// OpenBLAS's threads; every other kernel splits its work with `DispatchQueue.concurrentPerform`. The two never
/// run at once: kernels call sgemm only from the calling thread, never from inside `parallelFor`.
///
/// The one exception is `parallelTasks` (and, more generally, `withSingleThreadedBLAS`): for its duration
/// OpenBLAS is set to one thread, so an sgemm called from any worker runs entirely on that worker's thread
/// and OpenBLAS's own pool gets no work. Then, and only then, tasks may call sgemm concurrently. Results do
/// not depend on which worker runs a task, so a kernel whose tasks each compute a fixed part of the output
/// with single-threaded sgemm gives the same bits for any thread count.
///
/// OpenBLAS's idle pool threads spin (`sched_yield`) for a while after each threaded sgemm before they sleep;
/// the spin time is `OPENBLAS_THREAD_TIMEOUT` (read once when the library loads, 2^4…2^30 cycles, default
/// 2^28). OpenBLAS 0.3.21 has no call to change it or to park the pool at run time.
public enum ComputeThreads {
    private static let configured: Int = {
        let env = ProcessInfo.processInfo.environment["OMNISTUDIO_THREADS"].flatMap { Int($0) }
        let count = max(1, env ?? ProcessInfo.processInfo.activeProcessorCount)
        openblas_set_num_threads(Int32(count))
        return count
    }()

    nonisolated(unsafe) private static var override: Int?

    /// Threads in use (≥ 1).
    public static var count: Int { override ?? configured }

    /// Sets the thread count for this process (benchmarks and tests). Call from one thread, between kernels.
    public static func set(_ count: Int) {
        _ = configured
        override = max(1, count)
        openblas_set_num_threads(Int32(max(1, count)))
    }

    nonisolated(unsafe) private static var singleThreadedBLASDepth = 0

    /// Runs `body` with OpenBLAS limited to one thread and restores `count` BLAS threads afterwards. Inside,
    /// sgemm may be called from several threads at once (e.g. from `parallelTasks`): each call runs on its
    /// calling thread, and OpenBLAS 0.3.21 (pthread build) is safe to call concurrently that way. Call it from
    /// the thread that runs kernels, never from a worker; it nests. With `count` = 1 it only runs `body`.
    public static func withSingleThreadedBLAS<R>(_ body: () throws -> R) rethrows -> R {
        if count <= 1 { return try body() }
        singleThreadedBLASDepth += 1
        if singleThreadedBLASDepth == 1 { openblas_set_num_threads(1) }
        defer {
            singleThreadedBLASDepth -= 1
            if singleThreadedBLASDepth == 0 { openblas_set_num_threads(Int32(count)) }
        }
        return try body()
    }

    /// How many workers `parallelTasks(total, …)` uses: min(`count`, `total`), at least 1.
    public static func workers(forTasks total: Int) -> Int { max(1, min(count, total)) }

    /// Workers for one GEMM of `m × n × k`: `count` when the product is large enough to share (≥ 64 MFLOP, ≥ 64
    /// rows and ≥ 64 columns — thin products such as narrow convolution taps run better on OpenBLAS's own
    /// threads) and no single-threaded-BLAS region is active (a task inside `parallelTasks` must not fan out
    /// again), else 1.
    static func gemmWorkers(m: Int, n: Int, k: Int) -> Int {
        let threads = count
        guard threads > 1, singleThreadedBLASDepth == 0, m >= 64, n >= 64, 2 * m * n * k >= 64_000_000 else { return 1 }
        return threads
    }

    /// Runs `body(0..<parts)` on Dispatch workers with OpenBLAS single-threaded (see `GEMM.sgemm`).
    static func gemmParallel(_ parts: Int, _ body: (Int) -> Void) {
        withSingleThreadedBLAS {
            withoutActuallyEscaping(body) { body in
                let shared = UncheckedSendable(body)
                DispatchQueue.concurrentPerform(iterations: parts) { shared.value($0) }
            }
        }
    }

    /// Runs tasks `0..<total`, each exactly once, on `workers(forTasks: total)` workers that claim them in
    /// order as they become free. `body(worker, task)`: `worker` in `0..<workers` is stable for the worker's
    /// lifetime (index per-worker scratch with it; one worker runs one task at a time). BLAS is single-threaded
    /// for the duration (`withSingleThreadedBLAS`), so `body` may call sgemm; it must not call `parallelFor` or
    /// `parallelTasks`. Tasks must write disjoint outputs. With one worker the tasks run in order on the calling
    /// thread, and BLAS keeps its threads.
    public static func parallelTasks(_ total: Int, _ body: (_ worker: Int, _ task: Int) -> Void) {
        let workers = workers(forTasks: total)
        if workers <= 1 {
            for t in 0..<total { body(0, t) }
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
