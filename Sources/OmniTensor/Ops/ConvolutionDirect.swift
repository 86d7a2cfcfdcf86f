/// The third path of `ConvolutionGeometry`, forward only: *direct rows*, the convolution computed by `omni_conv_row`
/// (C, `Sources/COmniKernels/convolution_rows.c`) one output row (b, t, h) at a time.
///
/// Why. Both GEMM paths hand OpenBLAS narrow products (K = Cin per tap, or N = Cout ≤ 128 over a gathered frame)
/// and pay for packing, accumulator traffic and, in frame im2col, writing a gathered frame larger than the cache.
/// The direct rows keep a tile of output positions × channels in registers across each tap's Cin multiply-adds,
/// read the padded plane and the weight in place, and use AVX-512 where the CPU has it even when OpenBLAS is held
/// to AVX2 (`OPENBLAS_CORETYPE`). Measured at the VAE decoder's shapes: docs/ARCHITECTURE.md §12.
///
/// Method. The same padded plane (phases for strides) as the per-tap path (`paddedPlane`): output position
/// (b, t, h, w) reads tap (dt, dh, dw) at plane row q(b, t, h, 0) + w + the tap's constant offset (its phase's
/// first row + `rowOffset`), so a row of Wo outputs is one call with the taps' offsets. Taps whose input frame is
/// causal zero padding (no cached `front`) are left out of the call: they add exact zeros. A Cout that is not a
/// multiple of 16 runs on a copy of the weight padded with zero columns. Results do not depend on the thread count (rows are independent) and are the same bits on both CPU
/// levels; they differ from the GEMM paths in rounding. The backward of a direct forward runs the GEMM path
/// `backwardRule` picks.
extension ConvolutionGeometry {
    /// Whether the direct rows compute this geometry's forward: more than one tap (a 1×1×1 kernel is one GEMM) on
    /// a CPU with a level.
    var directEligible: Bool { taps > 1 && DirectRows.level > 0 }

    /// `out` `[B, To, Ho, Wo, Cout]` = conv(x) + bias on the direct rows, at `level` (1 or 2, at most
    /// `DirectRows.level`; tests compare the levels).
    func forwardDirect(x: UnsafePointer<Float>, front: UnsafePointer<Float>?, weight: UnsafePointer<Float>,
                       bias: UnsafePointer<Float>?, out: UnsafeMutablePointer<Float>, level: Int = DirectRows.level) {
        precondition(directEligible && level >= 1 && level <= DirectRows.level, "direct convolution rows unavailable here")
        let cin = inChannels, cout = outChannels
        let (plane, planeTensor) = paddedPlane(x: x, front: front)
        let columns = (cout + 15) / 16 * 16
        var paddedWeight: Tensor?
        if columns != cout {
            let t = Tensor(zeros: [taps * cin * columns])
            for r in 0..<(taps * cin) { (t.data + r * columns).update(from: weight + r * cout, count: cout) }
            paddedWeight = t
        }
        let w = paddedWeight.map { UnsafePointer($0.data) } ?? weight
        var offsets = [Int](repeating: 0, count: taps)
        for dt in 0..<kT {
            for dh in 0..<kH {
                for dw in 0..<kW { offsets[(dt * kH + dh) * kW + dw] = phase(dt, dh, dw) * planeRows + rowOffset(dt, dh, dw) }
            }
        }
        let spatialTaps = kH * kW, rowLength = outW * cout
        let rows = batch * outT * outH
        let rowFlops = 2 * outW * taps * cin * cout
        offsets.withUnsafeBufferPointer { offsets in
            let offsets = offsets.baseAddress!
            ComputeThreads.parallelFor(rows, grain: max(1, (1 << 21) / max(rowFlops, 1))) { range in
                for r in range {
                    let ho = r % outH, to = (r / outH) % outT, b = r / (outH * outT)
                    // Temporal tap dt reads padded frame to·sT + dt: zeros before the input when nothing is cached,
                    // zeros after it (padBack).
                    let first = front == nil ? max(0, padFront - to * sT) : 0
                    let last = min(kT, padFront + frames - to * sT)
                    let used = max(0, last - first) * spatialTaps
                    let q = ((b * planeT + to) * planeH + ho) * planeW
                    DirectRows.multiply(level: level, input: plane + q * cin, inputStride: cin, depth: cin,
                                        offsets: offsets + first * spatialTaps, taps: used,
                                        weight: w + first * spatialTaps * cin * columns, weightStride: columns, bias: bias,
                                        columns: cout, output: out + r * rowLength, outputStride: cout, rows: outW)
                }
            }
        }
        withExtendedLifetime((planeTensor, paddedWeight)) {}
    }
}
