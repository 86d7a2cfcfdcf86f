import COpenBLAS

/// Row-major `C = α·op(A)·op(B) + β·C` through `cblas_sgemm`. `m × k` times `k × n`; leading dimensions in
/// elements. Every matrix product in OmniTensor goes through here (so benchmarks can compare against it).
///
/// Same bits on any thread count: OpenBLAS always runs single-threaded (see `ComputeThreads`); a large product
/// is cut into row or column chunks fixed by (m, n, k) alone and the chunks run on the Dispatch workers, so
/// one thread and two threads make exactly the same cblas calls. A K above 256 is also cut into a multiple-of-32
/// head and a tail below 32, accumulated in two calls: the rule from when OpenBLAS still ran threaded (it was
/// thread-invariant on Zen 3), kept so products keep the rounding they had.
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
        // Large products: cut along C's rows or columns into chunks fixed by the shape, one single-threaded sgemm
        // per chunk, the chunks spread over the workers.
        if let split = ComputeThreads.gemmSplit(m: m, n: n, k: k) {
            let length = split.columns ? n : m, chunk = split.chunk
            ComputeThreads.gemmParallel((length + chunk - 1) / chunk) { p in
                let i0 = p * chunk, count = min(chunk, length - i0)
                if split.columns {
                    kernel(transposeA: transposeA, transposeB: transposeB, m: m, n: count, k: k, alpha: alpha,
                           a: a, lda: lda, b: b + (transposeB ? i0 * ldb : i0), ldb: ldb, beta: beta,
                           c: c + i0, ldc: ldc)
                } else {
                    kernel(transposeA: transposeA, transposeB: transposeB, m: count, n: n, k: k, alpha: alpha,
                           a: a + (transposeA ? i0 : i0 * lda), lda: lda, b: b, ldb: ldb, beta: beta,
                           c: c + i0 * ldc, ldc: ldc)
                }
            }
            return
        }
        kernel(transposeA: transposeA, transposeB: transposeB, m: m, n: n, k: k, alpha: alpha, a: a, lda: lda,
               b: b, ldb: ldb, beta: beta, c: c, ldc: ldc)
    }

    /// One single-threaded cblas call per K piece (the rule above).
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
