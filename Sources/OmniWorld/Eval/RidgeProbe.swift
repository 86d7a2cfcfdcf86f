/// A linear probe: ridge regression from feature rows to a scalar target, fitted in closed form
/// (`(XᵀX + λ·n·I) w = Xᵀy` on standardised features, by Cholesky), scored by R² on other rows. Used to ask how much
/// of a quantity (e.g. mouth openness) a feature set carries linearly. Pure; Double precision throughout.
public struct RidgeProbe: Sendable {
    public let weights: [Double]
    public let bias: Double
    let mean: [Double], scale: [Double]

    /// Fits on `rows` (each `width` values) and `targets`; `lambda` is per sample (scale-free).
    public init(rows: [[Float]], targets: [Float], lambda: Double) {
        precondition(!rows.isEmpty && rows.count == targets.count, "one target per row")
        let n = rows.count, d = rows[0].count
        var mean = [Double](repeating: 0, count: d), scale = [Double](repeating: 0, count: d)
        for r in rows { for j in 0..<d { mean[j] += Double(r[j]) } }
        for j in 0..<d { mean[j] /= Double(n) }
        for r in rows { for j in 0..<d { let v = Double(r[j]) - mean[j]; scale[j] += v * v } }
        for j in 0..<d { scale[j] = max((scale[j] / Double(n)).squareRoot(), 1e-8) }
        let yMean = targets.reduce(0.0) { $0 + Double($1) } / Double(n)
        var a = [Double](repeating: 0, count: d * d), b = [Double](repeating: 0, count: d)
        var z = [Double](repeating: 0, count: d)
        for (r, t) in zip(rows, targets) {
            for j in 0..<d { z[j] = (Double(r[j]) - mean[j]) / scale[j] }
            let y = Double(t) - yMean
            for i in 0..<d {
                b[i] += z[i] * y
                let zi = z[i]
                for j in 0...i { a[i * d + j] += zi * z[j] }
            }
        }
        for i in 0..<d { a[i * d + i] += lambda * Double(n) }
        weights = Self.solveSymmetric(a, b, d)
        bias = yMean
        self.mean = mean
        self.scale = scale
    }

    public func predict(_ row: [Float]) -> Double {
        var s = bias
        for j in 0..<weights.count { s += weights[j] * (Double(row[j]) - mean[j]) / scale[j] }
        return s
    }

    /// 1 − Σ(y − ŷ)² / Σ(y − ȳ)² on `rows`; 0 when the targets do not vary.
    public func rSquared(rows: [[Float]], targets: [Float]) -> Double {
        let yMean = targets.reduce(0.0) { $0 + Double($1) } / Double(max(targets.count, 1))
        var sse = 0.0, sst = 0.0
        for (r, t) in zip(rows, targets) {
            let e = Double(t) - predict(r)
            sse += e * e
            sst += (Double(t) - yMean) * (Double(t) - yMean)
        }
        return sst > 0 ? 1 - sse / sst : 0
    }

    /// Solves A x = b for a symmetric positive-definite A whose lower triangle is filled (row-major d × d).
    static func solveSymmetric(_ matrix: [Double], _ b: [Double], _ d: Int) -> [Double] {
        var l = [Double](repeating: 0, count: d * d)
        for i in 0..<d {
            for j in 0...i {
                var s = matrix[i * d + j]
                for k in 0..<j { s -= l[i * d + k] * l[j * d + k] }
                l[i * d + j] = i == j ? max(s, 1e-12).squareRoot() : s / l[j * d + j]
            }
        }
        var y = [Double](repeating: 0, count: d)
        for i in 0..<d {
            var s = b[i]
            for k in 0..<i { s -= l[i * d + k] * y[k] }
            y[i] = s / l[i * d + i]
        }
        var x = [Double](repeating: 0, count: d)
        for i in stride(from: d - 1, through: 0, by: -1) {
            var s = y[i]
            for k in (i + 1)..<d { s -= l[k * d + i] * x[k] }
            x[i] = s / l[i * d + i]
        }
        return x
    }
}
