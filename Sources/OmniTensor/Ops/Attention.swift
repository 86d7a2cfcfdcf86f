import Foundation

/// Multi-head scaled dot-product attention, computed in blocks of query rows (memory O(block·Lk) per worker
/// thread, never O(Lq·Lk)), with flash-style backward (probabilities recomputed per block from the saved row
/// logsumexp).
extension Tensor {
    /// Default number of query rows per block: scratch is 256·Lk floats per worker thread (two such buffers in
    /// backward); at Lq = Lk = 1024, H = 8, D = 64 blocks of 128–1024 rows all ran within a few % of each other
    /// (1 thread; 64 rows was ~5–10 % slower).
    public static let attentionBlockSize = 256

    /// `softmax(scale · Q·Kᵀ + mask) · V` per batch element and head.
    ///
    /// Layouts (channels-last tokens, heads inside; contiguous row-major):
    /// - `query` `[B, Lq, H, D]`, `key` `[B, Lk, H, D]`, `value` `[B, Lk, H, Dv]` → result `[B, Lq, H, Dv]`.
    ///   Rank-3 inputs `[L, H, D]` are one batch element (B = 1) and give a rank-3 result.
    /// - Query and key lengths are independent (cross-attention, cached condition keys).
    ///
    /// `scale` defaults to 1/√D. `mask` (see `AttentionMask`) restricts or biases which keys a row reads;
    /// a row whose every key is forbidden gets output 0 and zero gradient. `blockSize` (query rows per block)
    /// only changes speed and scratch memory, not results beyond rounding.
    ///
    /// Work: every matrix product is one `GEMM.sgemm` per (batch, head, query block, key range), reading head h
    /// in place through leading dimension H·D — no permute copies. Inference (no tape recording) where the direct
    /// rows beat sgemm (`DirectRows.beatSGEMM`) and Dv is a multiple of 16 runs both products on them instead,
    /// against keys transposed and scaled once per call. Forward saves the per-row logsumexp; backward
    /// recomputes each block's probabilities P and accumulates dV += Pᵀ·dO, dQ += scale·dS·K,
    /// dK += scale·dSᵀ·Q with dS = P ⊙ (dO·Vᵀ − rowsum(dO ⊙ O)). No gradient flows into the mask.
    ///
    /// Threads: forward splits the (query block, head) pairs and backward the heads over
    /// `ComputeThreads.parallelTasks` workers, each running whole heads-of-blocks (sgemm, softmax, sgemm) with
    /// single-threaded BLAS — the softmax between the GEMMs then runs on every core instead of one. Each task
    /// computes a fixed part of the result in a fixed order, so results are bitwise the same for any thread
    /// count. With a single worker the tasks run in order on the calling thread, softmax rows over `parallelFor`.
    public static func attention(query: Tensor, key: Tensor, value: Tensor, mask: AttentionMask = .none,
                                 scale: Float? = nil, blockSize: Int = Tensor.attentionBlockSize) -> Tensor {
        attention(query: query, keys: [key], values: [value], mask: mask, scale: scale, blockSize: blockSize)
    }

    /// The same attention over a key sequence given in parts: keys `keys[0] ⧺ keys[1] ⧺ …` along the length
    /// axis (and the values alike), read where they lie instead of being copied into one tensor — the DiT's own
    /// keys followed by cached condition keys. Part i is key `[Bᵢ, Lᵢ, H, D]`, value `[Bᵢ, Lᵢ, H, Dv]` with
    /// Bᵢ = B, or Bᵢ = 1 for one part shared by every batch element (its gradient sums over the batch); rank-3
    /// parts `[Lᵢ, H, D]` go with a rank-3 query. The mask's key columns count through the parts in order.
    public static func attention(query: Tensor, keys: [Tensor], values: [Tensor], mask: AttentionMask = .none,
                                 scale: Float? = nil, blockSize: Int = Tensor.attentionBlockSize) -> Tensor {
        let q = query
        precondition(q.rank == 3 || q.rank == 4, "attention query must be [B, Lq, H, D] or [Lq, H, D], got \(q.shape)")
        precondition(!keys.isEmpty && keys.count == values.count,
                     "attention wants as many value parts as key parts (at least one), got \(keys.count) and \(values.count)")
        let batched = q.rank == 4
        let qs = batched ? q.shape : [1] + q.shape
        let nB = qs[0], lq = qs[1], nH = qs[2], d = qs[3]
        var partStart: [Int] = [], partLength: [Int] = [], partBatch: [Int] = []
        var lk = 0, dvFound: Int?
        for (k, v) in zip(keys, values) {
            precondition(k.rank == q.rank && v.rank == q.rank,
                         "attention query \(q.shape), key \(k.shape) and value \(v.shape) must have the same rank")
            let ks = batched ? k.shape : [1] + k.shape
            let vs = batched ? v.shape : [1] + v.shape
            precondition((ks[0] == nB || ks[0] == 1) && ks[2] == nH && ks[3] == d,
                         "attention key \(k.shape) does not match query \(q.shape) (want [B or 1, Lk, H, D])")
            precondition(vs[0] == ks[0] && vs[1] == ks[1] && vs[2] == nH && (dvFound == nil || vs[3] == dvFound),
                         "attention value \(v.shape) does not match key \(k.shape) (want [B, Lk, H, Dv], one Dv)")
            dvFound = vs[3]
            partStart.append(lk); partLength.append(ks[1]); partBatch.append(ks[0])
            lk += ks[1]
        }
        let dv = dvFound!
        precondition(blockSize > 0, "attention blockSize must be positive")
        let alpha = scale ?? 1 / Float(max(d, 1)).squareRoot()
        let planner = AttentionPlanner(mask: mask, batch: nB, queries: lq, keys: lk)

        let out = Tensor(uninitialized: batched ? [nB, lq, nH, dv] : [lq, nH, dv])
        let logSumExp = Tensor(uninitialized: [nB, nH, lq])
        let block = min(blockSize, max(lq, 1))
        let hd = nH * d, hdv = nH * dv
        let qd = q.data, od = out.data, lse = logSumExp.data
        let kds = keys.map(\.data), vds = values.map(\.data)

        /// Calls `body(part, row offset of its first key in the part's buffer for batch b, keys, compact
        /// column)` for the pieces of key interval `iv` that lie in each part (in key order).
        @inline(__always)
        func pieces(_ iv: AttentionBlockPlan.Interval, batch b: Int, _ body: (Int, Int, Int, Int) -> Void) {
            var j = iv.start, column = iv.offset, p = 0
            let end = iv.start + iv.count
            while j < end {
                while j >= partStart[p] + partLength[p] { p += 1 }
                let n = min(end, partStart[p] + partLength[p]) - j
                body(p, (partBatch[p] == 1 ? 0 : b) * partLength[p] + j - partStart[p], n, column)
                j += n; column += n
            }
        }
        let blocksPerBatch = (lq + block - 1) / block
        let scratchCount = block * max(lk, 1)

        // Inference on the direct rows where they beat sgemm (nothing records: a backward would recompute the
        // probabilities with sgemm): each part's keys transposed once, head by head, and scaled — Kᵀ `[H, D, R + 16]`
        // for the part's R = Bᵢ·Lᵢ rows (16 spare columns: the rows read weight rows in whole 16-float vectors) —
        // and the values read in place (so Dv must be whole vectors).
        let direct = DirectRows.beatSGEMM && dv % 16 == 0
            && Tape.shouldRecord([q] + keys + values) == nil
        let transposedKeys: [Tensor] = !direct ? [] : keys.indices.map { p in
            let r = partBatch[p] * partLength[p], ld = r + 16, src = kds[p]
            let t = Tensor(zeros: [nH, d, ld])
            let dst = t.data
            ComputeThreads.parallelFor(nH * d, grain: max(1, 4096 / max(r, 1))) { range in
                for hi in range {
                    let h = hi / d, i = hi % d, row = dst + hi * ld
                    for j in 0..<r { row[j] = alpha * src[j * hd + h * d + i] }
                }
            }
            return t
        }
        let ktds = transposedKeys.map(\.data)

        /// Forward of head h over query rows q0..<q0+rows of batch b. `sd`: block·Lk scores scratch,
        /// `inverseSum`: block floats. `parallelRows` splits the softmax rows with `parallelFor` (only on the
        /// calling thread, between threaded sgemms).
        func forwardHead(_ b: Int, _ q0: Int, _ rows: Int, _ h: Int, _ plan: AttentionBlockPlan,
                         _ bias: (Int) -> AttentionRowBias, _ sd: UnsafeMutablePointer<Float>,
                         _ inverseSum: UnsafeMutablePointer<Float>, parallelRows: Bool) {
            let qBase = qd + (b * lq + q0) * hd + h * d
            let oBase = od + (b * lq + q0) * hdv + h * dv
            let lseBase = lse + (b * nH + h) * lq + q0
            if plan.columns == 0 {
                for r in 0..<rows { (oBase + r * hdv).update(repeating: 0, count: dv) }
                lseBase.update(repeating: -.infinity, count: rows)
                return
            }
            let nc = plan.columns
            // S = scale · Q_blk · K_rangeᵀ, one sgemm (or block of direct rows) per key range (and part).
            for iv in plan.intervals {
                pieces(iv, batch: b) { p, row, n, column in
                    if direct {
                        let ld = partBatch[p] * partLength[p] + 16
                        DirectRows.multiply(input: qBase, inputStride: hd, depth: d, offsets: DirectRows.oneTap, taps: 1,
                                            weight: ktds[p] + h * d * ld + row, weightStride: ld, bias: nil, columns: n,
                                            output: sd + column, outputStride: nc, rows: rows)
                    } else {
                        GEMM.sgemm(transposeB: true, m: rows, n: n, k: d, alpha: alpha,
                                   a: qBase, lda: hd, b: kds[p] + row * hd + h * d, ldb: hd,
                                   c: sd + column, ldc: nc)
                    }
                }
            }
            // P̃ = exp(S + mask − max) per row; the 1/Σ normalisation is applied to O's rows instead.
            if parallelRows {
                ComputeThreads.parallelFor(rows, grain: max(1, 16384 / nc)) { range in
                    for r in range {
                        (lseBase[r], inverseSum[r]) = attentionSoftmaxRow(sd + r * nc, nc, bias: bias(r))
                    }
                }
            } else {
                for r in 0..<rows {
                    (lseBase[r], inverseSum[r]) = attentionSoftmaxRow(sd + r * nc, nc, bias: bias(r))
                }
            }
            // O_blk = P̃ · V_range, accumulated over key ranges, then each row times 1/Σ.
            var first = true
            for iv in plan.intervals {
                pieces(iv, batch: b) { p, row, n, column in
                    if direct {
                        DirectRows.multiply(input: sd + column, inputStride: nc, depth: n, offsets: DirectRows.oneTap,
                                            taps: 1, weight: vds[p] + row * hdv + h * dv, weightStride: hdv, bias: nil,
                                            columns: dv, output: oBase, outputStride: hdv, rows: rows, accumulate: !first)
                    } else {
                        GEMM.sgemm(m: rows, n: dv, k: n, a: sd + column, lda: nc,
                                   b: vds[p] + row * hdv + h * dv, ldb: hdv,
                                   beta: first ? 0 : 1, c: oBase, ldc: hdv)
                    }
                    first = false
                }
            }
            for r in 0..<rows {
                let o = oBase + r * hdv, f = inverseSum[r]
                for j in 0..<dv { o[j] *= f }
            }
        }

        // Tasks are (query block, head) pairs: each writes its own rows and head columns of O and its own
        // logsumexp entries, with single-threaded sgemms, so the bits do not depend on the thread count or on
        // which worker runs a task. Blocks are planned a wave at a time (plans of a dense mask hold
        // rows·columns floats), with enough tasks per wave to keep every worker busy.
        let totalBlocks = nB * blocksPerBatch
        let threads = ComputeThreads.count
        let wave = threads > 1 ? max(1, (8 * threads + nH - 1) / max(nH, 1)) : 1
        let slots = ComputeThreads.workers(forTasks: min(wave, totalBlocks) * nH)
        let scratch = (0..<slots).map { _ in Tensor(uninitialized: [scratchCount + block]) }
        let scratchBase = scratch.map(\.data)
        func forwardWaves() {
            for first in stride(from: 0, to: totalBlocks, by: wave) {
                let blocks = (first..<min(totalBlocks, first + wave)).map { i -> (b: Int, q0: Int, rows: Int) in
                    let b = i / blocksPerBatch, q0 = (i % blocksPerBatch) * block
                    return (b, q0, min(block, lq - q0))
                }
                let plans = blocks.map { planner.plan(batch: $0.b, rows: $0.q0..<($0.q0 + $0.rows)) }
                let tasks = blocks.count * nH
                if slots > 1 {
                    ComputeThreads.parallelTasks(tasks) { worker, t in
                        let i = t / nH, blk = blocks[i]
                        withBias(plans[i], planner) { bias in
                            forwardHead(blk.b, blk.q0, blk.rows, t % nH, plans[i], bias, scratchBase[worker],
                                        scratchBase[worker] + scratchCount, parallelRows: false)
                        }
                    }
                } else {
                    // One worker: tasks in order on this thread, softmax rows on parallelFor.
                    for t in 0..<tasks {
                        let i = t / nH, blk = blocks[i]
                        withBias(plans[i], planner) { bias in
                            forwardHead(blk.b, blk.q0, blk.rows, t % nH, plans[i], bias, scratchBase[0],
                                        scratchBase[0] + scratchCount, parallelRows: true)
                        }
                    }
                }
            }
        }
        // Always an sgemm region (whatever the thread count), so each task's GEMMs are the same single calls.
        ComputeThreads.withSingleThreadedBLAS(forwardWaves)
        withExtendedLifetime((scratch, transposedKeys)) {}   // read through raw pointers above

        Tape.record(Tape.shouldRecord([q] + keys + values), output: out) { [logSumExp, out] g in
            let lse = logSumExp.data, od = out.data, gd = g.data
            let kds = keys.map(\.data), vds = values.map(\.data)
            let gq = q.requiresGrad ? q.gradData() : nil
            let gks = keys.map { $0.requiresGrad ? $0.gradData() : nil }
            let gvs = values.map { $0.requiresGrad ? $0.gradData() : nil }
            let needDS = gq != nil || gks.contains { $0 != nil }

            /// Backward of head h over query rows q0..<q0+rows of batch b: `pd`, `dpd` are block·Lk scratch.
            func backwardHead(_ b: Int, _ q0: Int, _ rows: Int, _ h: Int, _ plan: AttentionBlockPlan,
                              _ bias: (Int) -> AttentionRowBias, _ pd: UnsafeMutablePointer<Float>,
                              _ dpd: UnsafeMutablePointer<Float>, parallelRows: Bool) {
                let nc = plan.columns
                let grain = max(1, 16384 / nc)
                let qBase = qd + (b * lq + q0) * hd + h * d
                let oBase = od + (b * lq + q0) * hdv + h * dv
                let gBase = gd + (b * lq + q0) * hdv + h * dv
                let lseBase = lse + (b * nH + h) * lq + q0
                // Recompute P = exp(scale · Q·Kᵀ + mask − lse).
                for iv in plan.intervals {
                    pieces(iv, batch: b) { p, row, n, column in
                        GEMM.sgemm(transposeB: true, m: rows, n: n, k: d, alpha: alpha,
                                   a: qBase, lda: hd, b: kds[p] + row * hd + h * d, ldb: hd,
                                   c: pd + column, ldc: nc)
                    }
                }
                func probabilities(_ range: Range<Int>) {
                    for r in range {
                        attentionProbabilityRow(pd + r * nc, nc, bias: bias(r), logSumExp: lseBase[r])
                    }
                }
                if parallelRows { ComputeThreads.parallelFor(rows, grain: grain, probabilities) } else { probabilities(0..<rows) }
                // dV_range += Pᵀ · dO
                for iv in plan.intervals {
                    pieces(iv, batch: b) { p, row, n, column in
                        guard let gv = gvs[p] else { return }
                        GEMM.sgemm(transposeA: true, m: n, n: dv, k: rows, a: pd + column, lda: nc,
                                   b: gBase, ldb: hdv, beta: 1, c: gv + row * hdv + h * dv, ldc: hdv)
                    }
                }
                guard needDS else { return }
                // dP = dO · V_rangeᵀ
                for iv in plan.intervals {
                    pieces(iv, batch: b) { p, row, n, column in
                        GEMM.sgemm(transposeB: true, m: rows, n: n, k: dv, a: gBase, lda: hdv,
                                   b: vds[p] + row * hdv + h * dv, ldb: hdv, c: dpd + column, ldc: nc)
                    }
                }
                // dS = P ⊙ (dP − rowsum(dO ⊙ O)), in place of dP.
                func scores(_ range: Range<Int>) {
                    for r in range {
                        let o = oBase + r * hdv, gr = gBase + r * hdv
                        var delta: Float = 0
                        for j in 0..<dv { delta += o[j] * gr[j] }
                        let p = pd + r * nc, ds = dpd + r * nc
                        for c in 0..<nc { ds[c] = p[c] * (ds[c] - delta) }
                    }
                }
                if parallelRows { ComputeThreads.parallelFor(rows, grain: grain, scores) } else { scores(0..<rows) }
                if let gq {   // dQ_blk += scale · dS · K_range
                    let dst = gq + (b * lq + q0) * hd + h * d
                    for iv in plan.intervals {
                        pieces(iv, batch: b) { p, row, n, column in
                            GEMM.sgemm(m: rows, n: d, k: n, alpha: alpha, a: dpd + column, lda: nc,
                                       b: kds[p] + row * hd + h * d, ldb: hd, beta: 1, c: dst, ldc: hd)
                        }
                    }
                }
                // dK_range += scale · dSᵀ · Q_blk
                for iv in plan.intervals {
                    pieces(iv, batch: b) { p, row, n, column in
                        guard let gk = gks[p] else { return }
                        GEMM.sgemm(transposeA: true, m: n, n: d, k: rows, alpha: alpha,
                                   a: dpd + column, lda: nc, b: qBase, ldb: hd, beta: 1,
                                   c: gk + row * hd + h * d, ldc: hd)
                    }
                }
            }

            // Tasks are heads: head h's dQ, dK and dV columns are its own, and each task walks the wave's
            // blocks in the same order as a single thread would, so dK and dV accumulate in the same order for
            // any thread count (each task's sgemms are single calls on its thread).
            let threads = ComputeThreads.count
            let workers = ComputeThreads.workers(forTasks: nH)
            let wave = threads > 1 ? 4 : 1
            let perBuffer = block * max(lk, 1)
            let scratch = (0..<workers).map { _ in Tensor(uninitialized: [needDS ? 2 * perBuffer : perBuffer]) }
            let scratchBase = scratch.map(\.data)
            func backwardWaves() {
                for first in stride(from: 0, to: totalBlocks, by: wave) {
                    let blocks = (first..<min(totalBlocks, first + wave)).compactMap { i -> (b: Int, q0: Int, rows: Int, plan: AttentionBlockPlan)? in
                        let b = i / blocksPerBatch, q0 = (i % blocksPerBatch) * block, rows = min(block, lq - q0)
                        let plan = planner.plan(batch: b, rows: q0..<(q0 + rows))
                        return plan.columns == 0 ? nil : (b, q0, rows, plan)
                    }
                    if blocks.isEmpty { continue }
                    if workers <= 1 {
                        for blk in blocks {
                            withBias(blk.plan, planner) { bias in
                                for h in 0..<nH {
                                    backwardHead(blk.b, blk.q0, blk.rows, h, blk.plan, bias, scratchBase[0],
                                                 scratchBase[0] + perBuffer, parallelRows: true)
                                }
                            }
                        }
                    } else {
                        ComputeThreads.parallelTasks(nH) { worker, h in
                            for blk in blocks {
                                withBias(blk.plan, planner) { bias in
                                    backwardHead(blk.b, blk.q0, blk.rows, h, blk.plan, bias, scratchBase[worker],
                                                 scratchBase[worker] + perBuffer, parallelRows: false)
                                }
                            }
                        }
                    }
                }
            }
            ComputeThreads.withSingleThreadedBLAS(backwardWaves)
            withExtendedLifetime(scratch) {}
        }
        return out
    }
}

/// Calls `body` with a function giving row r's mask within the plan's compact columns.
@inline(__always)
private func withBias(_ plan: AttentionBlockPlan, _ planner: AttentionPlanner,
                      _ body: ((Int) -> AttentionRowBias) -> Void) {
    plan.rowBias.withUnsafeBufferPointer { rowBias in
        plan.buffer.withUnsafeBufferPointer { buffer in
            let base: UnsafePointer<Float>? = plan.biasInBuffer ? buffer.baseAddress : planner.denseMask.map { UnsafePointer($0.data) }
            body { r in
                let o = rowBias[r]
                if o == AttentionBlockPlan.open { return .open }
                if o == AttentionBlockPlan.closed { return .closed }
                return .additive(base! + o)
            }
        }
    }
}
