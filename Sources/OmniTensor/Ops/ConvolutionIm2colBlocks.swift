/// The second path of `ConvolutionGeometry`: *row-blocked im2col*, for small frames.
///
/// Why. The per-tap path runs one GEMM per tap over plane rows, including the rows of the padding
/// (M = T·(H+2)·(W+2) for a 3×3 "same" kernel) and with K = Cin only. At 8×8 frames 56 % of those rows are
/// thrown away and each GEMM is tiny, so OpenBLAS (on two threads above all) runs far below its peak.
///
/// Method. The output positions (valid ones only, in output order) are cut into blocks of `im2colBlockRows`
/// rows. For a block, the taps are gathered into a scratch `col` `[rows, taps·Cin]` straight from the input
/// (zeros for padding, the cached `front` frames before the first frame), column (tap, ci) with
/// tap = (dt·kH + dh)·kW + dw — the row order of the weight `[kT, kH, kW, Cin, Cout]` seen as `[taps·Cin, Cout]`.
/// Then one GEMM per block: out[block] = col · W. Backward, per block: the same gather, dW += colᵀ · dY[block]
/// (K = rows), then dCol = dY[block] · Wᵀ into the same scratch and a col2im that adds dCol into dx. The
/// col2im is written as a gather over input positions (each input position sums the (output row, tap)
/// entries that read it), so it runs in parallel without write races.
///
/// Memory: one scratch of at most `im2colScratchBytes` (from the buffer pool), never the full 27× im2col
/// buffer of the whole input. GEMMs run on the calling thread; gathers use `ComputeThreads.parallelFor`.
///
/// Same bits on any thread count: every GEMM goes through `GEMM.sgemm`, which keeps the inner
/// dimension of each sgemm call either ≤ 256 or a multiple of 32 (see there).
enum ConvolutionPath: Sendable, Equatable {
    /// One GEMM per tap over the padded plane (`ConvolutionGeometry.forward`'s method).
    case perTap
    /// Row-blocked im2col: one GEMM with K = taps·Cin per block of output rows.
    case im2colBlocks

    /// Forces a path for every geometry created in the scope (tests); nil applies `ConvolutionGeometry.rule`.
    @TaskLocal static var forced: ConvolutionPath?
}

extension ConvolutionGeometry {
    /// Upper bound of the im2col scratch (one block of `col`): 8 MiB. At 5×8×8×128 the whole input fits in one
    /// block (4.4 MB); at 5×16×16×64 it takes two.
    static let im2colScratchBytes = 8 << 20

    /// The path for a shape. Rule: im2col when the kernel has more than one tap and an output frame has at most
    /// 16×16 positions (`outH · outW ≤ 256`). There the per-tap GEMMs are short (≤ 324 plane rows per frame) and
    /// ≥ 27 % of their rows are padding; on larger frames the per-tap path wastes little, needs no scratch and
    /// its narrow GEMMs (K = Cin) run at least as fast as the wide one. A 1×1×1 kernel is a single GEMM either way.
    var rule: ConvolutionPath {
        taps > 1 && outH * outW <= 256 ? .im2colBlocks : .perTap
    }

    /// Columns of `col`: taps · Cin.
    var im2colColumns: Int { taps * inChannels }

    /// Rows per im2col block: as many as fit `im2colScratchBytes` (`blockRows` when set), spread evenly over
    /// the blocks.
    var im2colBlockRows: Int {
        let m = outputPositions
        let limit = max(1, blockRows ?? Self.im2colScratchBytes / (4 * im2colColumns))
        let blocks = (m + limit - 1) / limit
        return (m + blocks - 1) / blocks
    }

    /// Fills `col` `[rows.count, taps·Cin]` with the taps of output positions `rows` (output order).
    func gatherColumns(_ rows: Range<Int>, x: UnsafePointer<Float>, front: UnsafePointer<Float>?,
                       into col: UnsafeMutablePointer<Float>) {
        let c = inChannels, columns = im2colColumns
        let frameSize = height * width * c
        ComputeThreads.parallelFor(rows.count, grain: max(1, 16384 / columns)) { range in
            for i in range {
                let r = rows.lowerBound + i
                let wo = r % outW, ho = (r / outW) % outH, to = (r / (outW * outH)) % outT, b = r / (outW * outH * outT)
                var dst = col + i * columns
                for dt in 0..<kT {
                    let t = to * sT + dt - padFront
                    var frame: UnsafePointer<Float>?
                    if t >= 0 && t < frames {
                        frame = x + (b * frames + t) * frameSize
                    } else if t < 0, let front {
                        frame = front + (b * padFront + padFront + t) * frameSize
                    }
                    for dh in 0..<kH {
                        let h = ho * sH + dh - padTop
                        guard let frame, h >= 0 && h < height else {
                            dst.update(repeating: 0, count: kW * c); dst += kW * c; continue
                        }
                        let line = frame + h * width * c
                        let w0 = wo * sW - padLeft
                        if sW == 1 {
                            // Taps w0 ..< w0 + kW: one copy of the in-range span, zeros around it.
                            let lo = min(max(0, -w0), kW), hi = max(lo, min(kW, width - w0))
                            dst.update(repeating: 0, count: lo * c)
                            (dst + lo * c).update(from: line + (w0 + lo) * c, count: (hi - lo) * c)
                            (dst + hi * c).update(repeating: 0, count: (kW - hi) * c)
                        } else {
                            for dw in 0..<kW {
                                let w = w0 + dw
                                if w >= 0 && w < width { (dst + dw * c).update(from: line + w * c, count: c) }
                                else { (dst + dw * c).update(repeating: 0, count: c) }
                            }
                        }
                        dst += kW * c
                    }
                }
            }
        }
    }

    /// col2im: dx[input position] += dCol[r − rows.lowerBound, (tap, :)] for every output row r in `rows` and
    /// tap that read that input position. Cached front frames get nothing.
    func scatterColumnGradient(_ rows: Range<Int>, dCol: UnsafePointer<Float>, into dx: UnsafeMutablePointer<Float>) {
        let c = inChannels, columns = im2colColumns
        // Output rows (b, to, ho) of the block, to skip input rows no output row of the block reads.
        let firstLine = rows.lowerBound / outW, lastLine = (rows.upperBound - 1) / outW
        let inputLines = batch * frames * height
        ComputeThreads.parallelFor(inputLines, grain: max(1, 16384 / max(width * c * taps, 1))) { range in
            for line in range {
                let h = line % height, t = (line / height) % frames, b = line / (height * frames)
                let dxLine = dx + line * width * c
                for dt in 0..<kT {
                    let tt = t + padFront - dt
                    guard tt >= 0 && tt % sT == 0 && tt / sT < outT else { continue }
                    let to = tt / sT
                    for dh in 0..<kH {
                        let hh = h + padTop - dh
                        guard hh >= 0 && hh % sH == 0 && hh / sH < outH else { continue }
                        let outLine = (b * outT + to) * outH + hh / sH
                        guard outLine >= firstLine && outLine <= lastLine else { continue }
                        for dw in 0..<kW {
                            let tapColumn = ((dt * kH + dh) * kW + dw) * c
                            for w in 0..<width {
                                let ww = w + padLeft - dw
                                guard ww >= 0 && ww % sW == 0 && ww / sW < outW else { continue }
                                let r = outLine * outW + ww / sW
                                guard rows.contains(r) else { continue }
                                let src = dCol + (r - rows.lowerBound) * columns + tapColumn, d = dxLine + w * c
                                for i in 0..<c { d[i] += src[i] }
                            }
                        }
                    }
                }
            }
        }
    }

    /// `forward` on the im2col path: `out` = conv(x) + bias.
    func forwardIm2col(x: UnsafePointer<Float>, front: UnsafePointer<Float>?, weight: UnsafePointer<Float>,
                       bias: UnsafePointer<Float>?, out: UnsafeMutablePointer<Float>) {
        let cout = outChannels, columns = im2colColumns, m = outputPositions
        let block = im2colBlockRows
        let scratch = Tensor(uninitialized: [block * columns])
        for r0 in stride(from: 0, to: m, by: block) {
            let rows = r0..<min(m, r0 + block)
            gatherColumns(rows, x: x, front: front, into: scratch.data)
            GEMM.sgemm(m: rows.count, n: cout, k: columns, a: scratch.data, lda: columns,
                                      b: weight, ldb: cout, beta: 0, c: out + r0 * cout, ldc: cout)
        }
        withExtendedLifetime(scratch) {}
        if let bias {
            ComputeThreads.parallelFor(m, grain: max(1, 16384 / cout)) { range in
                for r in range { let row = out + r * cout; for j in 0..<cout { row[j] += bias[j] } }
            }
        }
    }

    /// `backward` on the im2col path (dBias is summed by the caller): accumulates dx and dWeight.
    func backwardIm2col(g: UnsafePointer<Float>, x: UnsafePointer<Float>, front: UnsafePointer<Float>?,
                        weight: UnsafePointer<Float>, dx: UnsafeMutablePointer<Float>?,
                        dWeight: UnsafeMutablePointer<Float>?) {
        let cout = outChannels, columns = im2colColumns, m = outputPositions
        let block = im2colBlockRows
        let scratch = Tensor(uninitialized: [block * columns])
        for r0 in stride(from: 0, to: m, by: block) {
            let rows = r0..<min(m, r0 + block)
            if let dWeight {
                gatherColumns(rows, x: x, front: front, into: scratch.data)
                GEMM.sgemm(transposeA: true, m: columns, n: cout, k: rows.count, a: scratch.data,
                                          lda: columns, b: g + r0 * cout, ldb: cout, beta: 1, c: dWeight, ldc: cout)
            }
            if let dx {
                GEMM.sgemm(transposeB: true, m: rows.count, n: columns, k: cout, a: g + r0 * cout,
                                          lda: cout, b: weight, ldb: cout, beta: 0, c: scratch.data, ldc: columns)
                scatterColumnGradient(rows, dCol: scratch.data, into: dx)
            }
        }
        withExtendedLifetime(scratch) {}
    }
}
