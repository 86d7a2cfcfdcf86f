/// FVD-puppet: the Fréchet distance between Gaussian fits of two sets of feature vectors. Features are the keypoint
/// detector's 64-d pooled deep features averaged over windows of `window` frames (time-pooled clip pieces). This
/// is a proxy in the spirit of FVD, not FVD: the feature network is the small puppet detector, not I3D.
public enum FrechetDistance {
    /// Frames per time-pooled feature vector.
    public static let window = 8

    /// Time-pooled vectors of per-frame features: the mean over each run of `window` frames (a shorter last run
    /// is kept when it has at least half a window).
    public static func pooled(_ frames: [[Float]]) -> [[Double]] {
        var out: [[Double]] = []
        var start = 0
        while start < frames.count {
            let end = min(frames.count, start + window)
            if end - start >= window / 2 || out.isEmpty {
                var v = [Double](repeating: 0, count: frames[start].count)
                for f in frames[start..<end] { for i in 0..<v.count { v[i] += Double(f[i]) } }
                out.append(v.map { $0 / Double(end - start) })
            }
            start = end
        }
        return out
    }

    /// ‖μa − μb‖² + tr(Σa + Σb − 2 (Σa Σb)^½), with covariances from the samples (divided by n). 0 for identical sets.
    public static func distance(_ a: [[Double]], _ b: [[Double]]) -> Double {
        guard let d = a.first?.count, !b.isEmpty else { return 0 }
        let (ma, ca) = moments(a, d), (mb, cb) = moments(b, d)
        var meanTerm = 0.0
        for i in 0..<d { meanTerm += (ma[i] - mb[i]) * (ma[i] - mb[i]) }
        // tr((Σa Σb)^½) = Σ √λ of the symmetric Σa^½ Σb Σa^½.
        let sa = symmetricSqrt(ca, d)
        let m = multiply(multiply(sa, cb, d), sa, d)
        let eig = jacobiEigenvalues(m, d)
        var traceTerm = 0.0
        for i in 0..<d { traceTerm += ca[i * d + i] + cb[i * d + i] }
        traceTerm -= 2 * eig.reduce(0) { $0 + max(0, $1).squareRoot() }
        return max(0, meanTerm + traceTerm)
    }

    static func moments(_ x: [[Double]], _ d: Int) -> ([Double], [Double]) {
        var mean = [Double](repeating: 0, count: d)
        for v in x { for i in 0..<d { mean[i] += v[i] } }
        mean = mean.map { $0 / Double(x.count) }
        var cov = [Double](repeating: 0, count: d * d)
        for v in x {
            for i in 0..<d { for j in 0..<d { cov[i * d + j] += (v[i] - mean[i]) * (v[j] - mean[j]) } }
        }
        return (mean, cov.map { $0 / Double(x.count) })
    }

    static func multiply(_ a: [Double], _ b: [Double], _ d: Int) -> [Double] {
        var c = [Double](repeating: 0, count: d * d)
        for i in 0..<d { for k in 0..<d where a[i * d + k] != 0 { let s = a[i * d + k]; for j in 0..<d { c[i * d + j] += s * b[k * d + j] } } }
        return c
    }

    /// Eigen-decomposition of a symmetric matrix by cyclic Jacobi rotations: (eigenvalues, eigenvectors as columns).
    static func jacobi(_ matrix: [Double], _ d: Int) -> ([Double], [Double]) {
        var a = matrix
        var v = [Double](repeating: 0, count: d * d)
        for i in 0..<d { v[i * d + i] = 1 }
        for _ in 0..<60 {
            var off = 0.0
            for p in 0..<d { for q in (p + 1)..<max(p + 1, d) { off += a[p * d + q] * a[p * d + q] } }
            if off < 1e-22 { break }
            for p in 0..<d {
                for q in (p + 1)..<max(p + 1, d) where abs(a[p * d + q]) > 1e-300 {
                    let theta = (a[q * d + q] - a[p * d + p]) / (2 * a[p * d + q])
                    let t = (theta >= 0 ? 1.0 : -1.0) / (abs(theta) + (theta * theta + 1).squareRoot())
                    let c = 1 / (t * t + 1).squareRoot(), s = t * c
                    for k in 0..<d {
                        let akp = a[k * d + p], akq = a[k * d + q]
                        a[k * d + p] = c * akp - s * akq; a[k * d + q] = s * akp + c * akq
                    }
                    for k in 0..<d {
                        let apk = a[p * d + k], aqk = a[q * d + k]
                        a[p * d + k] = c * apk - s * aqk; a[q * d + k] = s * apk + c * aqk
                    }
                    for k in 0..<d {
                        let vkp = v[k * d + p], vkq = v[k * d + q]
                        v[k * d + p] = c * vkp - s * vkq; v[k * d + q] = s * vkp + c * vkq
                    }
                }
            }
        }
        return ((0..<d).map { a[$0 * d + $0] }, v)
    }

    static func jacobiEigenvalues(_ m: [Double], _ d: Int) -> [Double] { jacobi(m, d).0 }

    /// The symmetric positive semi-definite square root (negative eigenvalues clipped to 0).
    static func symmetricSqrt(_ m: [Double], _ d: Int) -> [Double] {
        let (values, vectors) = jacobi(m, d)
        var out = [Double](repeating: 0, count: d * d)
        for k in 0..<d {
            let s = max(0, values[k]).squareRoot()
            guard s > 0 else { continue }
            for i in 0..<d { let vi = vectors[i * d + k] * s; for j in 0..<d { out[i * d + j] += vi * vectors[j * d + k] } }
        }
        return out
    }
}
