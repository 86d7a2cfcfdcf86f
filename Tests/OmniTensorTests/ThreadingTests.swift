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

    /// Large products are cut into row or column chunks fixed by the shape alone, so every thread count makes
    /// the same sgemm calls: identical bits, for shapes cut either way (and with a K above 256), every transpose,
    /// and the same product as one uncut call.
    func testChunkedGEMMsGiveIdenticalBitsOnOneAndTwoThreads() {
        XCTAssertNil(ComputeThreads.gemmSplit(m: 100, n: 10, k: 10), "too little work to split")
        XCTAssertNil(ComputeThreads.gemmSplit(m: 100, n: 100, k: 1000), "chunks would be under 64 long")
        XCTAssertEqual(ComputeThreads.gemmSplit(m: 448, n: 768, k: 256), .init(columns: true, chunk: 384), "the one-pass DiT's qkv")
        XCTAssertEqual(ComputeThreads.gemmSplit(m: 448, n: 256, k: 1024), .init(columns: false, chunk: 224), "its fc2")
        XCTAssertEqual(ComputeThreads.gemmSplit(m: 64, n: 4096, k: 4096), .init(columns: true, chunk: 512), "8 parts at most")
        var rng = TestRandom(11)
        for (m, n, k, columns) in [(448, 256, 256, false), (2048, 96, 300, false), (1000, 160, 96, false), (20480, 16, 16, false),
                                   (256, 2048, 64, true), (64, 4096, 40, true), (200, 700, 300, true)] {
            let split = ComputeThreads.gemmSplit(m: m, n: n, k: k)
            XCTAssertEqual(split?.columns, columns, "\(m)×\(n)×\(k) splits along its \(columns ? "columns" : "rows")")
            XCTAssertEqual((split?.chunk ?? 1) % 16, 0)
            for (ta, tb) in [(false, false), (false, true), (true, false), (true, true)] {
                let a = rng.tensor([m * k]), b = rng.tensor([k * n])
                let (lda, ldb) = (ta ? m : k, tb ? k : n)
                func product(threads: Int) -> [Float] {
                    ComputeThreads.set(threads)
                    let c = Tensor(repeating: 0.5, shape: [m, n])
                    GEMM.sgemm(transposeA: ta, transposeB: tb, m: m, n: n, k: k, a: a.data, lda: lda, b: b.data, ldb: ldb,
                               beta: 1, c: c.data, ldc: n)
                    return c.values
                }
                let one = product(threads: 1)
                XCTAssertTrue(one == product(threads: 2), "\(m)×\(n)×\(k) ta \(ta) tb \(tb)")
                let whole = Tensor(repeating: 0.5, shape: [m, n])
                GEMM.kernel(transposeA: ta, transposeB: tb, m: m, n: n, k: k, alpha: 1, a: a.data, lda: lda, b: b.data, ldb: ldb,
                            beta: 1, c: whole.data, ldc: n)
                let worst = zip(one, whole.values).map { abs($0 - $1) / max(1, abs($1)) }.max()!
                XCTAssertLessThan(worst, 1e-4, "\(m)×\(n)×\(k) ta \(ta) tb \(tb): the chunks compute the uncut product")
            }
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
