/// Shape ops: `reshaped` is a view sharing storage; `permuted`, `concat`, `split` and `slice` copy.
extension Tensor {
    /// The same elements with another shape (one dimension may be -1). Shares storage; no copy.
    public func reshaped(_ newShape: [Int]) -> Tensor {
        var shape = newShape
        if let i = shape.firstIndex(of: -1) {
            let known = shape.enumerated().filter { $0.offset != i }.map(\.element).reduce(1, *)
            precondition(known > 0 && count % known == 0, "cannot reshape \(self.shape) to \(newShape)")
            shape[i] = count / known
        }
        precondition(shape.reduce(1, *) == count, "cannot reshape \(self.shape) (\(count) elements) to \(newShape)")
        let a = self
        let out = Tensor(sharing: storage, shape: shape)
        Tape.record(Tape.shouldRecord(a), output: out) { g in
            let ga = a.gradData(), gd = g.data
            for i in 0..<g.count { ga[i] += gd[i] }
        }
        return out
    }

    /// Dimensions reordered: result dimension i is input dimension `order[i]`. Copies.
    public func permuted(_ order: [Int]) -> Tensor {
        precondition(order.sorted() == Array(0..<rank), "bad permutation \(order) for rank \(rank)")
        let a = self
        let outShape = order.map { shape[$0] }
        let out = Tensor(uninitialized: outShape)
        let inStrides = Broadcast.strides(shape, over: shape)
        let gather = order.map { inStrides[$0] }
        Tensor.strideCopy(shape: outShape, strides: gather) { o, i in out.data[o] = a.data[i] }
        Tape.record(Tape.shouldRecord(a), output: out) { g in
            let ga = a.gradData(), gd = g.data
            Tensor.strideCopy(shape: outShape, strides: gather) { o, i in ga[i] += gd[o] }
        }
        return out
    }

    /// Visits every index of `shape` in row-major order with its position `o` and the offset `Σ index·strides`.
    static func strideCopy(shape: [Int], strides: [Int], _ body: (Int, Int) -> Void) {
        let total = shape.reduce(1, *)
        if total == 0 { return }
        if shape.isEmpty { body(0, 0); return }
        var index = [Int](repeating: 0, count: shape.count)
        var offset = 0
        let last = shape.count - 1
        var o = 0
        while o < total {
            var j = offset
            for _ in 0..<shape[last] { body(o, j); o += 1; j += strides[last] }
            var d = last - 1
            while d >= 0 {
                index[d] += 1; offset += strides[d]
                if index[d] < shape[d] { break }
                offset -= strides[d] * shape[d]; index[d] = 0
                d -= 1
            }
            if d < 0 { break }
        }
    }

    /// Joins tensors along `axis`; the other dimensions must agree.
    public static func concat(_ parts: [Tensor], axis: Int) -> Tensor {
        precondition(!parts.isEmpty, "concat of nothing")
        let rank = parts[0].rank
        let ax = axis < 0 ? rank + axis : axis
        var shape = parts[0].shape
        shape[ax] = 0
        for p in parts {
            precondition(p.rank == rank && zip(p.shape, parts[0].shape).enumerated().allSatisfy { $0.offset == ax || $0.element.0 == $0.element.1 },
                         "concat along \(axis): shapes \(parts.map(\.shape)) disagree")
            shape[ax] += p.shape[ax]
        }
        let outer = shape[..<ax].reduce(1, *), inner = shape[(ax + 1)...].reduce(1, *)
        let out = Tensor(uninitialized: shape)
        let rowOut = shape[ax] * inner
        var start = 0
        var starts: [Int] = []
        for p in parts {
            starts.append(start)
            let rowIn = p.shape[ax] * inner
            for o in 0..<outer { (out.data + o * rowOut + start).update(from: p.data + o * rowIn, count: rowIn) }
            start += rowIn
        }
        Tape.record(Tape.shouldRecord(parts.map { Optional($0) }), output: out) { g in
            for (p, s) in zip(parts, starts) where p.requiresGrad {
                let rowIn = p.shape[ax] * inner, gp = p.gradData()
                for o in 0..<outer {
                    let src = g.data + o * rowOut + s, dst = gp + o * rowIn
                    for i in 0..<rowIn { dst[i] += src[i] }
                }
            }
        }
        return out
    }

    /// Splits along `axis` into parts of the given sizes (which must add up to the dimension).
    public func split(_ sizes: [Int], axis: Int) -> [Tensor] {
        let ax = axis < 0 ? rank + axis : axis
        precondition(sizes.reduce(0, +) == shape[ax], "split sizes \(sizes) do not add up to \(shape[ax]) in \(shape)")
        var start = 0
        return sizes.map { size in
            defer { start += size }
            return slice(axis: ax, start..<(start + size))
        }
    }

    /// Elements `range` along `axis`. Copies.
    public func slice(axis: Int, _ range: Range<Int>) -> Tensor {
        let ax = axis < 0 ? rank + axis : axis
        precondition(range.lowerBound >= 0 && range.upperBound <= shape[ax], "slice \(range) out of \(shape) along \(ax)")
        let a = self
        var outShape = shape
        outShape[ax] = range.count
        let outer = shape[..<ax].reduce(1, *), inner = shape[(ax + 1)...].reduce(1, *)
        let rowIn = shape[ax] * inner, rowOut = range.count * inner, offset = range.lowerBound * inner
        let out = Tensor(uninitialized: outShape)
        for o in 0..<outer where rowOut > 0 { (out.data + o * rowOut).update(from: a.data + o * rowIn + offset, count: rowOut) }
        Tape.record(Tape.shouldRecord(a), output: out) { g in
            let ga = a.gradData()
            for o in 0..<outer {
                let src = g.data + o * rowOut, dst = ga + o * rowIn + offset
                for i in 0..<rowOut { dst[i] += src[i] }
            }
        }
        return out
    }

    /// Rows of a table: `self` is `[V, D]`, the result is `indices.count × D` (shaped `shape + [D]`).
    public func gather(_ indices: [Int], shape indexShape: [Int]? = nil) -> Tensor {
        precondition(rank == 2, "gather reads rows of a [V, D] table, got \(shape)")
        let table = self, width = shape[1], rows = shape[0]
        for i in indices { precondition(i >= 0 && i < rows, "index \(i) out of 0..<\(rows)") }
        let out = Tensor(uninitialized: (indexShape ?? [indices.count]) + [width])
        precondition(out.count == indices.count * width, "index shape \(indexShape ?? []) holds \(indices.count) indices?")
        for (r, i) in indices.enumerated() { (out.data + r * width).update(from: table.data + i * width, count: width) }
        Tape.record(Tape.shouldRecord(table), output: out) { g in
            let gt = table.gradData()
            for (r, i) in indices.enumerated() {
                let src = g.data + r * width, dst = gt + i * width
                for j in 0..<width { dst[j] += src[j] }
            }
        }
        return out
    }
}

extension Tape {
    static func shouldRecord(_ inputs: [Tensor?]) -> Tape? {
        guard let tape = active else { return nil }
        return inputs.contains { $0?.requiresGrad == true } ? tape : nil
    }
}
