import XCTest
import COpenBLAS
@testable import OmniTensor

/// Results do not depend on the thread count: chunked kernels handle each element exactly once in the same
/// order, and GEMMs make the same single-threaded sgemm calls whatever the thread count.
final class ThreadingTests: XCTestCase {
    override func tearDown() { ComputeThreads.set(ProcessInfo.processInfo.activeProcessorCount) }

    func testOneThreadAndTwoThreadsGiveIdenticalResults() {
        func run(threads: Int) -> [Float] {
            ComputeThreads.set(threads)
            var rng = TestRandom(42)
            let x = rng.tensor([300, 96]), w = rng.tensor([160, 96]), b = rng.tensor([160])
            let h = x.linear(w, b).gelu().layerNorm()
            let y = (h * h).softmax().rmsNorm().silu()
            let z = y.matmul(rng.tensor([160, 40]))
            return z.values
        }
        XCTAssertEqual(run(threads: 1), run(threads: 2))
    }

    /// Attention forward and backward, with every mask form, several blocks, waves and batch elements, and
    /// a one-head single-block case (which keeps BLAS threads): identical bits for 1 and 2 threads.
    func testAttentionOneThreadAndTwoThreadsGiveIdenticalResults() {
        var rng = TestRandom(7)
        let nB = 2, lq = 150, lk = 130, nH = 3, d = 16
        let q = rng.tensor([nB, lq, nH, d], -2, 2), k = rng.tensor([nB, lk, nH, d], -2, 2)
        let v = rng.tensor([nB, lk, nH, 8]), gradOut = rng.tensor([nB, lq, nH, 8])
        let allowed = (0..<(nB * lq * lk)).map { _ in rng.uniform(0, 1) < 0.7 }
        let ranges = AttentionMask.ranges([.init(queries: 0..<60, keys: [0..<40, 100..<130]),
                                           .init(queries: 60..<140, keys: [20..<130])])
        let masks: [AttentionMask] = [.none, .boolean(allowed, queries: lq, keys: lk, batches: nB), ranges]
        let single = (q: rng.tensor([300, 1, 32]), k: rng.tensor([280, 1, 32]), v: rng.tensor([280, 1, 32]))
        func run(threads: Int) -> [[Float]] {
            ComputeThreads.set(threads)
            var results: [[Float]] = []
            for mask in masks {
                for block in [32, 256] {
                    for t in [q, k, v] { t.requiresGrad = true; t.zeroGrad() }
                    let tape = Tape()
                    let out = tape.recording { Tensor.attention(query: q, key: k, value: v, mask: mask, blockSize: block) }
                    tape.backward(from: out, seed: gradOut)
                    results += [out.values] + [q, k, v].map { $0.grad!.values }
                    for t in [q, k, v] { t.requiresGrad = false; t.zeroGrad() }
                }
            }
            results.append(Tensor.attention(query: single.q, key: single.k, value: single.v, blockSize: 512).values)
            return results
        }
        let one = run(threads: 1), two = run(threads: 2)
        XCTAssertEqual(one.count, two.count)
        for (i, (a, b)) in zip(one, two).enumerated() { XCTAssertTrue(a == b, "attention result \(i) differs between 1 and 2 threads") }
    }

    /// Tasks run once each, concurrent single-threaded sgemms from the workers are correct, and OpenBLAS stays
    /// on one thread throughout.
    func testParallelTasksRunSGEMMConcurrentlyOnSingleThreadedBLAS() {
        ComputeThreads.set(1)
        var rng = TestRandom(3)
        let n = 64, tasks = 12
        let a = (0..<tasks).map { _ in rng.tensor([n, n]) }, b = rng.tensor([n, n])
        let expected = a.map { $0.matmul(b).values }
        ComputeThreads.set(2)
        let out = (0..<tasks).map { _ in Tensor(zeros: [n, n]) }
        var hits = [Int](repeating: 0, count: tasks)
        var workersSeen = Set<Int>()
        let lock = NSLock()
        ComputeThreads.parallelTasks(tasks) { worker, t in
            XCTAssertEqual(openblas_get_num_threads(), 1)
            GEMM.sgemm(m: n, n: n, k: n, a: a[t].data, lda: n, b: b.data, ldb: n, c: out[t].data, ldc: n)
            lock.lock(); hits[t] += 1; workersSeen.insert(worker); lock.unlock()
        }
        XCTAssertEqual(hits, [Int](repeating: 1, count: tasks))
        XCTAssertTrue(workersSeen.isSubset(of: [0, 1]))
        for t in 0..<tasks { XCTAssertEqual(out[t].values, expected[t], "task \(t)") }
        // OpenBLAS never gets threads of its own (its partitioning is not thread-invariant on every CPU).
        XCTAssertEqual(openblas_get_num_threads(), 1)
        ComputeThreads.withSingleThreadedBLAS {
            ComputeThreads.withSingleThreadedBLAS { XCTAssertEqual(openblas_get_num_threads(), 1) }
            XCTAssertEqual(openblas_get_num_threads(), 1)
        }
        XCTAssertEqual(openblas_get_num_threads(), 1)
    }

    /// Large products are cut into row chunks fixed by the shape alone, so every thread count makes the same
    /// sgemm calls: identical bits, also for the shapes that split (and with a K above 256).
    func testChunkedGEMMsGiveIdenticalBitsOnOneAndTwoThreads() {
        XCTAssertEqual(ComputeThreads.gemmChunkRows(m: 64, n: 4096, k: 4096), 64, "too few rows to split")
        XCTAssertEqual(ComputeThreads.gemmChunkRows(m: 100, n: 10, k: 10), 100, "too little work to split")
        var rng = TestRandom(11)
        for (m, n, k) in [(448, 256, 256), (2048, 96, 300), (1000, 160, 96), (20480, 16, 16), (256, 2048, 64)] {
            let chunk = ComputeThreads.gemmChunkRows(m: m, n: n, k: k)
            XCTAssertLessThan(chunk, m, "\(m)×\(n)×\(k) splits")
            XCTAssertEqual(chunk % 16, 0)
            let a = rng.tensor([m, k]), b = rng.tensor([k, n])
            func product(threads: Int) -> [Float] {
                ComputeThreads.set(threads)
                let c = Tensor(zeros: [m, n])
                GEMM.sgemm(m: m, n: n, k: k, a: a.data, lda: k, b: b.data, ldb: n, c: c.data, ldc: n)
                return c.values
            }
            XCTAssertTrue(product(threads: 1) == product(threads: 2), "\(m)×\(n)×\(k)")
        }
    }

    func testParallelForVisitsEveryIndexOnce() {
        ComputeThreads.set(2)
        var hits = [Int](repeating: 0, count: 100_003)
        hits.withUnsafeMutableBufferPointer { h in
            let p = h.baseAddress!
            ComputeThreads.parallelFor(h.count, grain: 1000) { r in for i in r { p[i] += 1 } }
        }
        XCTAssertTrue(hits.allSatisfy { $0 == 1 })
    }

    func testBufferPoolReusesMemoryAfterWarmUp() {
        var rng = TestRandom(1)
        let x = rng.tensor([64, 64]), w = rng.tensor([64, 64])
        func step() { _ = x.linear(w).silu().layerNorm().softmax() }
        step()
        let before = BufferPool.shared.statistics.systemAllocations
        for _ in 0..<10 { step() }
        XCTAssertEqual(BufferPool.shared.statistics.systemAllocations, before, "a warm step allocated from the system")
    }
}
