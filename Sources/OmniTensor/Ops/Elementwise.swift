import Foundation

/// Binary ops with broadcasting (add, sub, mul) and scaling. Same-shape operands take a parallel fast path;
/// other shapes go through `Broadcast`. Backward reduces gradients over broadcast dimensions.
extension Tensor {
    public static func + (a: Tensor, b: Tensor) -> Tensor { a.binary(b, .add) }
    public static func - (a: Tensor, b: Tensor) -> Tensor { a.binary(b, .sub) }
    public static func * (a: Tensor, b: Tensor) -> Tensor { a.binary(b, .mul) }
    public static func * (a: Tensor, s: Float) -> Tensor { a.scaled(s) }
    public static func * (s: Float, a: Tensor) -> Tensor { a.scaled(s) }
    public static prefix func - (a: Tensor) -> Tensor { a.scaled(-1) }

    enum BinaryOp { case add, sub, mul }

    func binary(_ other: Tensor, _ op: BinaryOp) -> Tensor {
        let a = self, b = other
        let tape = Tape.shouldRecord(a, b)
        if a.shape == b.shape {
            let out = Tensor(uninitialized: a.shape)
            let x = a.data, y = b.data, z = out.data
            ComputeThreads.parallelFor(out.count, grain: 1 << 15) { r in
                switch op {
                case .add: for i in r { z[i] = x[i] + y[i] }
                case .sub: for i in r { z[i] = x[i] - y[i] }
                case .mul: for i in r { z[i] = x[i] * y[i] }
                }
            }
            Tape.record(tape, output: out) { g in
                let gd = g.data, n = g.count
                if a.requiresGrad {
                    let ga = a.gradData()
                    switch op {
                    case .add, .sub: for i in 0..<n { ga[i] += gd[i] }
                    case .mul: for i in 0..<n { ga[i] += gd[i] * y[i] }
                    }
                }
                if b.requiresGrad {
                    let gb = b.gradData()
                    switch op {
                    case .add: for i in 0..<n { gb[i] += gd[i] }
                    case .sub: for i in 0..<n { gb[i] -= gd[i] }
                    case .mul: for i in 0..<n { gb[i] += gd[i] * x[i] }
                    }
                }
            }
            return out
        }
        let plan = Broadcast(a.shape, b.shape)
        let out = Tensor(uninitialized: plan.shape)
        let x = a.data, y = b.data, z = out.data
        switch op {
        case .add: plan.forEach { o, i, j in z[o] = x[i] + y[j] }
        case .sub: plan.forEach { o, i, j in z[o] = x[i] - y[j] }
        case .mul: plan.forEach { o, i, j in z[o] = x[i] * y[j] }
        }
        Tape.record(tape, output: out) { g in
            let gd = g.data
            if a.requiresGrad {
                let ga = a.gradData()
                switch op {
                case .add, .sub: plan.forEach { o, i, _ in ga[i] += gd[o] }
                case .mul: plan.forEach { o, i, j in ga[i] += gd[o] * y[j] }
                }
            }
            if b.requiresGrad {
                let gb = b.gradData()
                switch op {
                case .add: plan.forEach { o, _, j in gb[j] += gd[o] }
                case .sub: plan.forEach { o, _, j in gb[j] -= gd[o] }
                case .mul: plan.forEach { o, i, j in gb[j] += gd[o] * x[i] }
                }
            }
        }
        return out
    }

    /// `s · self`.
    public func scaled(_ s: Float) -> Tensor {
        let a = self
        let out = Tensor(uninitialized: shape)
        let x = data, z = out.data
        ComputeThreads.parallelFor(count, grain: 1 << 15) { r in for i in r { z[i] = x[i] * s } }
        Tape.record(Tape.shouldRecord(a), output: out) { g in
            let ga = a.gradData(), gd = g.data
            for i in 0..<g.count { ga[i] += gd[i] * s }
        }
        return out
    }

    /// `self + s` elementwise.
    public func adding(_ s: Float) -> Tensor {
        let a = self
        let out = Tensor(uninitialized: shape)
        let x = data, z = out.data
        for i in 0..<count { z[i] = x[i] + s }
        Tape.record(Tape.shouldRecord(a), output: out) { g in
            let ga = a.gradData(), gd = g.data
            for i in 0..<g.count { ga[i] += gd[i] }
        }
        return out
    }
}
