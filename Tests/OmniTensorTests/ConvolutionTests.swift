import XCTest
@testable import OmniTensor

/// Causal Conv3d, strided Conv3d and Conv2d: forward against naive loops, finite-difference gradients on odd
/// shapes, causality, and chunked processing with a frame cache against the whole sequence.
final class ConvolutionTests: XCTestCase {
    var rng = TestRandom(11)

    /// Direct-loop convolution of x `[B, T, H, W, Cin]` with weight `[kT, kH, kW, Cin, Cout]`: zero padding per
    /// side (`front` frames before replace the zeros when given, `[B, before, H, W, Cin]`), then strides.
    static func naiveConv3d(_ x: Tensor, batch: Int, _ w: Tensor, _ bias: Tensor?, stride: (Int, Int, Int) = (1, 1, 1),
                            before: Int, after: Int = 0, top: Int, bottom: Int, left: Int, right: Int,
                            front: Tensor? = nil) -> (values: [Float], shape: [Int]) {
        let (t, h, wd, cin) = (x.dim(-4), x.dim(-3), x.dim(-2), x.dim(-1))
        let (kT, kH, kW, cout) = (w.shape[0], w.shape[1], w.shape[2], w.shape[4])
        let to = (t + before + after - kT) / stride.0 + 1
        let ho = (h + top + bottom - kH) / stride.1 + 1
        let wo = (wd + left + right - kW) / stride.2 + 1
        var out = [Float](repeating: 0, count: batch * to * ho * wo * cout)
        func input(_ b: Int, _ tp: Int, _ hp: Int, _ wp: Int, _ c: Int) -> Float {
            let ti = tp - before, hi = hp - top, wi = wp - left
            guard hi >= 0, hi < h, wi >= 0, wi < wd, ti < t else { return 0 }
            if ti < 0 {
                guard let front else { return 0 }
                return front.data[(((b * before + before + ti) * h + hi) * wd + wi) * cin + c]
            }
            return x.data[(((b * t + ti) * h + hi) * wd + wi) * cin + c]
        }
        for b in 0..<batch { for ot in 0..<to { for oh in 0..<ho { for ow in 0..<wo { for co in 0..<cout {
            var s = Double(bias?.data[co] ?? 0)
            for dt in 0..<kT { for dh in 0..<kH { for dw in 0..<kW { for ci in 0..<cin {
                let v = input(b, ot * stride.0 + dt, oh * stride.1 + dh, ow * stride.2 + dw, ci)
                s += Double(v) * Double(w.data[(((dt * kH + dh) * kW + dw) * cin + ci) * cout + co])
            } } } }
            out[(((b * to + ot) * ho + oh) * wo + ow) * cout + co] = Float(s)
        } } } } }
        return (out, [batch, to, ho, wo, cout])
    }

    static func maxAbsDifference(_ a: [Float], _ b: [Float]) -> Float {
        precondition(a.count == b.count, "\(a.count) vs \(b.count) values")
        return zip(a, b).map { abs($0 - $1) }.max() ?? 0
    }

    /// Runs `body` once per convolution path, forced for every convolution created inside (the shapes in these
    /// tests are small, so `ConvolutionGeometry.rule` alone would mostly pick one path). The direct rows resolve
    /// to a GEMM path where they cannot run (strides, 1×1×1, a CPU without AVX2), and back-propagate through one.
    func forEachPath(_ body: (ConvolutionPath) -> Void) {
        for path in [ConvolutionPath.perTap, .frameIm2col, .direct] {
            ConvolutionPath.$forced.withValue(path) { body(path) }
        }
    }

    // MARK: Forward against naive loops

    func testCausalConv3dForwardMatchesNaiveLoops() {
        forEachPath { path in
            let kernels = [(3, 3, 3), (1, 3, 3), (3, 1, 1), (1, 1, 1), (2, 5, 3)]
            for (kT, kH, kW) in kernels {
                for (batch, t, h, w, cin, cout) in [(1, 5, 5, 4, 3, 5), (2, 3, 3, 5, 2, 3), (1, 1, 1, 1, 1, 1), (1, 2, 7, 6, 8, 4)] {
                    let x = rng.tensor(batch == 1 ? [t, h, w, cin] : [batch, t, h, w, cin])
                    let weight = rng.tensor([kT, kH, kW, cin, cout]), bias = rng.tensor([cout])
                    for b in [bias, nil] {
                        let y = x.causalConv3d(weight, bias: b)
                        let ref = Self.naiveConv3d(x, batch: batch, weight, b, before: kT - 1,
                                                   top: kH / 2, bottom: kH / 2, left: kW / 2, right: kW / 2)
                        XCTAssertEqual(y.shape, batch == 1 ? [t, h, w, cout] : [batch, t, h, w, cout])
                        XCTAssertLessThanOrEqual(Self.maxAbsDifference(y.values, ref.values), 1e-4,
                                                 "kernel \((kT, kH, kW)) input \(x.shape) bias \(b != nil)")
                    }
                }
            }
        }
    }

    func testStridedConv3dMatchesNaiveLoops() {
        forEachPath { path in
            // Wan's temporal down-sampling: (3,1,1), temporal stride 2, no temporal padding.
            let x = rng.tensor([5, 3, 2, 4]), wt = rng.tensor([3, 1, 1, 4, 4]), bt = rng.tensor([4])
            let y = x.conv3d(wt, bias: bt, temporalStride: 2, framesBefore: 0, spatialPadding: .valid)
            let ref = Self.naiveConv3d(x, batch: 1, wt, bt, stride: (2, 1, 1), before: 0, top: 0, bottom: 0, left: 0, right: 0)
            XCTAssertEqual(y.shape, [2, 3, 2, 4])
            XCTAssertLessThanOrEqual(Self.maxAbsDifference(y.values, ref.values), 1e-4)
            // Everything strided and padded at once, batched.
            let x2 = rng.tensor([2, 6, 7, 5, 3]), w2 = rng.tensor([3, 3, 3, 3, 2]), b2 = rng.tensor([2])
            let y2 = x2.conv3d(w2, bias: b2, temporalStride: 2, spatialStride: 2, framesBefore: 2, framesAfter: 1,
                               spatialPadding: .explicit(top: 1, bottom: 0, left: 2, right: 1))
            let ref2 = Self.naiveConv3d(x2, batch: 2, w2, b2, stride: (2, 2, 2), before: 2, after: 1, top: 1, bottom: 0, left: 2, right: 1)
            XCTAssertEqual(y2.shape, ref2.shape)
            XCTAssertLessThanOrEqual(Self.maxAbsDifference(y2.values, ref2.values), 1e-4)
        }
    }

    func testConv2dMatchesNaiveLoops() {
        forEachPath { path in
            let cases: [(SpatialPadding, Int, Int, Int)] = [   // padding, stride, kH, kW
                (.same, 1, 3, 3), (.same, 2, 3, 3), (.wanDownsample, 2, 3, 3), (.valid, 1, 3, 3), (.valid, 2, 3, 3),
                (.same, 1, 1, 1), (.same, 1, 5, 3), (.explicit(top: 2, bottom: 0, left: 1, right: 3), 2, 3, 3),
            ]
            for (padding, stride, kH, kW) in cases {
                for (n, h, w, cin, cout) in [(2, 6, 8, 3, 5), (1, 5, 7, 4, 2), (3, 3, 3, 1, 1), (1, 9, 4, 6, 3)] {
                    let x = rng.tensor([n, h, w, cin]), weight = rng.tensor([kH, kW, cin, cout]), bias = rng.tensor([cout])
                    let y = x.conv2d(weight, bias: bias, stride: stride, padding: padding)
                    let p = padding.resolved(kernelHeight: kH, kernelWidth: kW)
                    let ref = Self.naiveConv3d(x.reshaped([n, 1, h, w, cin]), batch: n, weight.reshaped([1, kH, kW, cin, cout]), bias,
                                               stride: (1, stride, stride), before: 0, top: p.top, bottom: p.bottom, left: p.left, right: p.right)
                    XCTAssertEqual(y.shape, [n, ref.shape[2], ref.shape[3], cout], "\(padding) stride \(stride)")
                    XCTAssertLessThanOrEqual(Self.maxAbsDifference(y.values, ref.values), 1e-4, "\(padding) stride \(stride) \(x.shape)")
                }
            }
            // Wan's down-sampling halves even sizes.
            let x = rng.tensor([1, 8, 6, 2])
            XCTAssertEqual(x.conv2d(rng.tensor([3, 3, 2, 2]), stride: 2, padding: .wanDownsample).shape, [1, 4, 3, 2])
            // Leading dimensions are flattened: a [T, H, W, C] video is convolved frame by frame.
            let video = rng.tensor([2, 3, 4, 5, 3]), w = rng.tensor([3, 3, 3, 2])
            let y = video.conv2d(w)
            XCTAssertEqual(y.shape, [2, 3, 4, 5, 2])
            XCTAssertEqual(y.values, video.reshaped([6, 4, 5, 3]).conv2d(w).values)
        }
    }

    func testRowBlockedGEMMsMatchNaiveLoopsAndGradients() {
        // Tiny GEMM row blocks on both paths (the default blocks hold more rows than these shapes have): per tap,
        // blocks of 5 and 23 rows start and end in the middle of output rows and frames; frame im2col rounds them
        // down to one output frame a block, so its window of S frames slides (kept frames moved, new ones gathered).
        for path in [ConvolutionPath.perTap, .frameIm2col] {
            for blockRows in [5, 23] {
                var geometry = ConvolutionGeometry(batch: 2, frames: 3, height: 5, width: 4, inChannels: 3, outChannels: 2,
                                                   kernel: (3, 3, 3), stride: (1, 2, 1), padFront: 2, padTop: 1, padBottom: 1,
                                                   padLeft: 1, padRight: 1)
                geometry.blockRows = blockRows
                geometry.force(path)
                let x = rng.tensor([2, 3, 5, 4, 3]), weight = rng.tensor([3, 3, 3, 3, 2], -0.5, 0.5), bias = rng.tensor([2])
                let outShape = [2, geometry.outT, geometry.outH, geometry.outW, 2]
                let y = Tensor.convolution(x, weight: weight, bias: bias, geometry: geometry, front: nil, outputShape: outShape)
                let ref = Self.naiveConv3d(x, batch: 2, weight, bias, stride: (1, 2, 1), before: 2, top: 1, bottom: 1, left: 1, right: 1)
                XCTAssertEqual(outShape, ref.shape)
                XCTAssertLessThanOrEqual(Self.maxAbsDifference(y.values, ref.values), 1e-4, "\(path) block \(blockRows)")
                GradCheck.check([x, weight, bias]) {
                    Tensor.convolution($0[0], weight: $0[1], bias: $0[2], geometry: geometry, front: nil, outputShape: outShape)
                }
            }
        }
    }

    func testCachedFrontFramesMatchNaiveLoops() {
        // Cached front frames (not zeros) read by the frame gather, with blocks of 7 rows (one output frame on the
        // frame path); gradients into the input and weight only.
        let x = rng.tensor([2, 3, 4, 5, 3]), front = rng.tensor([2, 2, 4, 5, 3])
        let weight = rng.tensor([3, 3, 3, 3, 4], -0.5, 0.5), bias = rng.tensor([4])
        for path in [ConvolutionPath.perTap, .frameIm2col] + (DirectRows.level > 0 ? [.direct] : []) {
            var geometry = ConvolutionGeometry(batch: 2, frames: 3, height: 4, width: 5, inChannels: 3, outChannels: 4,
                                               kernel: (3, 3, 3), padFront: 2, padTop: 1, padBottom: 1, padLeft: 1, padRight: 1)
            geometry.blockRows = 7
            geometry.force(path)
            let outShape = [2, 3, 4, 5, 4]
            let y = Tensor.convolution(x, weight: weight, bias: bias, geometry: geometry, front: front, outputShape: outShape)
            let ref = Self.naiveConv3d(x, batch: 2, weight, bias, before: 2, top: 1, bottom: 1, left: 1, right: 1, front: front)
            XCTAssertLessThanOrEqual(Self.maxAbsDifference(y.values, ref.values), 1e-4, "\(path)")
            GradCheck.check([x, weight, bias]) {
                Tensor.convolution($0[0], weight: $0[1], bias: $0[2], geometry: geometry, front: front, outputShape: outShape)
            }
        }
    }

    func testFrameIm2colPathGivesTheSameBitsOnOneAndTwoThreads() {
        // K = 27·16 = 432 and 27·13 = 351 (OpenBLAS on its own groups such K differently on 1 and 2 threads),
        // blocks of 301 rows (the dW GEMM's K), forward and backward.
        let saved = ComputeThreads.count
        defer { ComputeThreads.set(saved) }
        for (cin, cout) in [(16, 24), (13, 40)] {
            var geometry = ConvolutionGeometry(batch: 1, frames: 3, height: 16, width: 16, inChannels: cin, outChannels: cout,
                                               kernel: (3, 3, 3), padFront: 2, padTop: 1, padBottom: 1, padLeft: 1, padRight: 1)
            geometry.force(.frameIm2col)
            geometry.blockRows = 301
            let x = rng.tensor([3, 16, 16, cin]), weight = rng.tensor([3, 3, 3, cin, cout]), bias = rng.tensor([cout])
            let seed = rng.tensor([3, 16, 16, cout])
            var results: [[[Float]]] = []
            for threads in [1, 2] {
                ComputeThreads.set(threads)
                x.zeroGrad(); weight.zeroGrad()
                x.requiresGrad = true; weight.requiresGrad = true
                let tape = Tape()
                let y = tape.recording {
                    Tensor.convolution(x, weight: weight, bias: bias, geometry: geometry, front: nil, outputShape: [3, 16, 16, cout])
                }
                tape.backward(from: y, seed: seed)
                results.append([y.values, x.grad!.values, weight.grad!.values])
                x.requiresGrad = false; weight.requiresGrad = false
            }
            XCTAssertTrue(results[0][0] == results[1][0], "forward, Cin \(cin)")
            XCTAssertTrue(results[0][1] == results[1][1], "dx, Cin \(cin)")
            XCTAssertTrue(results[0][2] == results[1][2], "dW, Cin \(cin)")
        }
    }

    func testDirectRowsMatchNaiveLoopsOnBothCPULevels() throws {
        // Channel groups (Cout 40 → 48 padded columns: a group of three vectors and a zero-padded tail; 80 → a full
        // group of four, then one), rows longer than a chunk of 64 positions and not a multiple of any tile, cached
        // front frames and causal zero padding (the skipped taps), a (1,3,3) kernel, strides of 2 (phases), batch 2;
        // AVX-512 and AVX2 rows must give the same bits (one fused multiply-add per term, the same order).
        let level = DirectRows.level
        guard level > 0 else { throw XCTSkip("no AVX2: the direct rows do not run on this CPU") }
        for (t, h, w, cin, cout, kernel, stride, cached) in [
            (3, 2, 70, 5, 40, (3, 3, 3), 1, false), (2, 3, 9, 20, 80, (3, 3, 3), 1, true), (3, 4, 6, 7, 3, (1, 3, 3), 1, false),
            (4, 1, 3, 2, 17, (3, 1, 1), 1, true), (5, 7, 9, 6, 20, (3, 3, 3), 2, false), (6, 4, 5, 3, 8, (3, 3, 3), 2, true),
        ] {
            let (kT, kH, kW) = kernel
            let geometry = ConvolutionGeometry(batch: 2, frames: t, height: h, width: w, inChannels: cin, outChannels: cout,
                                               kernel: kernel, stride: (stride, stride, stride), padFront: kT - 1,
                                               padTop: kH / 2, padBottom: kH / 2, padLeft: kW / 2, padRight: kW / 2)
            XCTAssertTrue(geometry.directEligible)
            let x = rng.tensor([2, t, h, w, cin]), weight = rng.tensor([kT, kH, kW, cin, cout]), bias = rng.tensor([cout])
            let front = cached && kT > 1 ? rng.tensor([2, kT - 1, h, w, cin]) : nil
            let ref = Self.naiveConv3d(x, batch: 2, weight, bias, stride: (stride, stride, stride), before: kT - 1,
                                       top: kH / 2, bottom: kH / 2, left: kW / 2, right: kW / 2, front: front)
            var results: [[Float]] = []
            for l in 1...level {
                let out = Tensor(uninitialized: ref.shape)
                geometry.forwardDirect(x: x.data, front: front?.data, weight: weight.data, bias: bias.data, out: out.data, level: l)
                XCTAssertLessThanOrEqual(Self.maxAbsDifference(out.values, ref.values), 1e-4, "level \(l) \(geometry)")
                results.append(out.values)
            }
            if level == 2 { XCTAssertTrue(results[0] == results[1], "AVX2 and AVX-512 rows differ: \(geometry)") }
        }
    }

    func testPathRule() {
        func geometry(side: Int, kernel: (Int, Int, Int), stride: Int = 1) -> ConvolutionGeometry {
            ConvolutionPath.$forced.withValue(nil) {
                ConvolutionGeometry(batch: 1, frames: 5, height: side, width: side, inChannels: 8, outChannels: 8,
                                    kernel: kernel, stride: (1, stride, stride), padFront: kernel.0 - 1,
                                    padTop: kernel.1 / 2, padBottom: kernel.1 / 2, padLeft: kernel.2 / 2, padRight: kernel.2 / 2)
            }
        }
        // More than one tap: the direct rows, where the CPU runs them; 1×1×1: one GEMM, also when the direct rows
        // are forced.
        let direct = DirectRows.level > 0
        XCTAssertEqual(geometry(side: 8, kernel: (3, 3, 3)).path, direct ? .direct : .frameIm2col)
        XCTAssertEqual(geometry(side: 8, kernel: (1, 3, 3)).path, direct ? .direct : .frameIm2col)
        XCTAssertEqual(geometry(side: 32, kernel: (3, 3, 3), stride: 2).path, direct ? .direct : .frameIm2col)
        XCTAssertEqual(geometry(side: 8, kernel: (1, 1, 1)).path, .perTap)
        ConvolutionPath.$forced.withValue(.direct) { XCTAssertEqual(geometry(side: 8, kernel: (1, 1, 1)).path, .perTap) }
        // The forward's GEMM path where the direct rows cannot run: frame im2col unless a window would be huge or the
        // per-tap GEMMs are wide.
        XCTAssertEqual(geometry(side: 8, kernel: (3, 3, 3)).gemmRule, .frameIm2col)
        XCTAssertEqual(geometry(side: 64, kernel: (3, 3, 3)).gemmRule, .frameIm2col)                 // Cin 8: narrow per tap
        XCTAssertEqual(geometry(side: 8, kernel: (1, 3, 3)).gemmRule, .frameIm2col)
        // Frames whose window of 3 S frames would pass 64 MiB run per tap (no scratch).
        XCTAssertEqual(geometry(side: 512, kernel: (3, 3, 3)).gemmRule, .perTap)
        // Cin ≥ 32: frame im2col while an S frame stays in cache (16×16×128: 1.2 MB), per tap beyond (32×32×64: 2.4 MB).
        func wide(_ side: Int, _ c: Int) -> ConvolutionPath {
            ConvolutionGeometry(batch: 1, frames: 5, height: side, width: side, inChannels: c, outChannels: c, kernel: (3, 3, 3),
                                padFront: 2, padTop: 1, padBottom: 1, padLeft: 1, padRight: 1).gemmRule
        }
        XCTAssertEqual(wide(16, 128), .frameIm2col)
        XCTAssertEqual(wide(32, 32), .frameIm2col)
        XCTAssertEqual(wide(32, 64), .perTap)
        XCTAssertEqual(wide(64, 32), .perTap)
        // Every backward: frame im2col while the window fits, per tap for 1×1×1 kernels and huge frames.
        func backward(_ side: Int, _ kernel: (Int, Int, Int), _ c: Int = 32) -> ConvolutionPath {
            ConvolutionPath.$forced.withValue(nil) {
                ConvolutionGeometry(batch: 1, frames: 5, height: side, width: side, inChannels: c, outChannels: c, kernel: kernel,
                                    padFront: kernel.0 - 1, padTop: kernel.1 / 2, padBottom: kernel.1 / 2,
                                    padLeft: kernel.2 / 2, padRight: kernel.2 / 2).backwardPath
            }
        }
        XCTAssertEqual(backward(64, (3, 3, 3)), .frameIm2col)
        XCTAssertEqual(backward(32, (3, 3, 3), 64), .frameIm2col)
        XCTAssertEqual(backward(64, (1, 1, 1)), .perTap)
        XCTAssertEqual(backward(512, (3, 3, 3), 8), .perTap)
        // The window stays within its budget: at 5×16×16×64, all 5 output frames in one block (7 S frames, 4.1 MB);
        // at 64×64 with 32 channels (4.7 MB a frame) one output frame a block.
        let g = ConvolutionGeometry(batch: 1, frames: 5, height: 16, width: 16, inChannels: 64, outChannels: 64,
                                    kernel: (3, 3, 3), padFront: 2, padTop: 1, padBottom: 1, padLeft: 1, padRight: 1)
        XCTAssertEqual(g.frameBlockFrames, 5)
        let big = ConvolutionGeometry(batch: 1, frames: 25, height: 64, width: 64, inChannels: 32, outChannels: 32,
                                      kernel: (3, 3, 3), padFront: 2, padTop: 1, padBottom: 1, padLeft: 1, padRight: 1)
        XCTAssertEqual(big.frameBlockFrames, 1)
        XCTAssertLessThanOrEqual(4 * ((big.frameBlockFrames - 1) + 3) * big.frameFloats, ConvolutionGeometry.frameScratchBytes)
    }

    // MARK: Gradients

    func testCausalConv3dGradients() {
        forEachPath { path in
            // (T, H, W, Cin, Cout, kernel): T = 1 and 3/5, H/W of 1, 3, 5, channels 1, 3, 5.
            let cases: [(Int, Int, Int, Int, Int, (Int, Int, Int))] = [
                (1, 3, 3, 3, 1, (3, 3, 3)), (3, 1, 3, 1, 3, (3, 3, 3)), (3, 3, 1, 3, 5, (3, 3, 3)),
                (5, 1, 1, 5, 3, (3, 1, 1)), (3, 5, 3, 1, 3, (1, 3, 3)), (3, 3, 5, 3, 1, (1, 1, 1)),
            ]
            for (t, h, w, cin, cout, (kT, kH, kW)) in cases {
                let x = rng.tensor([t, h, w, cin]), weight = rng.tensor([kT, kH, kW, cin, cout], -0.5, 0.5), bias = rng.tensor([cout])
                GradCheck.check([x, weight, bias]) { $0[0].causalConv3d($0[1], bias: $0[2]) }
            }
            // Batched, no bias.
            let x = rng.tensor([2, 3, 3, 1, 3]), weight = rng.tensor([3, 3, 3, 3, 1], -0.5, 0.5)
            GradCheck.check([x, weight]) { $0[0].causalConv3d($0[1]) }
        }
    }

    func testStridedConv3dGradients() {
        forEachPath { path in
            let x = rng.tensor([5, 1, 3, 3]), weight = rng.tensor([3, 1, 1, 3, 3], -0.5, 0.5), bias = rng.tensor([3])
            GradCheck.check([x, weight, bias]) { $0[0].conv3d($0[1], bias: $0[2], temporalStride: 2, framesBefore: 0, spatialPadding: .valid) }
            let x2 = rng.tensor([3, 5, 3, 1]), w2 = rng.tensor([3, 3, 3, 1, 3], -0.5, 0.5)
            GradCheck.check([x2, w2]) { $0[0].conv3d($0[1], spatialStride: 2, framesBefore: 2, spatialPadding: .same) }
        }
    }

    func testConv2dGradients() {
        forEachPath { path in
            let cases: [(SpatialPadding, Int, [Int], Int)] = [   // padding, stride, input shape, Cout
                (.same, 1, [2, 3, 5, 3], 5), (.same, 1, [1, 1, 1, 1], 3), (.same, 2, [1, 5, 3, 3], 1),
                (.wanDownsample, 2, [2, 4, 6, 1], 3), (.wanDownsample, 2, [1, 5, 5, 3], 3), (.valid, 2, [1, 5, 3, 5], 1),
            ]
            for (padding, stride, shape, cout) in cases {
                let x = rng.tensor(shape), weight = rng.tensor([3, 3, shape[3], cout], -0.5, 0.5), bias = rng.tensor([cout])
                GradCheck.check([x, weight, bias]) { $0[0].conv2d($0[1], bias: $0[2], stride: stride, padding: padding) }
            }
        }
    }

    // MARK: Causality and chunked processing

    func testOutputFrameDependsOnlyOnEarlierInputFrames() {
        let x = rng.tensor([6, 4, 3, 3]), weight = rng.tensor([3, 3, 3, 3, 4]), bias = rng.tensor([4])
        let y = x.causalConv3d(weight, bias: bias)
        let frame = 4 * 3 * 3, outFrame = 4 * 3 * 4
        for t in 0..<6 {
            // Change every frame after t.
            let changed = x.detached()
            for i in ((t + 1) * frame)..<(6 * frame) { changed.data[i] += rng.uniform(1, 2) }
            let y2 = changed.causalConv3d(weight, bias: bias)
            XCTAssertEqual(Array(y.values[0..<((t + 1) * outFrame)]), Array(y2.values[0..<((t + 1) * outFrame)]), "frame \(t)")
            if t < 5 {
                XCTAssertNotEqual(Array(y.values[((t + 1) * outFrame)...]), Array(y2.values[((t + 1) * outFrame)...]))
            }
        }
    }

    /// Runs `conv` over chunks of `x` along the frame axis (axis `frameAxis`) and joins the outputs.
    func chunked(_ x: Tensor, frameAxis: Int, chunks: [Int], _ conv: (Tensor) -> Tensor) -> Tensor {
        var start = 0
        var outs: [Tensor] = []
        for n in chunks {
            outs.append(conv(x.slice(axis: frameAxis, start..<(start + n))))
            start += n
        }
        XCTAssertEqual(start, x.shape[frameAxis])
        return Tensor.concat(outs, axis: frameAxis)
    }

    func testChunkedWithCacheEqualsWholeSequence() {
        forEachPath { path in
            for kernel in [(3, 3, 3), (3, 1, 1), (1, 3, 3), (1, 1, 1), (4, 1, 3)] {
                for batched in [false, true] {
                    let shape = batched ? [2, 9, 5, 3, 3] : [9, 5, 3, 3]
                    let x = rng.tensor(shape), weight = rng.tensor([kernel.0, kernel.1, kernel.2, 3, 4]), bias = rng.tensor([4])
                    let whole = x.causalConv3d(weight, bias: bias)
                    for chunks in [[1, 4, 4], [Int](repeating: 1, count: 9), [2, 7], [9]] {
                        var cache = CausalConv3dCache()
                        let y = chunked(x, frameAxis: batched ? 1 : 0, chunks: chunks) { $0.causalConv3d(weight, bias: bias, cache: &cache) }
                        XCTAssertEqual(y.shape, whole.shape)
                        XCTAssertLessThanOrEqual(Self.maxAbsDifference(y.values, whole.values), 1e-5, "kernel \(kernel) chunks \(chunks)")
                        if kernel.0 > 1 { XCTAssertEqual(cache.frames?.shape, [batched ? 2 : 1, kernel.0 - 1, 5, 3, 3]) }
                    }
                }
            }
        }
    }

    func testTwoCachedLayersInSequenceEqualTheWholeSequence() {
        forEachPath { path in
            let x = rng.tensor([9, 4, 4, 2])
            let w1 = rng.tensor([3, 3, 3, 2, 3]), w2 = rng.tensor([3, 3, 3, 3, 2]), b = rng.tensor([3])
            let whole = x.causalConv3d(w1, bias: b).silu().causalConv3d(w2)
            var c1 = CausalConv3dCache(), c2 = CausalConv3dCache()
            let y = chunked(x, frameAxis: 0, chunks: [1, 4, 4]) { chunk in
                chunk.causalConv3d(w1, bias: b, cache: &c1).silu().causalConv3d(w2, cache: &c2)
            }
            XCTAssertLessThanOrEqual(Self.maxAbsDifference(y.values, whole.values), 1e-5)
            // After reset the cache stands for zeros again: the first chunk matches the first frame of `whole`.
            c1.reset(); c2.reset()
            let first = x.slice(axis: 0, 0..<1).causalConv3d(w1, bias: b, cache: &c1).silu().causalConv3d(w2, cache: &c2)
            XCTAssertLessThanOrEqual(Self.maxAbsDifference(first.values, Array(whole.values[0..<first.count])), 1e-5)
        }
    }

    func testCachedChunkGradientsTreatTheCacheAsConstant() {
        forEachPath { path in
            // Gradients flow into the chunk, the weight and the bias; the cached frames are constants.
            let previous = rng.tensor([2, 3, 1, 3]), weight = rng.tensor([3, 3, 1, 3, 3], -0.5, 0.5), bias = rng.tensor([3])
            var warm = CausalConv3dCache()
            _ = previous.causalConv3d(weight, bias: bias, cache: &warm)
            let chunk = rng.tensor([3, 3, 1, 3])
            GradCheck.check([chunk, weight, bias]) { inputs in
                var cache = warm
                return inputs[0].causalConv3d(inputs[1], bias: inputs[2], cache: &cache)
            }
        }
    }

    func testFLOPCount() {
        XCTAssertEqual(Tensor.convolutionFLOPs(outputShape: [5, 32, 32, 64], weightShape: [3, 3, 3, 64, 64]),
                       2 * 5 * 32 * 32 * 27 * 64 * 64)
    }
}
