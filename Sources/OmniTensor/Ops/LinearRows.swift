/// Linear layers' forward on the direct rows of the convolutions (`omni_conv_row`: a linear is a one-tap
/// convolution), for inference: within `run`, `Tensor.linear` with one of the prepared weights and nothing to
/// record computes y = x·Wᵀ + b from a copy of W transposed to `[in, out′]` (out′ = out rounded up to 16, zero
/// columns), rows split over the compute threads — where that beats sgemm (`DirectRows.beatSGEMM`).
///
/// Why. OpenBLAS packs both operands on every call and may be held to AVX2 (`OPENBLAS_CORETYPE`) on a CPU with
/// AVX-512; the direct rows keep a tile of rows × outputs in registers and pick the CPU's best level. A one-pass DiT
/// call of the bundled model: docs/ARCHITECTURE.md §12.
///
/// Contract. The copies are made when the `LinearRows` is made, so the weights must not change while it is in use
/// (make one per generation run; a trainer never runs inside one). A weight that is not prepared (none are where
/// the rows do not beat sgemm) or a call whose tape records takes `GEMM.sgemm`. Results are the same bits on any
/// thread count and CPU level, and differ from the sgemm path in rounding. The rows apply on the thread that called
/// `run` (a task-local value), not in work handed to other threads.
public final class LinearRows: @unchecked Sendable {
    /// weight → (the weight itself, kept alive so its identifier stays unique; its transposed copy).
    private let prepared: [ObjectIdentifier: (weight: Tensor, columns: Tensor)]

    /// The rows in effect on this thread (set by `run`).
    @TaskLocal static var active: LinearRows?

    /// Prepares `weights` (each `[out, in]`); none where the rows do not beat sgemm (`DirectRows.beatSGEMM`).
    public init(weights: [Tensor]) {
        var prepared: [ObjectIdentifier: (weight: Tensor, columns: Tensor)] = [:]
        if DirectRows.beatSGEMM {
            for w in weights where prepared[ObjectIdentifier(w)] == nil {
                precondition(w.rank == 2, "LinearRows: a linear weight is [out, in], got \(w.shape)")
                prepared[ObjectIdentifier(w)] = (w, Self.transposed(w))
            }
        }
        self.prepared = prepared
    }

    /// Prepares the weights of every `Linear` in `modules`.
    public convenience init(modules: [any Module]) {
        self.init(weights: modules.flatMap { $0.modules() }.compactMap { ($0 as? Linear)?.weight })
    }

    /// How many weights were prepared.
    public var count: Int { prepared.count }

    /// Runs `body` with these rows in effect for `Tensor.linear` on this thread.
    public func run<R, E: Error>(_ body: () throws(E) -> R) throws(E) -> R {
        let result: Result<R, E> = Self.$active.withValue(self) {
            do throws(E) { return .success(try body()) } catch { return .failure(error) }
        }
        return try result.get()
    }

    /// The transposed copy of `weight`, if prepared.
    func columns(for weight: Tensor) -> Tensor? { prepared[ObjectIdentifier(weight)]?.columns }

    /// `[out, in]` → `[in, out′]`, out′ = out rounded up to 16, the extra columns zero.
    static func transposed(_ weight: Tensor) -> Tensor {
        let out = weight.shape[0], inputs = weight.shape[1], columns = (out + 15) / 16 * 16
        let t = Tensor(zeros: [inputs, columns])
        let src = weight.data, dst = t.data
        ComputeThreads.parallelFor(inputs, grain: max(1, 4096 / max(out, 1))) { range in
            for i in range { for o in 0..<out { dst[i * columns + o] = src[o * inputs + i] } }
        }
        return t
    }
}

extension Tensor {
    /// `linear` on the direct rows: `columns` is `LinearRows.transposed(weight)`. Inference only (no tape).
    func linearRows(columns: Tensor, bias: Tensor?, outFeatures: Int) -> Tensor {
        let inFeatures = columns.shape[0], stride = columns.shape[1]
        let rows = count / max(inFeatures, 1)
        let out = Tensor(uninitialized: Array(shape.dropLast()) + [outFeatures])
        let x = data, y = out.data, w = UnsafePointer(columns.data), b = bias.map { UnsafePointer($0.data) }
        // About 2 MFLOP a chunk at the least; a row's outputs never depend on how the rows are split.
        ComputeThreads.parallelFor(rows, grain: max(1, (1 << 21) / max(2 * inFeatures * outFeatures, 1))) { range in
            DirectRows.multiply(input: x + range.lowerBound * inFeatures, inputStride: inFeatures, depth: inFeatures,
                                offsets: DirectRows.oneTap, taps: 1, weight: w, weightStride: stride, bias: b,
                                columns: outFeatures, output: y + range.lowerBound * outFeatures, outputStride: outFeatures,
                                rows: range.count)
        }
        withExtendedLifetime((self, columns, bias)) {}
        return out
    }
}
