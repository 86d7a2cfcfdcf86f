import COpenBLAS
import Dispatch
import Foundation

/// How many threads OmniTensor computes with: `OMNISTUDIO_THREADS`, or the number of cores. GEMMs run on
/// OpenBLAS's threads; every other kernel splits its work with `DispatchQueue.concurrentPerform`. The two never
/// run at once: kernels call sgemm only from the calling thread, never from inside `parallelFor`.
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
