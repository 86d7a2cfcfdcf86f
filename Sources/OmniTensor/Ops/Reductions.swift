/// Sums and means, of everything or along one axis; and the MSE and L1 losses (means over all elements).
extension Tensor {
    /// Σ of all elements, as a scalar (accumulated in Double).
    public func sum() -> Tensor {
        let a = self
        var s = 0.0
        for i in 0..<count { s += Double(data[i]) }
        let out = Tensor(scalar: Float(s))
        Tape.record(Tape.shouldRecord(a), output: out) { g in
            let ga = a.gradData(), v = g.data[0]
            for i in 0..<a.count { ga[i] += v }
        }
        return out
    }

    public func mean() -> Tensor { sum().scaled(1 / Float(max(count, 1))) }

    /// Σ along `axis`; the axis is kept with size 1 when `keepDimension`.
    public func sum(axis: Int, keepDimension: Bool = false) -> Tensor {
        let ax = axis < 0 ? rank + axis : axis
        let a = self
        let outer = shape[..<ax].reduce(1, *), n = shape[ax], inner = shape[(ax + 1)...].reduce(1, *)
        var outShape = shape
        if keepDimension { outShape[ax] = 1 } else { outShape.remove(at: ax) }
        let out = Tensor(zeros: outShape)
        for o in 0..<outer {
            for j in 0..<n {
                let src = a.data + (o * n + j) * inner, dst = out.data + o * inner
                for i in 0..<inner { dst[i] += src[i] }
            }
        }
        Tape.record(Tape.shouldRecord(a), output: out) { g in
            let ga = a.gradData()
            for o in 0..<outer {
                for j in 0..<n {
                    let dst = ga + (o * n + j) * inner, src = g.data + o * inner
                    for i in 0..<inner { dst[i] += src[i] }
                }
            }
        }
        return out
    }

    public func mean(axis: Int, keepDimension: Bool = false) -> Tensor {
        let n = shape[axis < 0 ? rank + axis : axis]
        return sum(axis: axis, keepDimension: keepDimension).scaled(1 / Float(max(n, 1)))
    }

    /// Mean squared error against `target` (same shape; the target gets no gradient).
    public func mseLoss(_ target: Tensor) -> Tensor {
        precondition(shape == target.shape, "mse of \(shape) against \(target.shape)")
        let a = self
        var s = 0.0
        for i in 0..<count { let d = Double(data[i] - target.data[i]); s += d * d }
        let n = Float(max(count, 1))
        let out = Tensor(scalar: Float(s / Double(n)))
        Tape.record(Tape.shouldRecord(a), output: out) { g in
            let ga = a.gradData(), k = 2 * g.data[0] / n
            for i in 0..<a.count { ga[i] += k * (a.data[i] - target.data[i]) }
        }
        return out
    }

    /// Weighted mean squared error against `target`: Σ w·(x − t)² / (C·Σ w), the weights `[…, 1]` one per position
    /// (broadcast over the C channels of the last dimension). All weights 1 give `mseLoss`.
    public func weightedMSELoss(_ target: Tensor, weights: Tensor) -> Tensor {
        precondition(shape == target.shape, "weighted mse of \(shape) against \(target.shape)")
        let c = shape.last ?? 1
        precondition(weights.shape == Array(shape.dropLast()) + [1], "weights \(weights.shape) for \(shape): one per position, last dimension 1")
        let a = self, positions = weights.count
        var s = 0.0, total = 0.0
        for p in 0..<positions {
            let w = Double(weights.data[p])
            total += w
            for i in (p * c)..<((p + 1) * c) { let d = Double(data[i] - target.data[i]); s += w * d * d }
        }
        let n = Float(max(total * Double(c), 1e-12))
        let out = Tensor(scalar: Float(s / Double(n)))
        Tape.record(Tape.shouldRecord(a), output: out) { g in
            let ga = a.gradData(), k = 2 * g.data[0] / n
            for p in 0..<positions {
                let kw = k * weights.data[p]
                for i in (p * c)..<((p + 1) * c) { ga[i] += kw * (a.data[i] - target.data[i]) }
            }
        }
        return out
    }

    /// Mean absolute error against `target` (subgradient 0 at equality).
    public func l1Loss(_ target: Tensor) -> Tensor {
        precondition(shape == target.shape, "l1 of \(shape) against \(target.shape)")
        let a = self
        var s = 0.0
        for i in 0..<count { s += Double(abs(data[i] - target.data[i])) }
        let n = Float(max(count, 1))
        let out = Tensor(scalar: Float(s / Double(n)))
        Tape.record(Tape.shouldRecord(a), output: out) { g in
            let ga = a.gradData(), k = g.data[0] / n
            for i in 0..<a.count {
                let d = a.data[i] - target.data[i]
                ga[i] += d > 0 ? k : (d < 0 ? -k : 0)
            }
        }
        return out
    }
}
