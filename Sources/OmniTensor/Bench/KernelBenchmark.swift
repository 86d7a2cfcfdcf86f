import COpenBLAS
import Foundation

/// `omnistudio bench kernels`: GFLOP/s of OmniTensor's kernels next to raw `cblas_sgemm` on the equivalent
/// GEMM shapes, measured in the same run. A row's ratio is kernel GFLOP/s ÷ sgemm GFLOP/s; the targets from
/// the issue are linear ≥ 0.9, attention ≥ 0.6, Conv3d ≥ 0.7.
public enum KernelBenchmark {
    public struct Row: Sendable, Codable {
        public var kernel: String
        public var shape: String
        public var pass: String          // "forward", "backward", or "rows": inference's forward on the direct rows
        public var gflops: Double        // useful GFLOP per second of the kernel
        public var sgemmGflops: Double   // raw sgemm on the equivalent GEMM shape(s), same run
        public var ratio: Double { gflops / sgemmGflops }
        public var target: Double
    }

    /// Times raw sgemm for a list of GEMM shapes (m, n, k, transA, transB) run back to back; returns GFLOP/s.
    public static func sgemmRate(_ shapes: [(m: Int, n: Int, k: Int, ta: Bool, tb: Bool)], seconds: Double) -> Double {
        let buffers = shapes.map { s -> (Tensor, Tensor, Tensor) in
            (Tensor(repeating: 0.01, shape: [s.m * s.k]), Tensor(repeating: 0.02, shape: [s.k * s.n]), Tensor(zeros: [s.m * s.n]))
        }
        let flops = shapes.reduce(0.0) { $0 + 2 * Double($1.m) * Double($1.n) * Double($1.k) }
        // Raw OpenBLAS on its own threads, not `GEMM.sgemm`: the reference the kernels are measured against. (The
        // engine itself keeps OpenBLAS single-threaded — see `ComputeThreads` — so it gets them only here.)
        openblas_set_num_threads(Int32(ComputeThreads.count))
        defer { openblas_set_num_threads(1) }
        let t = Stopwatch.median(minimumSeconds: seconds) {
            for (s, (a, b, c)) in zip(shapes, buffers) {
                cblas_sgemm(CblasRowMajor, s.ta ? CblasTrans : CblasNoTrans, s.tb ? CblasTrans : CblasNoTrans,
                            Int32(s.m), Int32(s.n), Int32(s.k), 1, a.data, Int32(s.ta ? s.m : s.k),
                            b.data, Int32(s.tb ? s.k : s.n), 0, c.data, Int32(s.n))
            }
        }
        return flops / t / 1e9
    }

    /// Linear `[tokens, width] → [tokens, out]` forward and backward (dX and dW) against sgemm.
    public static func linear(tokens: Int, width: Int, out: Int, seconds: Double = 0.3) -> [Row] {
        let rng = RandomStream(seed: 1)
        let x = Tensor(uninitialized: [tokens, width]), w = Tensor(uninitialized: [out, width]), b = Tensor(zeros: [out])
        rng.fillNormal(x.buffer, std: 1)
        rng.fillNormal(w.buffer, std: 0.02)
        let shape = "\(tokens)×\(width)→\(out)"
        let flops = 2 * Double(tokens) * Double(width) * Double(out)
        let forward = Stopwatch.median(minimumSeconds: seconds) { _ = x.linear(w, b) }
        let sgemmForward = sgemmRate([(tokens, out, width, false, true)], seconds: seconds)
        // Inference's path: the weight prepared for the direct rows (`LinearRows`), wherever they run at all.
        let rows = DirectRows.level > 0 ? DirectRows.$forced.withValue(true) { LinearRows(weights: [w]) } : nil
        let forwardRows = rows.map { rows in Stopwatch.median(minimumSeconds: seconds) { _ = rows.run { x.linear(w, b) } } }

        x.requiresGrad = true; w.requiresGrad = true
        let gradOut = Tensor(repeating: 0.001, shape: [tokens, out])
        let backward = timeBackward(seconds: seconds, gradOut: gradOut) { x.linear(w, b) }
        let sgemmBackward = sgemmRate([(tokens, width, out, false, false), (out, width, tokens, true, false)], seconds: seconds)
        x.requiresGrad = false; w.requiresGrad = false; x.zeroGrad(); w.zeroGrad()
        return [
            Row(kernel: "linear", shape: shape, pass: "forward", gflops: flops / forward / 1e9, sgemmGflops: sgemmForward, target: 0.9),
            Row(kernel: "linear", shape: shape, pass: "backward", gflops: 2 * flops / backward / 1e9, sgemmGflops: sgemmBackward, target: 0.9),
        ] + (forwardRows.map {
            [Row(kernel: "linear", shape: shape, pass: "rows", gflops: flops / $0 / 1e9, sgemmGflops: sgemmForward, target: 0.9)]
        } ?? [])
    }

    /// Self-attention `[tokens, heads, 64]` forward and backward against the same GEMMs run by raw sgemm.
    /// Forward counts 4·H·L²·D flops (QKᵀ and P·V); backward counts 10·H·L²·D (the FlashAttention convention:
    /// recomputed QKᵀ, dV, dP, dQ, dK).
    public static func attention(tokens: Int, heads: Int, headDimension d: Int = 64, seconds: Double = 0.3) -> [Row] {
        let rng = RandomStream(seed: 2)
        let q = Tensor(uninitialized: [1, tokens, heads, d]), k = Tensor(uninitialized: q.shape), v = Tensor(uninitialized: q.shape)
        for (i, t) in [q, k, v].enumerated() { rng.split(UInt64(i)).fillNormal(t.buffer) }
        let shape = "L=\(tokens) H=\(heads) D=\(d)"
        let unit = Double(heads) * Double(tokens) * Double(tokens) * Double(d)
        // The sgemm path (training's forward), then inference's on the direct rows wherever they run at all.
        let forward = DirectRows.$forced.withValue(false) {
            Stopwatch.median(minimumSeconds: seconds) { _ = Tensor.attention(query: q, key: k, value: v) }
        }
        let sgemmForward = sgemmRate([(tokens, tokens, d, false, true), (tokens, d, tokens, false, false)], seconds: seconds)
        let forwardRows = DirectRows.level == 0 ? nil : DirectRows.$forced.withValue(true) {
            Stopwatch.median(minimumSeconds: seconds) { _ = Tensor.attention(query: q, key: k, value: v) }
        }

        for t in [q, k, v] { t.requiresGrad = true }
        let gradOut = Tensor(repeating: 0.01, shape: q.shape)
        let backward = timeBackward(seconds: seconds, gradOut: gradOut) { Tensor.attention(query: q, key: k, value: v) }
        let sgemmBackward = sgemmRate([(tokens, tokens, d, false, true), (tokens, d, tokens, true, false),
                                       (tokens, tokens, d, false, true), (tokens, d, tokens, false, false),
                                       (tokens, d, tokens, true, false)], seconds: seconds)
        for t in [q, k, v] { t.requiresGrad = false; t.zeroGrad() }
        return [
            Row(kernel: "attention", shape: shape, pass: "forward", gflops: 4 * unit / forward / 1e9, sgemmGflops: sgemmForward, target: 0.6),
            Row(kernel: "attention", shape: shape, pass: "backward", gflops: 10 * unit / backward / 1e9, sgemmGflops: sgemmBackward, target: 0.6),
        ] + (forwardRows.map {
            [Row(kernel: "attention", shape: shape, pass: "rows", gflops: 4 * unit / $0 / 1e9, sgemmGflops: sgemmForward, target: 0.6)]
        } ?? [])
    }

    /// Causal Conv3d 3×3×3, `[frames, side, side, C] → C`, forward and backward (dX, dW) against sgemm on the
    /// im2col-equivalent shapes: M = T·H·W, K = 27·C, N = C (forward); M×(27C)×N and (27C)×N×M (backward).
    /// `path`: a name of `convolutionPaths` forces that convolution path; nil lets the geometry's rule choose, as every
    /// model does.
    public static func causalConv3d(channels c: Int, side: Int, frames: Int, seconds: Double = 0.3, path: String? = nil) -> [Row] {
        ConvolutionPath.$forced.withValue(path.flatMap { convolutionPaths[$0] }) {
            causalConv3dRows(channels: c, side: side, frames: frames, seconds: seconds)
        }
    }

    /// The convolution paths `bench kernels --conv-path` can force, by name.
    static let convolutionPaths: [String: ConvolutionPath] = ["per-tap": .perTap, "frames": .frameIm2col, "direct": .direct]
    public static var convolutionPathNames: [String] { convolutionPaths.keys.sorted() }

    static func causalConv3dRows(channels c: Int, side: Int, frames: Int, seconds: Double) -> [Row] {
        let rng = RandomStream(seed: 3)
        let x = Tensor(uninitialized: [frames, side, side, c]), w = Tensor(uninitialized: [3, 3, 3, c, c]), b = Tensor(zeros: [c])
        rng.split(0).fillNormal(x.buffer)
        rng.split(1).fillNormal(w.buffer, std: 0.05)
        let m = frames * side * side, k = 27 * c
        let flops = 2 * Double(m) * Double(k) * Double(c)
        let shape = "\(frames)×\(side)×\(side)×\(c)→\(c)"
        let forward = Stopwatch.median(minimumSeconds: seconds) { _ = x.causalConv3d(w, bias: b) }
        let sgemmForward = sgemmRate([(m, c, k, false, false)], seconds: seconds)

        x.requiresGrad = true; w.requiresGrad = true
        let gradOut = Tensor(repeating: 0.01, shape: [frames, side, side, c])
        let backward = timeBackward(seconds: seconds, gradOut: gradOut) { x.causalConv3d(w, bias: b) }
        let sgemmBackward = sgemmRate([(m, k, c, false, true), (k, c, m, true, false)], seconds: seconds)
        x.requiresGrad = false; w.requiresGrad = false; x.zeroGrad(); w.zeroGrad()
        return [
            Row(kernel: "conv3d", shape: shape, pass: "forward", gflops: flops / forward / 1e9, sgemmGflops: sgemmForward, target: 0.8),
            Row(kernel: "conv3d", shape: shape, pass: "backward", gflops: 2 * flops / backward / 1e9, sgemmGflops: sgemmBackward, target: 0.8),
        ]
    }

    /// Median seconds of the backward pass alone: each run records `forward` on a fresh tape (untimed), then
    /// times `backward` seeded with `gradOut`. Leaf gradients keep accumulating across runs, as they would
    /// over micro-batches; they are allocated during the untimed warm-up run.
    static func timeBackward(seconds: Double, gradOut: Tensor, _ forward: () -> Tensor) -> Double {
        Stopwatch.median(minimumSeconds: seconds, setup: { () -> (Tape, Tensor) in
            let tape = Tape()
            let out = tape.recording(forward)
            return (tape, out)
        }) { prepared in
            prepared.0.backward(from: prepared.1, seed: gradOut)
        }
    }
}
