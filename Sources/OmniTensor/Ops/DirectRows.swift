import COmniKernels

/// The Swift face of the direct rows (`omni_conv_row`, `Sources/COmniKernels/convolution_rows.c`): a block of
/// output rows, each a sum over taps and input channels of input rows times weight rows, with a tile of rows ×
/// 16-float vectors held in registers, at the CPU's best level (AVX-512 or AVX2 + FMA). A convolution row, a
/// linear layer and attention's two products are all such blocks (docs/ARCHITECTURE.md §12).
enum DirectRows {
    /// The best level on this CPU: 2 (AVX-512), 1 (AVX2 + FMA), 0 (none: the sgemm paths run).
    static let level = Int(omni_conv_direct_level())

    /// Whether plain matrix products (inference's linears and attention) run on the rows here: a level to run them at,
    /// and `forced`, else AVX-512 rows against OpenBLAS without its AVX-512 kernels. Measured (`bench generate`, the bundled model, 2026-12-07): with OpenBLAS held to Haswell's
    /// AVX2 kernels the one-pass DiT call runs 200 → 258–272 GFLOP/s with its linears on the rows; with OpenBLAS's
    /// Cooperlake (AVX-512) kernels the sgemm path was ~5 % faster (0.018–0.019 against 0.019–0.020 s a step); AVX2
    /// rows only tie AVX2 sgemm (one thread, a C bench). Convolutions use the rows at any level (their GEMMs are
    /// narrow: `ConvolutionGeometry.rule`).
    static var beatSGEMM: Bool { level > 0 && (forced ?? (level == 2 && !OpenBLASCore.hasAVX512Kernels)) }

    /// Overrides the measured rule of `beatSGEMM` in a scope (tests and `bench kernels` run the rows whatever
    /// OpenBLAS picked; they still need a level); nil: the rule.
    @TaskLocal static var forced: Bool?

    /// The offsets of a one-tap product (a plain matrix product): [0].
    nonisolated(unsafe) static let oneTap: UnsafePointer<Int> = {
        let p = UnsafeMutablePointer<Int>.allocate(capacity: 1)
        p.initialize(to: 0)
        return UnsafePointer(p)
    }()

    /// output[p·outputStride + c] = (accumulate ? output[…] : bias[c] or 0)
    ///     + Σ_k Σ_{i<depth} input[(p + offsets[k])·inputStride + i] · weight[(k·depth + i)·weightStride + c]
    /// for p < rows, c < columns. Weight rows must be readable up to `columns` rounded up to 16.
    @inline(__always)
    static func multiply(level: Int = level, input: UnsafePointer<Float>, inputStride: Int, depth: Int,
                         offsets: UnsafePointer<Int>, taps: Int, weight: UnsafePointer<Float>, weightStride: Int,
                         bias: UnsafePointer<Float>?, columns: Int, output: UnsafeMutablePointer<Float>,
                         outputStride: Int, rows: Int, accumulate: Bool = false) {
        omni_conv_row(Int32(level), input, inputStride, depth, offsets, taps, weight, weightStride, bias, columns,
                      output, outputStride, rows, accumulate ? 1 : 0)
    }
}
