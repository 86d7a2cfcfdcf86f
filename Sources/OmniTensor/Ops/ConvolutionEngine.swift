/// The kernel behind `causalConv3d`, `conv3d` and `conv2d`: a strided, zero-padded 3-D convolution over
/// channels-last activations `[B, T, H, W, Cin]` with weight `[kT, kH, kW, Cin, Cout]`, computed as one
/// `GEMM.sgemm` per kernel tap and no im2col buffer — or one GEMM per temporal tap over each frame's gathered
/// spatial taps (`ConvolutionFrameIm2col.swift`), or, forward only, direct rows in C (`ConvolutionDirect.swift`);
/// `rule` picks. The rest of this comment describes the per-tap path.
///
/// Method ("padded coordinates"). The zero-padded input (plus, in cached mode, the cached frames in front)
/// is copied once into a *plane* whose rows are the `Cin` channels of one padded position. For stride 1,
/// output position (t, h, w) in plane coordinates q = ((b·Tq + t)·Hq + h)·Wq + w reads, for tap
/// (dt, dh, dw), plane row q + (dt·Hq + dh)·Wq + dw: a constant offset. So each tap is one GEMM
/// `Q[q, :] += plane[q + offset, :] · W[tap]` over M consecutive rows (lda = Cin, B = the `[Cin, Cout]` tap,
/// beta = 1), accumulating into an output buffer Q in plane coordinates; the valid region of Q is then
/// extracted (plus bias). Rows of Q that fall in the padding (h ≥ Ho or w ≥ Wo) are computed and thrown away:
/// (Hq·Wq)/(Ho·Wo) − 1 extra work, 13 % at 32×32 with a 3×3 kernel. The M rows are processed in blocks of
/// about 1 MiB of Q per thread, all taps of a block before the next, so the accumulator stays in cache.
///
/// Strides s > 1 use *phases*: the padded input is split into sT·sH·sW planes, plane (a, b, c) holding the
/// padded positions (sT·i + a, sH·j + b, sW·k + c). Tap (dt, dh, dw) reads plane (dt mod sT, dh mod sH,
/// dw mod sW) at offset (dt/sT, dh/sH, dw/sW), which again is a constant row offset from q: a strided
/// convolution costs the same per tap as a stride-1 one, with no wasted rows beyond one column per row.
///
/// Backward: dW[tap] += plane[q + offset]ᵀ · dQ (dQ = the output gradient placed in plane coordinates, zero
/// elsewhere), d(plane)[q + offset] += dQ · W[tap]ᵀ, then the input positions' gradient is gathered from the
/// plane gradient (each input position lives in exactly one plane row). dBias is a column sum.
///
/// GEMMs run on the calling thread only; copies and gathers use `ComputeThreads.parallelFor` (never both at
/// once). Memory: the plane (≈ the padded input) and Q (≈ the output, ≥ 1 row per position), skipped when the
/// input needs no padding (1×1×1 kernels) or the plane coordinates equal the output's.
struct ConvolutionGeometry: Sendable, Equatable {
    let batch, frames, height, width, inChannels, outChannels: Int
    let kT, kH, kW: Int
    let sT, sH, sW: Int
    let padFront, padBack, padTop, padBottom, padLeft, padRight: Int
    /// Rows per GEMM block (of either path); nil picks the default (tests set tiny blocks to exercise the blocking).
    var blockRows: Int?
    /// The forward's path — per-tap GEMMs, frame im2col or direct rows: `rule` — and the backward's (a GEMM path:
    /// `backwardRule`), unless `ConvolutionPath.forced` is set where the geometry is created or `force` is called
    /// (tests, `bench kernels --conv-path`).
    var path: ConvolutionPath = .perTap
    var backwardPath: ConvolutionPath = .perTap

    init(batch: Int, frames: Int, height: Int, width: Int, inChannels: Int, outChannels: Int,
         kernel: (Int, Int, Int), stride: (Int, Int, Int) = (1, 1, 1),
         padFront: Int = 0, padBack: Int = 0, padTop: Int = 0, padBottom: Int = 0, padLeft: Int = 0, padRight: Int = 0) {
        self.batch = batch; self.frames = frames; self.height = height; self.width = width
        self.inChannels = inChannels; self.outChannels = outChannels
        (kT, kH, kW) = kernel
        (sT, sH, sW) = stride
        self.padFront = padFront; self.padBack = padBack; self.padTop = padTop; self.padBottom = padBottom
        self.padLeft = padLeft; self.padRight = padRight
        precondition(kT >= 1 && kH >= 1 && kW >= 1 && sT >= 1 && sH >= 1 && sW >= 1, "bad convolution kernel \(kernel) or stride \(stride)")
        precondition([padFront, padBack, padTop, padBottom, padLeft, padRight].allSatisfy { $0 >= 0 }, "negative convolution padding")
        precondition(batch >= 1 && frames >= 1 && height >= 1 && width >= 1 && inChannels >= 1 && outChannels >= 1,
                     "empty convolution input [\(batch), \(frames), \(height), \(width), \(inChannels)] → \(outChannels)")
        precondition(paddedT >= kT && paddedH >= kH && paddedW >= kW,
                     "convolution kernel \(kernel) larger than the padded input \([paddedT, paddedH, paddedW])")
        if let forced = ConvolutionPath.forced { force(forced) } else { (path, backwardPath) = (rule, backwardRule) }
    }

    var paddedT: Int { frames + padFront + padBack }
    var paddedH: Int { height + padTop + padBottom }
    var paddedW: Int { width + padLeft + padRight }
    var outT: Int { (paddedT - kT) / sT + 1 }
    var outH: Int { (paddedH - kH) / sH + 1 }
    var outW: Int { (paddedW - kW) / sW + 1 }
    /// Plane (phase) dimensions: ceil(padded / stride).
    var planeT: Int { (paddedT + sT - 1) / sT }
    var planeH: Int { (paddedH + sH - 1) / sH }
    var planeW: Int { (paddedW + sW - 1) / sW }
    var phaseCount: Int { sT * sH * sW }
    var planeRows: Int { batch * planeT * planeH * planeW }
    /// Rows each tap's GEMM covers: up to and including the last valid output position.
    var gemmRows: Int { (((batch - 1) * planeT + outT - 1) * planeH + outH - 1) * planeW + outW }
    var outputPositions: Int { batch * outT * outH * outW }
    var inputCount: Int { batch * frames * height * width * inChannels }
    var outputCount: Int { outputPositions * outChannels }
    var taps: Int { kT * kH * kW }
    /// Multiply-adds × 2 of the convolution proper (no wasted rows, no bias).
    var flops: Double { 2 * Double(outputPositions) * Double(taps * inChannels) * Double(outChannels) }

    /// The input itself serves as the plane: one phase and no padding (so also no cached frames).
    var planeIsInput: Bool {
        phaseCount == 1 && padFront == 0 && padBack == 0 && padTop == 0 && padBottom == 0 && padLeft == 0 && padRight == 0
    }
    /// The output itself serves as Q: plane coordinates of valid positions are the output's.
    var qIsOutput: Bool { planeH == outH && planeW == outW && (planeT == outT || batch == 1) }

    @inline(__always) func phase(_ dt: Int, _ dh: Int, _ dw: Int) -> Int { ((dt % sT) * sH + dh % sH) * sW + dw % sW }
    @inline(__always) func rowOffset(_ dt: Int, _ dh: Int, _ dw: Int) -> Int {
        ((dt / sT) * planeH + dh / sH) * planeW + dw / sW
    }

    /// Rows per block of the per-tap GEMMs: the accumulated block (rows × `columns` floats) is about 1 MiB
    /// per compute thread (OpenBLAS splits the rows between its threads), so it stays in cache across the taps.
    /// Measured at 5×64×64, 96 → 96 channels: unblocked 72 (1 thread) / 66 (2 threads) GFLOP/s, blocked
    /// 91 / 170; blocks of 128 KiB to 1 MiB per thread were within noise on one thread, 1 MiB best on two.
    static func defaultBlockRows(columns: Int) -> Int {
        max(256, (1 << 20) / (4 * max(columns, 1))) * ComputeThreads.count
    }
    func rowsPerBlock(columns: Int) -> Int { max(1, blockRows ?? Self.defaultBlockRows(columns: columns)) }

    // MARK: Plane construction and gradient gather

    /// Fills `plane` (phaseCount × planeRows × Cin) from `x` `[B, T, H, W, Cin]` and, for the first `padFront`
    /// padded frames, `front` `[B, padFront, H, W, Cin]` (zeros when nil). Every element is written.
    func fillPlane(_ plane: UnsafeMutablePointer<Float>, x: UnsafePointer<Float>, front: UnsafePointer<Float>?) {
        let c = inChannels, rowLength = planeW * c
        let rowsPerPhase = batch * planeT * planeH
        let frameSize = height * width * c
        ComputeThreads.parallelFor(phaseCount * rowsPerPhase, grain: max(1, 16384 / max(rowLength, 1))) { range in
            for r in range {
                let p = r / rowsPerPhase, rr = r % rowsPerPhase
                let pc = p % sW, pb = (p / sW) % sH, pa = p / (sW * sH)
                let hq = rr % planeH, tq = (rr / planeH) % planeT, b = rr / (planeH * planeT)
                let dst = plane + r * rowLength
                let tp = sT * tq + pa, hp = sH * hq + pb
                let t = tp - padFront, h = hp - padTop
                var src: UnsafePointer<Float>?
                if tp < paddedT && h >= 0 && h < height {
                    if t >= 0 && t < frames {
                        src = x + ((b * frames + t) * height + h) * width * c
                    } else if t < 0, let front {
                        src = front + (b * padFront + padFront + t) * frameSize + h * width * c
                    }
                }
                guard let src else { dst.update(repeating: 0, count: rowLength); continue }
                if sW == 1 {
                    // Columns w = wq − padLeft for wq in [padLeft, padLeft + width) ∩ [0, planeW).
                    let lo = min(padLeft, planeW), hi = min(padLeft + width, planeW)
                    dst.update(repeating: 0, count: lo * c)
                    if hi > lo { (dst + lo * c).update(from: src + (lo - padLeft) * c, count: (hi - lo) * c) }
                    (dst + hi * c).update(repeating: 0, count: (planeW - hi) * c)
                } else {
                    for wq in 0..<planeW {
                        let w = sW * wq + pc - padLeft
                        if w >= 0 && w < width && sW * wq + pc < paddedW {
                            (dst + wq * c).update(from: src + w * c, count: c)
                        } else {
                            (dst + wq * c).update(repeating: 0, count: c)
                        }
                    }
                }
            }
        }
    }

    /// dx[b, t, h, w] += dPlane at the plane row holding input position (b, t, h, w).
    func gatherInputGradient(_ dPlane: UnsafePointer<Float>, into dx: UnsafeMutablePointer<Float>) {
        let c = inChannels, rows = batch * frames * height
        ComputeThreads.parallelFor(rows, grain: max(1, 16384 / max(width * c, 1))) { range in
            for r in range {
                let h = r % height, t = (r / height) % frames, b = r / (height * frames)
                let tp = t + padFront, hp = h + padTop
                let dst = dx + r * width * c
                for w in 0..<width {
                    let wp = w + padLeft
                    let p = ((tp % sT) * sH + hp % sH) * sW + wp % sW
                    let row = p * planeRows + ((b * planeT + tp / sT) * planeH + hp / sH) * planeW + wp / sW
                    let src = dPlane + row * c, d = dst + w * c
                    for i in 0..<c { d[i] += src[i] }
                }
            }
        }
    }

    // MARK: Forward and backward

    /// The padded input plane the per-tap GEMMs read: `x` itself when no padding or phases are needed, else a
    /// filled copy (returned too, so the caller keeps it alive while reading through the pointer).
    func paddedPlane(x: UnsafePointer<Float>, front: UnsafePointer<Float>?) -> (UnsafePointer<Float>, Tensor?) {
        if planeIsInput { return (x, nil) }
        let t = Tensor(uninitialized: [phaseCount * planeRows * inChannels])
        fillPlane(t.data, x: x, front: front)
        return (UnsafePointer(t.data), t)
    }

    /// `out` `[B, To, Ho, Wo, Cout]` = conv(x) + bias. `weight` is `[kT, kH, kW, Cin, Cout]`.
    func forward(x: UnsafePointer<Float>, front: UnsafePointer<Float>?, weight: UnsafePointer<Float>,
                 bias: UnsafePointer<Float>?, out: UnsafeMutablePointer<Float>) {
        if path == .direct { return forwardDirect(x: x, front: front, weight: weight, bias: bias, out: out) }
        if path == .frameIm2col { return forwardFrames(x: x, front: front, weight: weight, bias: bias, out: out) }
        let cin = inChannels, cout = outChannels
        let (plane, planeTensor) = paddedPlane(x: x, front: front)
        let m = gemmRows
        var qTensor: Tensor?
        let q: UnsafeMutablePointer<Float>
        if qIsOutput { q = out } else { let t = Tensor(uninitialized: [m * cout]); q = t.data; qTensor = t }
        // Row blocks: every tap of one block before the next block, so the block of Q stays in cache.
        let block = rowsPerBlock(columns: cout)
        for r0 in stride(from: 0, to: m, by: block) {
            let mb = min(block, m - r0)
            var first = true
            for dt in 0..<kT {
                for dh in 0..<kH {
                    for dw in 0..<kW {
                        let a = plane + (phase(dt, dh, dw) * planeRows + rowOffset(dt, dh, dw) + r0) * cin
                        let w = weight + ((dt * kH + dh) * kW + dw) * cin * cout
                        GEMM.sgemm(m: mb, n: cout, k: cin, a: a, lda: cin, b: w, ldb: cout,
                                   beta: first ? 0 : 1, c: q + r0 * cout, ldc: cout)
                        first = false
                    }
                }
            }
        }
        withExtendedLifetime(planeTensor) {}
        let rowLength = outW * cout
        let rows = batch * outT * outH
        if let qTensor {
            let q = UnsafePointer(qTensor.data)
            ComputeThreads.parallelFor(rows, grain: max(1, 16384 / max(rowLength, 1))) { range in
                for r in range {
                    let ho = r % outH, to = (r / outH) % outT, b = r / (outH * outT)
                    let src = q + ((b * planeT + to) * planeH + ho) * planeW * cout
                    let dst = out + r * rowLength
                    if let bias {
                        for wo in 0..<outW { for j in 0..<cout { dst[wo * cout + j] = src[wo * cout + j] + bias[j] } }
                    } else {
                        dst.update(from: src, count: rowLength)
                    }
                }
            }
        } else if let bias {
            addBias(bias, to: out)
        }
    }

    /// out[position, :] += bias for every output position (`[B, To, Ho, Wo, Cout]`).
    func addBias(_ bias: UnsafePointer<Float>, to out: UnsafeMutablePointer<Float>) {
        let cout = outChannels
        ComputeThreads.parallelFor(outputPositions, grain: max(1, 16384 / cout)) { range in
            for r in range { let row = out + r * cout; for j in 0..<cout { row[j] += bias[j] } }
        }
    }

    /// Accumulates (+=) the gradients of a forward pass: `dx` `[B, T, H, W, Cin]`, `dWeight`
    /// `[kT, kH, kW, Cin, Cout]`, `dBias` `[Cout]`; each may be nil. `g` is the output gradient. Cached front
    /// frames are treated as constants (no gradient).
    func backward(g: UnsafePointer<Float>, x: UnsafePointer<Float>, front: UnsafePointer<Float>?,
                  weight: UnsafePointer<Float>, dx: UnsafeMutablePointer<Float>?,
                  dWeight: UnsafeMutablePointer<Float>?, dBias: UnsafeMutablePointer<Float>?) {
        let cin = inChannels, cout = outChannels
        if let dBias {
            for p in 0..<outputPositions { let row = g + p * cout; for j in 0..<cout { dBias[j] += row[j] } }
        }
        guard dx != nil || dWeight != nil else { return }
        if backwardPath == .frameIm2col { return backwardFrames(g: g, x: x, front: front, weight: weight, dx: dx, dWeight: dWeight) }
        let m = gemmRows
        // dQ: the output gradient in plane coordinates, zero at the thrown-away rows.
        var dqTensor: Tensor?
        let dq: UnsafePointer<Float>
        if qIsOutput {
            dq = g
        } else {
            let t = Tensor(uninitialized: [m * cout])
            let rowLength = outW * cout
            ComputeThreads.parallelFor(m * cout, grain: 1 << 16) { range in
                (t.data + range.lowerBound).update(repeating: 0, count: range.count)
            }
            let rows = batch * outT * outH
            ComputeThreads.parallelFor(rows, grain: max(1, 16384 / max(rowLength, 1))) { range in
                for r in range {
                    let ho = r % outH, to = (r / outH) % outT, b = r / (outH * outT)
                    (t.data + ((b * planeT + to) * planeH + ho) * planeW * cout).update(from: g + r * rowLength, count: rowLength)
                }
            }
            dqTensor = t
            dq = UnsafePointer(t.data)
        }
        if let dWeight {
            let (plane, planeTensor) = paddedPlane(x: x, front: front)
            for dt in 0..<kT {
                for dh in 0..<kH {
                    for dw in 0..<kW {
                        let a = plane + (phase(dt, dh, dw) * planeRows + rowOffset(dt, dh, dw)) * cin
                        let gw = dWeight + ((dt * kH + dh) * kW + dw) * cin * cout
                        GEMM.sgemm(transposeA: true, m: cin, n: cout, k: m, a: a, lda: cin, b: dq, ldb: cout,
                                   beta: 1, c: gw, ldc: cout)
                    }
                }
            }
            withExtendedLifetime(planeTensor) {}
        }
        if let dx {
            var dPlaneTensor: Tensor?
            let dPlane: UnsafeMutablePointer<Float>
            if planeIsInput {
                dPlane = dx
            } else {
                let count = phaseCount * planeRows * cin
                let t = Tensor(uninitialized: [count])
                ComputeThreads.parallelFor(count, grain: 1 << 16) { range in
                    (t.data + range.lowerBound).update(repeating: 0, count: range.count)
                }
                dPlaneTensor = t
                dPlane = t.data
            }
            let block = rowsPerBlock(columns: cin)
            for r0 in stride(from: 0, to: m, by: block) {
                let mb = min(block, m - r0)
                for dt in 0..<kT {
                    for dh in 0..<kH {
                        for dw in 0..<kW {
                            let c = dPlane + (phase(dt, dh, dw) * planeRows + rowOffset(dt, dh, dw) + r0) * cin
                            let w = weight + ((dt * kH + dh) * kW + dw) * cin * cout
                            GEMM.sgemm(transposeB: true, m: mb, n: cin, k: cout, a: dq + r0 * cout, lda: cout,
                                       b: w, ldb: cout, beta: 1, c: c, ldc: cin)
                        }
                    }
                }
            }
            if let dPlaneTensor { gatherInputGradient(dPlaneTensor.data, into: dx) }
        }
        withExtendedLifetime(dqTensor) {}
    }
}

extension Tensor {
    /// Runs `geometry`'s convolution of `x` (whose elements are `[B, T, H, W, Cin]` in some shape) with `weight`
    /// (elements `[kT, kH, kW, Cin, Cout]`) and records its backward. `front` (elements
    /// `[B, padFront, H, W, Cin]`) replaces the front zero padding and receives no gradient.
    static func convolution(_ x: Tensor, weight: Tensor, bias: Tensor?, geometry: ConvolutionGeometry,
                            front: Tensor?, outputShape: [Int]) -> Tensor {
        precondition(x.count == geometry.inputCount, "convolution input \(x.shape) does not match its geometry")
        precondition(weight.count == geometry.taps * geometry.inChannels * geometry.outChannels)
        if let bias { precondition(bias.shape == [geometry.outChannels], "convolution bias \(bias.shape) ≠ [\(geometry.outChannels)]") }
        if let front { precondition(front.count == geometry.batch * geometry.padFront * geometry.height * geometry.width * geometry.inChannels) }
        precondition(outputShape.reduce(1, *) == geometry.outputCount)
        let out = Tensor(uninitialized: outputShape)
        geometry.forward(x: x.data, front: front?.data, weight: weight.data, bias: bias?.data, out: out.data)
        Tape.record(Tape.shouldRecord(x, weight, bias), output: out) { g in
            geometry.backward(g: g.data, x: x.data, front: front?.data, weight: weight.data,
                              dx: x.requiresGrad ? x.gradData() : nil,
                              dWeight: weight.requiresGrad ? weight.gradData() : nil,
                              dBias: bias?.requiresGrad == true ? bias!.gradData() : nil)
        }
        return out
    }

    /// Floating-point operations (2 per multiply-add, bias excluded) of a convolution with weight shape
    /// `[kT, kH, kW, Cin, Cout]` (or `[kH, kW, Cin, Cout]`) producing `outputShape` (channels-last, any leading
    /// dimensions). For GFLOP/s figures: `convolutionFLOPs(…) / seconds / 1e9`.
    public static func convolutionFLOPs(outputShape: [Int], weightShape: [Int]) -> Double {
        let cout = weightShape.last ?? 1
        let k = weightShape.dropLast().reduce(1, *)
        let positions = outputShape.dropLast().reduce(1, *)
        return 2 * Double(positions) * Double(k) * Double(cout)
    }
}
