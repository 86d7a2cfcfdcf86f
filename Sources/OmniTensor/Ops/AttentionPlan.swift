/// The key columns one block of query rows reads, and how each of its rows is masked within them.
///
/// Logits of a block are computed only for `intervals` (key ranges), packed side by side into `columns`
/// compact columns. Row `r` of the block then either reads all of them (`open`), none (`closed`), or adds an
/// additive row of `columns` values found at `rowBias[r]` — in `buffer` when `biasInBuffer`, else in the dense
/// mask tensor.
struct AttentionBlockPlan {
    struct Interval {
        /// First key and number of keys.
        var start: Int, count: Int
        /// First compact column.
        var offset: Int
    }
    static let open = -1
    static let closed = -2

    var intervals: [Interval] = []
    var columns = 0
    var rowBias: [Int]
    var biasInBuffer = false
    var buffer: [Float] = []

    init(rows: Int, fill: Int) { rowBias = [Int](repeating: fill, count: rows) }

    mutating func setIntervals(_ ranges: [Range<Int>]) {
        intervals = []
        columns = 0
        for r in ranges {
            intervals.append(Interval(start: r.lowerBound, count: r.count, offset: columns))
            columns += r.count
        }
    }
}

/// Builds `AttentionBlockPlan`s for one attention call. Plans depend on (batch element, query block) only, so
/// each is built once and used for every head.
struct AttentionPlanner {
    let mask: AttentionMask
    let batch: Int, queries: Int, keys: Int
    /// For range masks: per batch entry, the group index of each query row (−1: no group).
    private let rowGroups: [[Int32]]
    /// Width of the key tiles a dense mask is scanned in for fully masked tiles.
    static let denseTile = 32

    init(mask: AttentionMask, batch: Int, queries: Int, keys: Int) {
        mask.check(batch: batch, queries: queries, keys: keys)
        self.mask = mask
        self.batch = batch
        self.queries = queries
        self.keys = keys
        if case .ranges(let all) = mask.kind {
            rowGroups = all.map { groups in
                var map = [Int32](repeating: -1, count: queries)
                for (i, g) in groups.enumerated() where !g.keys.isEmpty { for q in g.queries { map[q] = Int32(i) } }
                return map
            }
        } else {
            rowGroups = []
        }
    }

    /// The dense mask tensor, if any (the storage `rowBias` offsets refer to when `!biasInBuffer`).
    var denseMask: Tensor? {
        if case .additive(let t, _) = mask.kind { return t }
        return nil
    }

    func plan(batch b: Int, rows: Range<Int>) -> AttentionBlockPlan {
        switch mask.kind {
        case .none:
            var p = AttentionBlockPlan(rows: rows.count, fill: AttentionBlockPlan.open)
            p.setIntervals(keys > 0 ? [0..<keys] : [])
            return p
        case .additive(let t, let batched):
            return densePlan(t, base: batched ? b * queries * keys : 0, rows: rows)
        case .ranges(let all):
            let entry = all.count == 1 ? 0 : b
            return rangePlan(all[entry], rowGroups[entry], rows: rows)
        }
    }

    /// `base`: offset of this batch element's `[Lq, Lk]` slice in `t`.
    private func densePlan(_ t: Tensor, base: Int, rows: Range<Int>) -> AttentionBlockPlan {
        let m = t.data + base
        let tile = Self.denseTile, tiles = (keys + tile - 1) / tile
        var active: [Range<Int>] = []
        for t in 0..<tiles {
            let k0 = t * tile, k1 = min(keys, k0 + tile)
            var any = false
            rowLoop: for q in rows {
                let row = m + q * keys
                for k in k0..<k1 where row[k] > -.infinity { any = true; break rowLoop }
            }
            if any { active.append(k0..<k1) }
        }
        active = AttentionMask.merged(active)
        if active == [0..<keys] {
            var p = AttentionBlockPlan(rows: rows.count, fill: 0)
            p.setIntervals(active)
            for (r, q) in rows.enumerated() { p.rowBias[r] = base + q * keys }
            return p
        }
        var p = AttentionBlockPlan(rows: rows.count, fill: AttentionBlockPlan.closed)
        p.setIntervals(active)
        guard p.columns > 0 else { return p }
        p.biasInBuffer = true
        p.buffer = [Float](repeating: 0, count: rows.count * p.columns)
        p.buffer.withUnsafeMutableBufferPointer { buf in
            for (r, q) in rows.enumerated() {
                let row = m + q * keys, dst = buf.baseAddress! + r * p.columns
                for iv in p.intervals { (dst + iv.offset).update(from: row + iv.start, count: iv.count) }
                p.rowBias[r] = r * p.columns
            }
        }
        return p
    }

    private func rangePlan(_ groups: [AttentionMask.RowGroup], _ map: [Int32], rows: Range<Int>) -> AttentionBlockPlan {
        var distinct: [Int] = []
        var last: Int32 = -1
        for q in rows {
            let g = map[q]
            if g >= 0 && g != last && !distinct.contains(Int(g)) { distinct.append(Int(g)) }
            last = g
        }
        var p = AttentionBlockPlan(rows: rows.count, fill: AttentionBlockPlan.closed)
        let union = AttentionMask.merged(distinct.flatMap { groups[$0].keys })
        p.setIntervals(union)
        guard p.columns > 0 else { return p }
        // Each group either reads the whole union (open) or gets one 0 / −∞ row in the buffer.
        var groupBias: [Int: Int] = [:]
        for g in distinct where groups[g].keys != union {
            let offset = p.buffer.count
            groupBias[g] = offset
            var row = [Float](repeating: -.infinity, count: p.columns)
            for kr in groups[g].keys {
                // A group's merged range lies inside one merged union interval.
                let iv = p.intervals.first { $0.start <= kr.lowerBound && kr.upperBound <= $0.start + $0.count }!
                let c0 = iv.offset + kr.lowerBound - iv.start
                for c in c0..<(c0 + kr.count) { row[c] = 0 }
            }
            p.buffer += row
        }
        p.biasInBuffer = true
        for (r, q) in rows.enumerated() {
            let g = map[q]
            if g < 0 { continue }
            p.rowBias[r] = groupBias[Int(g)] ?? AttentionBlockPlan.open
        }
        return p
    }
}
