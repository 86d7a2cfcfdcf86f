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
