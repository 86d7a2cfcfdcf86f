/// How two shapes broadcast (NumPy rules, right-aligned): the result shape and, for each operand, the element
/// strides over the result's dimensions (0 along broadcast dimensions).
struct Broadcast {
    let shape: [Int]
    let stridesA: [Int]
    let stridesB: [Int]
    let count: Int

    init(_ a: [Int], _ b: [Int]) {
        let rank = max(a.count, b.count)
        let pa = Array(repeating: 1, count: rank - a.count) + a
        let pb = Array(repeating: 1, count: rank - b.count) + b
        var shape = [Int](repeating: 1, count: rank)
        for i in 0..<rank {
            precondition(pa[i] == pb[i] || pa[i] == 1 || pb[i] == 1, "shapes \(a) and \(b) do not broadcast")
            shape[i] = pa[i] == 1 ? pb[i] : pa[i]
        }
        self.shape = shape
        self.stridesA = Broadcast.strides(pa, over: shape)
        self.stridesB = Broadcast.strides(pb, over: shape)
        self.count = shape.reduce(1, *)
    }

    static func strides(_ s: [Int], over shape: [Int]) -> [Int] {
        var strides = [Int](repeating: 0, count: s.count)
        var step = 1
        for i in stride(from: s.count - 1, through: 0, by: -1) {
            strides[i] = s[i] == 1 && shape[i] != 1 ? 0 : step
            step *= s[i]
        }
        return strides
    }

    /// Calls `body(outIndex, aIndex, bIndex)` for every result element in row-major order.
    @inline(__always)
    func forEach(_ body: (Int, Int, Int) -> Void) {
        let rank = shape.count
        if rank == 0 { body(0, 0, 0); return }
        var index = [Int](repeating: 0, count: rank)
        var ia = 0, ib = 0
        let inner = shape[rank - 1], sa = stridesA[rank - 1], sb = stridesB[rank - 1]
        var o = 0
        while o < count {
            var ja = ia, jb = ib
            for _ in 0..<inner {
                body(o, ja, jb)
                o += 1; ja += sa; jb += sb
            }
            // Carry into the outer dimensions.
            var d = rank - 2
            while d >= 0 {
                index[d] += 1
                ia += stridesA[d]; ib += stridesB[d]
                if index[d] < shape[d] { break }
                ia -= stridesA[d] * shape[d]; ib -= stridesB[d] * shape[d]
                index[d] = 0
                d -= 1
            }
            if d < 0 { break }
        }
    }
}
