import COpenBLAS

/// Row-major `C = α·op(A)·op(B) + β·C` through `cblas_sgemm`. `m × k` times `k × n`; leading dimensions in
/// elements. Every matrix product in OmniTensor goes through here (so benchmarks can compare against it).
///
/// Same bits on any thread count: OpenBLAS 0.3.21 partitions the inner dimension K differently on one and on
/// two threads for most K above ~320, which changes the rounding; K ≤ 256 and multiples of 32 were measured
/// identical (every K up to 14,000, all layouts used here). So a larger K is cut into a multiple-of-32 head and
/// a tail below 32, accumulated in two calls — free at these sizes, and videos do not depend on
/// `OMNISTUDIO_THREADS`.
public enum GEMM {
    @inline(__always)
    public static func sgemm(transposeA: Bool = false, transposeB: Bool = false, m: Int, n: Int, k: Int,
                             alpha: Float = 1, a: UnsafePointer<Float>, lda: Int,
                             b: UnsafePointer<Float>, ldb: Int,
                             beta: Float = 0, c: UnsafeMutablePointer<Float>, ldc: Int) {
        if m == 0 || n == 0 { return }
        if k == 0 {
            if beta == 0 { for i in 0..<m { (c + i * ldc).update(repeating: 0, count: n) } }
            else if beta != 1 { for i in 0..<m { for j in 0..<n { c[i * ldc + j] *= beta } } }
            return
        }
        // Large products: rows split into 16-row-aligned chunks, one single-threaded sgemm per worker. OpenBLAS's
        // own pool then never runs, so its idle threads never spin against the Dispatch workers between GEMMs;
        // every element is still computed by one sgemm over the same K, so results do not change.
        let workers = ComputeThreads.gemmWorkers(m: m, n: n, k: k)
        if workers > 1 {
            let chunk = ((m + workers - 1) / workers + 15) / 16 * 16
            let parts = (m + chunk - 1) / chunk
            ComputeThreads.gemmParallel(parts) { p in
                let i0 = p * chunk, rows = min(chunk, m - i0)
                kernel(transposeA: transposeA, transposeB: transposeB, m: rows, n: n, k: k, alpha: alpha,
                       a: a + (transposeA ? i0 : i0 * lda), lda: lda, b: b, ldb: ldb, beta: beta,
                       c: c + i0 * ldc, ldc: ldc)
            }
            return
        }
        kernel(transposeA: transposeA, transposeB: transposeB, m: m, n: n, k: k, alpha: alpha, a: a, lda: lda,
               b: b, ldb: ldb, beta: beta, c: c, ldc: ldc)
    }

    /// One single-threaded-or-pooled cblas call per K piece (the thread-invariance rule above).
    @inline(__always)
    static func kernel(transposeA: Bool, transposeB: Bool, m: Int, n: Int, k: Int, alpha: Float,
                       a: UnsafePointer<Float>, lda: Int, b: UnsafePointer<Float>, ldb: Int,
                       beta: Float, c: UnsafeMutablePointer<Float>, ldc: Int) {
        let head = k <= 256 ? k : k - k % 32
        for (k0, kc) in [(0, head), (head, k - head)] where kc > 0 {
            // Column k0 of op(A) and row k0 of op(B).
            let aShift = transposeA ? k0 * lda : k0, bShift = transposeB ? k0 : k0 * ldb
            cblas_sgemm(CblasRowMajor, transposeA ? CblasTrans : CblasNoTrans, transposeB ? CblasTrans : CblasNoTrans,
                        Int32(m), Int32(n), Int32(kc), alpha, a + aShift, Int32(lda), b + bShift, Int32(ldb),
                        k0 == 0 ? beta : 1, c, Int32(ldc))
        }
    }
}
