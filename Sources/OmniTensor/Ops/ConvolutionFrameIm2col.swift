import Foundation

/// Which method `ConvolutionGeometry` computes a convolution with.
enum ConvolutionPath: Sendable, Equatable {
    /// One GEMM per tap over the padded plane (`ConvolutionGeometry.forward`'s method).
    case perTap
    /// Frame im2col: each frame's spatial taps gathered once, one GEMM per temporal tap (below).
    case frameIm2col
    /// Direct rows in C, forward only (`ConvolutionDirect.swift`); the backward runs `backwardRule`'s path.
    case direct

    /// Forces a path for every geometry created in the scope (tests, `bench kernels --conv-path`); nil applies
    /// `ConvolutionGeometry.rule`.
    @TaskLocal static var forced: ConvolutionPath?
}

/// The second path of `ConvolutionGeometry`: *frame im2col*, one GEMM per temporal tap.
///
/// Why. The per-tap path gathers nothing but runs GEMMs with K = Cin only (32 at the VAE decoder's 64×64 stage)
/// over plane rows that include the padding; full im2col (every output position's kT·kH·kW taps in one row,
/// this file's `gatherColumns` over the whole geometry) copies each input frame kT times over, 27× the input for
/// a 3×3×3 kernel. Measured (`bench kernels --kernels conv3d --conv-path …`, 2 threads, one run) at 5×8×8×128 to
/// 5×64×64×16: full im2col in row blocks reached 0.77–1.04 of sgemm, per-tap 0.48–1.34, this path 0.98–1.70 —
/// but per-tap stays ahead where an S frame is larger than the cache and Cin ≥ 32 (`rule`).
///
/// Method. Each padded input frame's *spatial* taps are gathered once into a frame of `S`: `[Ho·Wo, kH·kW·Cin]`,
/// column (dh, dw, ci) — the row order of one temporal tap of the weight `[kT, kH, kW, Cin, Cout]`. Output frame
/// `to` reads, for temporal tap dt, S frame to·sT + dt. With sT = 1 the S frames a run of output frames reads for
/// one dt are consecutive, so a block of output frames costs one GEMM per dt (M = frames·Ho·Wo, K = kH·kW·Cin,
/// beta = 1 into the zeroed output). Blocks of output frames slide a window of S frames: the frames the next block
/// shares with this one are moved to the front, only the new ones gathered. Frames that are padding (no input, no
/// cached `front` frame) are never gathered; the taps that would read them are left out of the GEMM rows.
///
/// Backward: dW[dt] += S_dtᵀ · dY over the same sliding window; for dx, blocks of *input* frames: dS = Σ_dt
/// dY · W[dt]ᵀ (GEMMs with beta = 1 into a zeroed block), then each frame's spatial col2im into dx. Cached front
/// frames get no gradient.
///
/// The spatial gather and col2im are `gatherColumns` / `scatterColumnGradient` of the one-frame geometry
/// (`spatialGeometry`). Memory: one scratch of at most `frameScratchBytes`, or one window of kT frames when a single
/// frame's S is larger (the rule keeps that under `frameWindowLimitBytes`). GEMMs go through `GEMM.sgemm`, which
/// keeps the inner dimension of each sgemm call either ≤ 256 or a multiple of 32: the same bits on any thread count.
extension ConvolutionGeometry {
    /// Budget of the frame-im2col window: 16 MiB (at 64×64 with 32 channels an S frame is 4.7 MB, so the window
    /// holds the three frames one output frame reads).
    static let frameScratchBytes = 16 << 20
    /// Above this a window of kT S frames is too large a scratch, and the per-tap path (which needs none) runs instead.
    static let frameWindowLimitBytes = 64 << 20

    /// An S frame up to this size stays in one core's L2 cache (2 MiB on the machines measured).
    static let frameCacheBytes = 3 << 19

    /// The path for a shape: the direct rows for every kernel of more than one tap where the CPU runs them
    /// (`directEligible`; measured faster than both GEMM paths at every shape of the VAE, docs/ARCHITECTURE.md §12),
    /// else `gemmRule`.
    var rule: ConvolutionPath { directEligible ? .direct : gemmRule }

    /// Runs `path` forward (the direct rows fall back to `gemmRule` where they cannot run) and backward (the direct
    /// rows have none: `backwardRule`).
    mutating func force(_ path: ConvolutionPath) {
        self.path = path == .direct && !directEligible ? gemmRule : path
        backwardPath = path == .direct ? backwardRule : path
    }

    /// The path of every backward: frame im2col for any kernel of more than one tap whose window of kT S frames fits
    /// `frameWindowLimitBytes`, per tap otherwise (1×1×1: one GEMM either way). Frame im2col's backward was faster at
    /// every conv3d shape of `bench kernels` (2 threads, 2026-12-07, one run each: 1.07–1.66 of sgemm against
    /// 0.42–0.89 per tap, the 64×64×32 and 32×32×64 frames whose forward runs faster per tap included).
    var backwardRule: ConvolutionPath {
        taps > 1 && 4 * kT * frameFloats <= Self.frameWindowLimitBytes ? .frameIm2col : .perTap
    }

    /// The GEMM path of a forward the direct rows cannot run (no AVX2, 1×1×1 kernels): frame im2col for a
    /// kernel of more than one tap whose S frame stays in cache (`frameCacheBytes`) or whose per-tap GEMMs would be
    /// narrow (Cin < 32) — and whose window of kT S frames fits `frameWindowLimitBytes`; per-tap otherwise, and for
    /// 1×1×1 kernels (a single GEMM either way). Measured at the decoder's shapes (`bench kernels --conv-path`,
    /// 2 threads, one run; GFLOP/s per-tap → frames): 25×64×64×32 121 → 95 and 13×32×32×64 187 → 150 (S frames of
    /// 4.7 and 2.4 MB: the gather's writes leave the cache), 7×16×16×128 150 → 212, 5×32×32×32 98 → 146,
    /// 5×64×64×16 68 → 104.
    var gemmRule: ConvolutionPath {
        guard taps > 1, 4 * kT * frameFloats <= Self.frameWindowLimitBytes else { return .perTap }
        return 4 * frameFloats <= Self.frameCacheBytes || inChannels < 32 ? .frameIm2col : .perTap
    }

    /// The one-frame, spatial-only geometry whose gather and col2im build and undo an S frame.
    var spatialGeometry: ConvolutionGeometry {
        var g = ConvolutionGeometry(batch: 1, frames: 1, height: height, width: width, inChannels: inChannels, outChannels: outChannels,
                                    kernel: (1, kH, kW), stride: (1, sH, sW),
                                    padTop: padTop, padBottom: padBottom, padLeft: padLeft, padRight: padRight)
        g.force(.perTap)   // only its gather and col2im are used
        return g
    }

    /// Columns of an S frame: kH · kW · Cin.
    var frameColumns: Int { kH * kW * inChannels }
    /// Floats of one S frame.
    var frameFloats: Int { outH * outW * frameColumns }

    /// Output frames per block: as many as keep the window ((F − 1)·sT + kT S frames) within `frameScratchBytes`,
    /// at least one; with `blockRows` set (tests), that many output rows rounded down to whole frames.
    var frameBlockFrames: Int {
        if let blockRows { return max(1, blockRows / (outH * outW)) }
        let fit = Self.frameScratchBytes / (4 * max(frameFloats, 1))
        return max(1, min(outT, (fit - kT) / sT + 1))
    }

    /// Floats of the sliding window: the (F − 1)·sT + kT S frames a block of F output frames reads.
    var frameWindowFloats: Int { ((frameBlockFrames - 1) * sT + kT) * frameFloats }

    /// Padded frames (0 ..< paddedT) that hold data: the input's, and before them the cached `front` frames.
    func framesWithData(hasFront: Bool) -> Range<Int> { (hasFront ? 0 : padFront)..<(padFront + frames) }

    /// Padded frame `p` of batch element `b`: the input frame, a cached front frame, or nil (zero padding).
    func paddedFrame(_ p: Int, batch b: Int, x: UnsafePointer<Float>, front: UnsafePointer<Float>?) -> UnsafePointer<Float>? {
        let t = p - padFront, frameSize = height * width * inChannels
        if t >= 0 && t < frames { return x + (b * frames + t) * frameSize }
        if t < 0, let front { return front + (b * padFront + padFront + t) * frameSize }
        return nil
    }

    /// For each block of output frames of batch element `b`, fills the sliding window `window` with the S frames
    /// the block reads, then calls `body(rows, dt, a)` once per temporal tap and run of output rows that reads
    /// data: `rows` the output rows (positions in `[B, To, Ho, Wo]` order), `a` their S rows for tap dt.
    func forEachFrameGEMM(batch b: Int, x: UnsafePointer<Float>, front: UnsafePointer<Float>?, window: UnsafeMutablePointer<Float>,
                          _ body: (_ rows: Range<Int>, _ dt: Int, _ a: UnsafePointer<Float>) -> Void) {
        let positions = outH * outW, floats = frameFloats, spatial = spatialGeometry
        let data = framesWithData(hasFront: front != nil)
        let block = frameBlockFrames
        var held = 0..<0   // padded frames in the window, from slot 0
        for to0 in stride(from: 0, to: outT, by: block) {
            let to1 = min(outT, to0 + block)
            let need = (to0 * sT)..<((to1 - 1) * sT + kT)
            let kept = need.lowerBound..<max(need.lowerBound, min(need.upperBound, held.upperBound))
            if !kept.isEmpty && held.lowerBound != kept.lowerBound {
                memmove(window, window + (kept.lowerBound - held.lowerBound) * floats, kept.count * floats * 4)
            }
            for p in kept.upperBound..<need.upperBound {
                guard let frame = paddedFrame(p, batch: b, x: x, front: front) else { continue }
                spatial.gatherColumns(0..<positions, x: frame, front: nil, into: window + (p - need.lowerBound) * floats)
            }
            held = need
            for dt in 0..<kT {
                if sT == 1 {
                    let lo = max(to0, data.lowerBound - dt), hi = min(to1, data.upperBound - dt)
                    guard lo < hi else { continue }
                    body(((b * outT + lo) * positions)..<((b * outT + hi) * positions), dt,
                         UnsafePointer(window + (lo + dt - need.lowerBound) * floats))
                } else {
                    for to in to0..<to1 where data.contains(to * sT + dt) {
                        body(((b * outT + to) * positions)..<((b * outT + to + 1) * positions), dt,
                             UnsafePointer(window + (to * sT + dt - need.lowerBound) * floats))
                    }
                }
            }
        }
    }

    /// `forward` on the frame-im2col path: `out` = conv(x) + bias.
    func forwardFrames(x: UnsafePointer<Float>, front: UnsafePointer<Float>?, weight: UnsafePointer<Float>,
                       bias: UnsafePointer<Float>?, out: UnsafeMutablePointer<Float>) {
        let cout = outChannels, k = frameColumns
        let count = outputCount
        ComputeThreads.parallelFor(count, grain: 1 << 16) { range in
            (out + range.lowerBound).update(repeating: 0, count: range.count)
        }
        let window = Tensor(uninitialized: [frameWindowFloats])
        for b in 0..<batch {
            forEachFrameGEMM(batch: b, x: x, front: front, window: window.data) { rows, dt, a in
                GEMM.sgemm(m: rows.count, n: cout, k: k, a: a, lda: k, b: weight + dt * k * cout, ldb: cout,
                           beta: 1, c: out + rows.lowerBound * cout, ldc: cout)
            }
        }
        withExtendedLifetime(window) {}
        if let bias { addBias(bias, to: out) }
    }

    /// `backward` on the frame-im2col path (dBias is summed by the caller): accumulates dx and dWeight.
    func backwardFrames(g: UnsafePointer<Float>, x: UnsafePointer<Float>, front: UnsafePointer<Float>?,
                        weight: UnsafePointer<Float>, dx: UnsafeMutablePointer<Float>?, dWeight: UnsafeMutablePointer<Float>?) {
        let cout = outChannels, k = frameColumns, floats = frameFloats, positions = outH * outW
        if let dWeight {
            let window = Tensor(uninitialized: [frameWindowFloats])
            for b in 0..<batch {
                forEachFrameGEMM(batch: b, x: x, front: front, window: window.data) { rows, dt, a in
                    GEMM.sgemm(transposeA: true, m: k, n: cout, k: rows.count, a: a, lda: k, b: g + rows.lowerBound * cout,
                               ldb: cout, beta: 1, c: dWeight + dt * k * cout, ldc: cout)
                }
            }
            withExtendedLifetime(window) {}
        }
        guard let dx else { return }
        // Blocks of input frames: dS of a block is complete once every tap of every output frame reading it is in.
        let spatial = spatialGeometry, frameSize = height * width * inChannels
        let block = blockRows.map { max(1, $0 / positions) } ?? max(1, min(frames, Self.frameScratchBytes / (4 * max(floats, 1))))
        let dS = Tensor(uninitialized: [block * floats])
        for b in 0..<batch {
            for p0 in stride(from: padFront, to: padFront + frames, by: block) {
                let p1 = min(padFront + frames, p0 + block)
                let used = (p1 - p0) * floats
                ComputeThreads.parallelFor(used, grain: 1 << 16) { range in
                    (dS.data + range.lowerBound).update(repeating: 0, count: range.count)
                }
                for dt in 0..<kT {
                    // Output frames to with to·sT + dt in p0 ..< p1.
                    guard p1 - 1 - dt >= 0 else { continue }
                    let first = p0 - dt <= 0 ? 0 : (p0 - dt + sT - 1) / sT, end = min(outT, (p1 - 1 - dt) / sT + 1)
                    guard first < end else { continue }
                    if sT == 1 {
                        GEMM.sgemm(transposeB: true, m: (end - first) * positions, n: k, k: cout,
                                   a: g + (b * outT + first) * positions * cout, lda: cout, b: weight + dt * k * cout, ldb: cout,
                                   beta: 1, c: dS.data + (first + dt - p0) * floats, ldc: k)
                    } else {
                        for to in first..<end {
                            GEMM.sgemm(transposeB: true, m: positions, n: k, k: cout,
                                       a: g + (b * outT + to) * positions * cout, lda: cout, b: weight + dt * k * cout, ldb: cout,
                                       beta: 1, c: dS.data + (to * sT + dt - p0) * floats, ldc: k)
                        }
                    }
                }
                for p in p0..<p1 {
                    spatial.scatterColumnGradient(0..<positions, dCol: dS.data + (p - p0) * floats,
                                                  into: dx + (b * frames + p - padFront) * frameSize)
                }
            }
        }
        withExtendedLifetime(dS) {}
    }

    // MARK: im2col gather and col2im (of any geometry; the path runs them on `spatialGeometry`, one frame at a time)

    /// Fills `col` `[rows.count, taps·Cin]` with the taps of output positions `rows` (output order): column
    /// (tap, ci), tap = (dt·kH + dh)·kW + dw, zeros for padding, the cached `front` frames before the first frame.
    func gatherColumns(_ rows: Range<Int>, x: UnsafePointer<Float>, front: UnsafePointer<Float>?,
                       into col: UnsafeMutablePointer<Float>) {
        let c = inChannels, columns = taps * inChannels
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
        let c = inChannels, columns = taps * inChannels
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
}
