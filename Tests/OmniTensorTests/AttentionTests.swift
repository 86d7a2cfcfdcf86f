import XCTest
@testable import OmniTensor

/// Blocked attention against a naive full-softmax loop, finite-difference gradients, and block-size invariance.
final class AttentionTests: XCTestCase {
    var rng = TestRandom(11)

    /// The mask as the naive reference sees it: additive bias of (batch, query, key), −∞ = forbidden.
    typealias Bias = (Int, Int, Int) -> Float

    /// Full softmax matrix per (batch, head, query row), in Double. Fully masked rows give zeros.
    func naiveAttention(_ q: Tensor, _ k: Tensor, _ v: Tensor, scale: Float? = nil, bias: Bias = { _, _, _ in 0 }) -> [Float] {
        let batched = q.rank == 4
        let qs = batched ? q.shape : [1] + q.shape, ks = batched ? k.shape : [1] + k.shape
        let vs = batched ? v.shape : [1] + v.shape
        let nB = qs[0], lq = qs[1], nH = qs[2], d = qs[3], lk = ks[1], dv = vs[3]
        let s = Double(scale ?? 1 / Float(d).squareRoot())
        var out = [Float](repeating: 0, count: nB * lq * nH * dv)
        for b in 0..<nB {
            for h in 0..<nH {
                for i in 0..<lq {
                    var logits = [Double](repeating: -.infinity, count: lk)
                    for j in 0..<lk {
                        let m = bias(b, i, j)
                        if m == -.infinity { continue }
                        var dot = 0.0
                        for c in 0..<d {
                            dot += Double(q.data[((b * lq + i) * nH + h) * d + c]) * Double(k.data[((b * lk + j) * nH + h) * d + c])
                        }
                        logits[j] = s * dot + Double(m)
                    }
                    let mx = logits.max() ?? -.infinity
                    if mx == -.infinity { continue }
                    let e = logits.map { Foundation.exp($0 - mx) }
                    let z = e.reduce(0, +)
                    for c in 0..<dv {
                        var acc = 0.0
                        for j in 0..<lk where e[j] > 0 { acc += e[j] / z * Double(v.data[((b * lk + j) * nH + h) * dv + c]) }
                        out[((b * lq + i) * nH + h) * dv + c] = Float(acc)
                    }
                }
            }
        }
        return out
    }

    func assertClose(_ a: Tensor, _ b: [Float], tolerance: Float = 1e-4, _ message: String = "",
                     file: StaticString = #filePath, line: UInt = #line) {
        XCTAssertEqual(a.count, b.count, message, file: file, line: line)
        var worst: Float = 0
        for i in 0..<min(a.count, b.count) { worst = max(worst, abs(a.data[i] - b[i])) }
        XCTAssertFalse(a.values.contains { $0.isNaN }, "NaN in output \(message)", file: file, line: line)
        XCTAssertLessThanOrEqual(worst, tolerance, "max abs error \(worst) \(message)", file: file, line: line)
    }

    // MARK: forward

    func testForwardNoMaskOddShapes() {
        // (B, Lq, Lk, H, D, Dv, block)
        let cases = [(2, 67, 5, 3, 8, 8, 64), (1, 5, 67, 1, 4, 4, 64), (2, 9, 9, 3, 1, 1, 4),
                     (1, 130, 70, 2, 4, 4, 128), (2, 7, 11, 2, 4, 6, 3), (1, 1, 1, 1, 2, 2, 64)]
        for (nB, lq, lk, nH, d, dv, block) in cases {
            let q = rng.tensor([nB, lq, nH, d], -2, 2), k = rng.tensor([nB, lk, nH, d], -2, 2)
            let v = rng.tensor([nB, lk, nH, dv])
            let out = Tensor.attention(query: q, key: k, value: v, blockSize: block)
            XCTAssertEqual(out.shape, [nB, lq, nH, dv])
            assertClose(out, naiveAttention(q, k, v), "B\(nB) Lq\(lq) Lk\(lk) H\(nH) D\(d)")
        }
    }

    func testEmptyKeysAndQueries() {
        let q = rng.tensor([2, 3, 2, 4]), k = Tensor(zeros: [2, 0, 2, 4]), v = Tensor(zeros: [2, 0, 2, 4])
        let out = Tensor.attention(query: q, key: k, value: v)
        XCTAssertEqual(out.shape, [2, 3, 2, 4])
        XCTAssertTrue(out.values.allSatisfy { $0 == 0 })
        let none = Tensor.attention(query: Tensor(zeros: [0, 2, 4]), key: rng.tensor([5, 2, 4]), value: rng.tensor([5, 2, 4]))
        XCTAssertEqual(none.shape, [0, 2, 4])
    }

    func testRank3InputsAndCustomScale() {
        let q = rng.tensor([67, 3, 8]), k = rng.tensor([5, 3, 8]), v = rng.tensor([5, 3, 8])
        let out = Tensor.attention(query: q, key: k, value: v, scale: 0.9, blockSize: 64)
        XCTAssertEqual(out.shape, [67, 3, 8])
        assertClose(out, naiveAttention(q, k, v, scale: 0.9))
    }

    func testDenseAdditiveMaskWithInfinities() {
        let nB = 2, lq = 67, lk = 70, nH = 3, d = 8
        let q = rng.tensor([nB, lq, nH, d], -2, 2), k = rng.tensor([nB, lk, nH, d], -2, 2), v = rng.tensor([nB, lk, nH, d])
        // Shared mask: random biases, ~30 % −∞, row 3 fully masked, keys 32..<64 masked for every row
        // (exercises the skipping of fully masked key tiles).
        var values = [Float](repeating: 0, count: lq * lk)
        for i in 0..<lq {
            for j in 0..<lk {
                values[i * lk + j] = (i == 3 || (32..<64).contains(j) || rng.uniform(0, 1) < 0.3) ? -.infinity : rng.uniform(-2, 2)
            }
        }
        let shared = Tensor(values, shape: [lq, lk])
        let out = Tensor.attention(query: q, key: k, value: v, mask: .additive(shared), blockSize: 64)
        assertClose(out, naiveAttention(q, k, v) { _, i, j in values[i * lk + j] }, "shared dense mask")
        for c in 0..<nH * d { XCTAssertEqual(out.data[(0 * lq + 3) * nH * d + c], 0) }
        // Per-batch mask: batch 1's rows 0..<64 read only keys 0..<10 (a whole block with one active tile).
        var perBatch = [Float](repeating: 0, count: nB * lq * lk)
        for b in 0..<nB {
            for i in 0..<lq {
                for j in 0..<lk {
                    let off = b == 1 && i < 64 && j >= 10
                    perBatch[(b * lq + i) * lk + j] = off ? -.infinity : rng.uniform(-1, 1)
                }
            }
        }
        let batchedMask = Tensor(perBatch, shape: [nB, lq, lk])
        let out2 = Tensor.attention(query: q, key: k, value: v, mask: .additive(batchedMask), blockSize: 64)
        assertClose(out2, naiveAttention(q, k, v) { b, i, j in perBatch[(b * lq + i) * lk + j] }, "per-batch dense mask")
    }

    func testBooleanMask() {
        let nB = 2, lq = 13, lk = 9, nH = 2, d = 4
        let q = rng.tensor([nB, lq, nH, d], -2, 2), k = rng.tensor([nB, lk, nH, d], -2, 2), v = rng.tensor([nB, lk, nH, d])
        var allowed = (0..<(nB * lq * lk)).map { _ in rng.uniform(0, 1) < 0.6 }
        for j in 0..<lk { allowed[(1 * lq + 5) * lk + j] = false }   // fully masked row in batch 1
        let out = Tensor.attention(query: q, key: k, value: v,
                                   mask: .boolean(allowed, queries: lq, keys: lk, batches: nB), blockSize: 4)
        assertClose(out, naiveAttention(q, k, v) { b, i, j in allowed[(b * lq + i) * lk + j] ? 0 : -.infinity })
        let shared = Array(allowed[0..<(lq * lk)])
        let out2 = Tensor.attention(query: q, key: k, value: v, mask: .boolean(shared, queries: lq, keys: lk), blockSize: 4)
        assertClose(out2, naiveAttention(q, k, v) { _, i, j in shared[i * lk + j] ? 0 : -.infinity })
    }

    /// The MMDiT layout of docs/ARCHITECTURE.md §4.4 on one sequence [V | R | X | A]: V rows of frame f read
    /// [V, R, X, A-band(f)], R rows read R, X and A rows read nothing (→ zeros).
    struct MMDiTLayout {
        let frames = 3, perFrame = 5, refs = 4, texts = 3, audioPerFrame = 2
        var video: Range<Int> { 0..<(frames * perFrame) }
        var reference: Range<Int> { video.upperBound..<(video.upperBound + refs) }
        var text: Range<Int> { reference.upperBound..<(reference.upperBound + texts) }
        var audio: Range<Int> { text.upperBound..<(text.upperBound + frames * audioPerFrame) }
        var length: Int { audio.upperBound }
        func band(_ f: Int) -> Range<Int> {
            // frame f reads the audio of frames f-1...f+1 (clipped)
            let lo = max(0, f - 1) * audioPerFrame, hi = min(frames, f + 2) * audioPerFrame
            return (audio.lowerBound + lo)..<(audio.lowerBound + hi)
        }
        var groups: [AttentionMask.RowGroup] {
            (0..<frames).map { f in
                AttentionMask.RowGroup(queries: (f * perFrame)..<((f + 1) * perFrame),
                                       keys: [video, reference, text, band(f)])
            } + [AttentionMask.RowGroup(queries: reference, keys: [reference])]
        }
        func allowed(_ i: Int, _ j: Int) -> Bool {
            if video.contains(i) {
                return video.contains(j) || reference.contains(j) || text.contains(j) || band(i / perFrame).contains(j)
            }
            if reference.contains(i) { return reference.contains(j) }
            return false
        }
    }

    func testStructuredMMDiTMask() {
        let layout = MMDiTLayout(), n = layout.length, nB = 2, nH = 3, d = 4
        let q = rng.tensor([nB, n, nH, d], -2, 2), k = rng.tensor([nB, n, nH, d], -2, 2), v = rng.tensor([nB, n, nH, d])
        let mask = AttentionMask.ranges(layout.groups)
        for block in [1, 4, 7, 64] {
            let out = Tensor.attention(query: q, key: k, value: v, mask: mask, blockSize: block)
            assertClose(out, naiveAttention(q, k, v) { _, i, j in layout.allowed(i, j) ? 0 : -.infinity }, "block \(block)")
            // X and A rows read nothing → zeros.
            for i in layout.text.lowerBound..<n { for c in 0..<nH * d { XCTAssertEqual(out.data[i * nH * d + c], 0) } }
        }
        // The dense boolean view of the ranges gives the same result through the dense path.
        let dense = AttentionMask.boolean(mask.allowed(queries: n, keys: n), queries: n, keys: n)
        assertClose(Tensor.attention(query: q, key: k, value: v, mask: dense, blockSize: 7),
                    naiveAttention(q, k, v) { _, i, j in layout.allowed(i, j) ? 0 : -.infinity }, "dense view")

        // Cached condition keys: only the V rows as queries, against the whole key sequence.
        let qv = rng.tensor([nB, layout.video.count, nH, d], -2, 2)
        let vGroups = Array(layout.groups.prefix(layout.frames))
        let outV = Tensor.attention(query: qv, key: k, value: v, mask: .ranges(vGroups), blockSize: 4)
        assertClose(outV, naiveAttention(qv, k, v) { _, i, j in layout.allowed(i, j) ? 0 : -.infinity }, "V rows only")
    }

    func testPerBatchRangesMask() {
        let nB = 2, lq = 10, lk = 12, nH = 2, d = 4
        let q = rng.tensor([nB, lq, nH, d], -2, 2), k = rng.tensor([nB, lk, nH, d], -2, 2), v = rng.tensor([nB, lk, nH, d])
        // Batch 0: padding-style (keys 0..<7 valid); batch 1: two groups with overlapping, unsorted key ranges,
        // rows 8 and 9 uncovered.
        let g0 = [AttentionMask.RowGroup(queries: 0..<lq, keys: [0..<7])]
        let g1 = [AttentionMask.RowGroup(queries: 0..<3, keys: [5..<9, 0..<2, 7..<10]),
                  AttentionMask.RowGroup(queries: 3..<8, keys: [11..<12, 0..<1])]
        let mask = AttentionMask.ranges(perBatch: [g0, g1])
        func allowed(_ b: Int, _ i: Int, _ j: Int) -> Bool {
            if b == 0 { return j < 7 }
            if i < 3 { return j < 2 || (5..<10).contains(j) }
            if i < 8 { return j == 0 || j == 11 }
            return false
        }
        for block in [3, 64] {
            let out = Tensor.attention(query: q, key: k, value: v, mask: mask, blockSize: block)
            assertClose(out, naiveAttention(q, k, v) { b, i, j in allowed(b, i, j) ? 0 : -.infinity }, "block \(block)")
        }
        XCTAssertEqual(g1[0].keys, [0..<2, 5..<10])
    }

    func testBlockedEqualsSingleBlock() {
        let nB = 2, lq = 67, lk = 45, nH = 3, d = 8
        let q = rng.tensor([nB, lq, nH, d], -2, 2), k = rng.tensor([nB, lk, nH, d], -2, 2), v = rng.tensor([nB, lk, nH, d])
        let allowed = (0..<(lq * lk)).map { _ in rng.uniform(0, 1) < 0.7 }
        let ranges = AttentionMask.ranges([.init(queries: 0..<30, keys: [0..<20]), .init(queries: 30..<60, keys: [10..<45])])
        for mask in [AttentionMask.none, .boolean(allowed, queries: lq, keys: lk), ranges] {
            let one = Tensor.attention(query: q, key: k, value: v, mask: mask, blockSize: 1000)
            for block in [1, 5, 16, 64] {
                let blocked = Tensor.attention(query: q, key: k, value: v, mask: mask, blockSize: block)
                assertClose(blocked, one.values, tolerance: 1e-5, "block \(block)")
            }
        }
    }

    func testVectorExp() {
        var worst: Double = 0
        for i in 0..<4000 {
            let x = -87.0 * Float(i) / 3999 + (i % 2 == 0 ? 0 : 0.001)
            let y = fastExp(x)
            worst = max(worst, abs(Double(y) - Foundation.exp(Double(x))) / Foundation.exp(Double(x)))
        }
        XCTAssertLessThan(worst, 5e-7, "relative error of fastExp")
        for x: Float in [-.infinity, -1e30, -100, -88, -87.8] { XCTAssertEqual(fastExp(x), 0) }
        XCTAssertEqual(fastExp(0), 1)
    }

    // MARK: gradients

    func testGradientsNoMask() {
        let q = rng.tensor([2, 5, 2, 3]), k = rng.tensor([2, 4, 2, 3]), v = rng.tensor([2, 4, 2, 3])
        GradCheck.check([q, k, v]) { Tensor.attention(query: $0[0], key: $0[1], value: $0[2], blockSize: 2) }
        // Rank 3, sharper softmax, Dv ≠ D.
        let q3 = rng.tensor([3, 2, 4]), k3 = rng.tensor([6, 2, 4]), v3 = rng.tensor([6, 2, 2])
        GradCheck.check([q3, k3, v3]) { Tensor.attention(query: $0[0], key: $0[1], value: $0[2], scale: 1.5, blockSize: 2) }
    }

    func testGradientsDenseMaskWithFullyMaskedRow() {
        let nB = 2, lq = 5, lk = 4, nH = 2, d = 3
        let q = rng.tensor([nB, lq, nH, d]), k = rng.tensor([nB, lk, nH, d]), v = rng.tensor([nB, lk, nH, d])
        var values = (0..<(lq * lk)).map { _ in rng.uniform(-1, 1) }
        for j in 0..<lk { values[2 * lk + j] = -.infinity }   // row 2 fully masked
        values[0 * lk + 1] = -.infinity
        values[4 * lk + 3] = -.infinity
        let mask = AttentionMask.additive(Tensor(values, shape: [lq, lk]))
        GradCheck.check([q, k, v]) { Tensor.attention(query: $0[0], key: $0[1], value: $0[2], mask: mask, blockSize: 2) }
        // Only some inputs requiring gradients.
        GradCheck.check([v]) { Tensor.attention(query: q, key: k, value: $0[0], mask: mask, blockSize: 2) }
        GradCheck.check([k]) { Tensor.attention(query: q, key: $0[0], value: v, mask: mask, blockSize: 3) }

        // The fully masked row gets zero gradient.
        q.requiresGrad = true
        let tape = Tape()
        tape.recording {
            let out = Tensor.attention(query: q, key: k, value: v, mask: mask, blockSize: 2)
            tape.backward(from: out.sum())
        }
        let g = q.grad!
        for b in 0..<nB { for c in 0..<nH * d { XCTAssertEqual(g.data[(b * lq + 2) * nH * d + c], 0) } }
        XCTAssertTrue(g.values.contains { $0 != 0 })
        q.requiresGrad = false
        q.zeroGrad()
    }

    /// Backward must keep what it needs alive: buffers released after forward get reused (and overwritten)
    /// by later tensors before backward runs.
    func testBackwardSurvivesPoolReuseBetweenForwardAndBackward() {
        let q = rng.tensor([2, 9, 2, 4]), k = rng.tensor([2, 7, 2, 4]), v = rng.tensor([2, 7, 2, 4])
        func gradients(churn: Bool) -> [[Float]] {
            for t in [q, k, v] { t.requiresGrad = true; t.zeroGrad() }
            let tape = Tape()
            tape.recording {
                let out = Tensor.attention(query: q, key: k, value: v, blockSize: 4)
                if churn { for n in 1...300 { _ = Tensor(repeating: .nan, shape: [n]) } }
                tape.backward(from: out.sum())
            }
            let result = [q, k, v].map { $0.grad!.values }
            for t in [q, k, v] { t.requiresGrad = false; t.zeroGrad() }
            return result
        }
        let quiet = gradients(churn: false), churned = gradients(churn: true)
        XCTAssertTrue(quiet == churned, "gradients changed when freed buffers were reused between forward and backward")
        XCTAssertFalse(churned.joined().contains { $0.isNaN })
    }

    func testGradientsRangesMask() {
        let layout = MMDiTLayout(), n = layout.length, nH = 2, d = 2
        let q = rng.tensor([n, nH, d]), k = rng.tensor([n, nH, d]), v = rng.tensor([n, nH, d])
        let mask = AttentionMask.ranges(layout.groups)
        GradCheck.check([q, k, v]) { Tensor.attention(query: $0[0], key: $0[1], value: $0[2], mask: mask, blockSize: 4) }
    }

    func testGradientsBooleanPerBatch() {
        let nB = 2, lq = 3, lk = 5, nH = 1, d = 2
        let q = rng.tensor([nB, lq, nH, d]), k = rng.tensor([nB, lk, nH, d]), v = rng.tensor([nB, lk, nH, d])
        var allowed = (0..<(nB * lq * lk)).map { _ in rng.uniform(0, 1) < 0.6 }
        for j in 0..<lk { allowed[(1 * lq + 1) * lk + j] = false }
        let mask = AttentionMask.boolean(allowed, queries: lq, keys: lk, batches: nB)
        GradCheck.check([q, k, v]) { Tensor.attention(query: $0[0], key: $0[1], value: $0[2], mask: mask, blockSize: 2) }
    }

    // MARK: - Keys in parts

    /// `[1, L, H, D]` repeated to `[B, L, H, D]` (test-side copy).
    func repeated(_ t: Tensor, _ batch: Int) -> Tensor { Tensor.concat(Array(repeating: t, count: batch), axis: 0) }

    func testKeyPartsEqualTheConcatenatedKeys() {
        // Parts of batch B and of batch 1 (shared), an empty part, and key ranges that straddle part boundaries.
        let nB = 3, lq = 9, nH = 2, d = 4
        let q = rng.tensor([nB, lq, nH, d], -2, 2)
        let k0 = rng.tensor([nB, 5, nH, d], -2, 2), v0 = rng.tensor([nB, 5, nH, d])
        let k1 = rng.tensor([1, 3, nH, d], -2, 2), v1 = rng.tensor([1, 3, nH, d])
        let k2 = rng.tensor([nB, 0, nH, d]), v2 = rng.tensor([nB, 0, nH, d])
        let k3 = rng.tensor([1, 4, nH, d], -2, 2), v3 = rng.tensor([1, 4, nH, d])
        let k = Tensor.concat([k0, repeated(k1, nB), k2, repeated(k3, nB)], axis: 1)
        let v = Tensor.concat([v0, repeated(v1, nB), v2, repeated(v3, nB)], axis: 1)
        let ranges = AttentionMask.ranges([.init(queries: 0..<4, keys: [3..<7, 10..<12]), .init(queries: 4..<9, keys: [0..<12])])
        for mask in [AttentionMask.none, ranges] {
            for block in [2, 64] {
                let joined = Tensor.attention(query: q, key: k, value: v, mask: mask, blockSize: block)
                let parts = Tensor.attention(query: q, keys: [k0, k1, k2, k3], values: [v0, v1, v2, v3], mask: mask, blockSize: block)
                XCTAssertEqual(parts.shape, joined.shape)
                assertClose(parts, joined.values, tolerance: 1e-6, "block \(block)")
            }
        }
    }

    func testDirectRowsMatchTheNaiveLoops() throws {
        // Inference on the direct rows (forced on, whatever OpenBLAS picked): key parts of batch B and shared, an
        // empty part, ranges and a dense mask with a fully masked row, blocks that split the queries, D of 8 and 64,
        // Dv of 16 and 32 (whole vectors); against the naive loop, and not the sgemm path's bits (the rows ran).
        guard DirectRows.level > 0 else { throw XCTSkip("no AVX2: the direct rows do not run on this CPU") }
        let nB = 2, lq = 37, nH = 2
        for (d, dv) in [(8, 16), (64, 32)] {
            let q = rng.tensor([nB, lq, nH, d], -2, 2)
            let k0 = rng.tensor([nB, 21, nH, d], -2, 2), v0 = rng.tensor([nB, 21, nH, dv])
            let k1 = rng.tensor([1, 5, nH, d], -2, 2), v1 = rng.tensor([1, 5, nH, dv])
            let k2 = rng.tensor([nB, 0, nH, d]), v2 = rng.tensor([nB, 0, nH, dv])
            let k = Tensor.concat([k0, repeated(k1, nB), k2], axis: 1), v = Tensor.concat([v0, repeated(v1, nB), v2], axis: 1)
            let lk = 26
            var allowed = (0..<(lq * lk)).map { _ in rng.uniform(0, 1) < 0.6 }
            for j in 0..<lk { allowed[3 * lk + j] = false }   // row 3 reads nothing
            let ranges = AttentionMask.ranges([.init(queries: 0..<20, keys: [2..<9, 19..<26]), .init(queries: 20..<lq, keys: [0..<26])])
            let biases: [Bias] = [{ _, _, _ in 0 }, { _, i, j in allowed[i * lk + j] ? 0 : -.infinity },
                                  { _, i, j in (i < 20 ? (2..<9).contains(j) || j >= 19 : true) ? 0 : -.infinity }]
            for (mask, bias) in zip([AttentionMask.none, .boolean(allowed, queries: lq, keys: lk), ranges], biases) {
                for block in [5, 64] {
                    let direct = DirectRows.$forced.withValue(true) {
                        Tensor.attention(query: q, keys: [k0, k1, k2], values: [v0, v1, v2], mask: mask, blockSize: block)
                    }
                    let gemm = DirectRows.$forced.withValue(false) {
                        Tensor.attention(query: q, keys: [k0, k1, k2], values: [v0, v1, v2], mask: mask, blockSize: block)
                    }
                    assertClose(direct, naiveAttention(q, k, v, bias: bias), "D \(d) Dv \(dv) block \(block) \(mask)")
                    XCTAssertFalse(direct.values == gemm.values, "the direct rows ran")
                }
            }
            // A recording tape takes the sgemm path (its backward recomputes the probabilities with sgemm).
            q.requiresGrad = true
            let tape = Tape()
            let recorded = DirectRows.$forced.withValue(true) { tape.recording { Tensor.attention(query: q, key: k0, value: v0) } }
            q.requiresGrad = false
            let sgemm = DirectRows.$forced.withValue(false) { Tensor.attention(query: q, key: k0, value: v0) }
            XCTAssertTrue(recorded.values == sgemm.values, "a recording tape took the direct rows")
        }
    }

    func testGradientsOfKeyParts() {
        // The shared part's gradient sums over the batch; ranges cut through the parts.
        let nB = 2, lq = 3, nH = 2, d = 2
        let q = rng.tensor([nB, lq, nH, d]), k0 = rng.tensor([nB, 2, nH, d]), v0 = rng.tensor([nB, 2, nH, d])
        let k1 = rng.tensor([1, 3, nH, d]), v1 = rng.tensor([1, 3, nH, d])
        let mask = AttentionMask.ranges([.init(queries: 0..<2, keys: [1..<4]), .init(queries: 2..<3, keys: [0..<5])])
        GradCheck.check([q, k0, v0, k1, v1]) {
            Tensor.attention(query: $0[0], keys: [$0[1], $0[3]], values: [$0[2], $0[4]], mask: mask, blockSize: 2)
        }
    }
}
