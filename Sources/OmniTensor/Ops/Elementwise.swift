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
        if let blocked = a.blockedBinary(b, op, plan: plan, tape: tape) { return blocked }
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

extension Tensor {
    /// The broadcast case where the trailing dimensions agree (e.g. `[B, L, d] ∘ [B, 1, d]`, the DiT's
    /// modulation): contiguous inner blocks of ≥ 16 elements, vectorised, blocks in parallel. Nil when the
    /// shapes do not have such a block.
    func blockedBinary(_ other: Tensor, _ op: BinaryOp, plan: Broadcast, tape: Tape?) -> Tensor? {
        let a = self, b = other
        let rank = plan.shape.count
        var inner = 1, d = rank - 1
        while d >= 0 && plan.stridesA[d] == inner && plan.stridesB[d] == inner {
            inner *= plan.shape[d]
            d -= 1
        }
        guard inner >= 16, d >= 0 else { return nil }
        let outer = plan.count / inner
        // Element offsets of each block's start in a and b.
        var offsetsA = [Int](repeating: 0, count: outer), offsetsB = [Int](repeating: 0, count: outer)
        var index = [Int](repeating: 0, count: d + 1)
        for o in 0..<outer {
            var ia = 0, ib = 0
            for k in 0...d { ia += index[k] * plan.stridesA[k]; ib += index[k] * plan.stridesB[k] }
            offsetsA[o] = ia; offsetsB[o] = ib
            var k = d
            while k >= 0 { index[k] += 1; if index[k] < plan.shape[k] { break }; index[k] = 0; k -= 1 }
        }
        let out = Tensor(uninitialized: plan.shape)
        let x = a.data, y = b.data, z = out.data
        offsetsA.withUnsafeBufferPointer { oa in
            offsetsB.withUnsafeBufferPointer { ob in
                let oa = oa.baseAddress!, ob = ob.baseAddress!
                ComputeThreads.parallelFor(outer, grain: max(1, (1 << 15) / inner)) { r in
                    for o in r {
                        let xo = x + oa[o], yo = y + ob[o], zo = z + o * inner
                        switch op {
                        case .add: for i in 0..<inner { zo[i] = xo[i] + yo[i] }
                        case .sub: for i in 0..<inner { zo[i] = xo[i] - yo[i] }
                        case .mul: for i in 0..<inner { zo[i] = xo[i] * yo[i] }
                        }
                    }
                }
            }
        }
        Tape.record(tape, output: out) { g in
            let gd = g.data
            // Serial over blocks: a broadcast operand's blocks receive sums from several output blocks.
            if a.requiresGrad {
                let ga = a.gradData()
                for o in 0..<outer {
                    let go = gd + o * inner, dst = ga + offsetsA[o], yo = y + offsetsB[o]
                    switch op {
                    case .add, .sub: for i in 0..<inner { dst[i] += go[i] }
                    case .mul: for i in 0..<inner { dst[i] += go[i] * yo[i] }
                    }
                }
            }
            if b.requiresGrad {
                let gb = b.gradData()
                for o in 0..<outer {
                    let go = gd + o * inner, dst = gb + offsetsB[o], xo = x + offsetsA[o]
                    switch op {
                    case .add: for i in 0..<inner { dst[i] += go[i] }
                    case .sub: for i in 0..<inner { dst[i] -= go[i] }
                    case .mul: for i in 0..<inner { dst[i] += go[i] * xo[i] }
                    }
                }
            }
        }
        return out
    }
}
