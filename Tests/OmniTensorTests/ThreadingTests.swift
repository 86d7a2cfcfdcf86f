import XCTest
@testable import OmniTensor

/// Results do not depend on the thread count: chunked kernels handle each element exactly once in the same
/// order, and OpenBLAS splits GEMMs along M and N only.
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
