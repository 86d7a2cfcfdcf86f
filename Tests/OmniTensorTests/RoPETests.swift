import XCTest
@testable import OmniTensor

/// 3D RoPE (Wan split): naive reference, finite-difference gradient, relative-position property, identity at 0.
final class RoPETests: XCTestCase {
    var rng = TestRandom(23)

    /// Per element, straight from the definition, in Double.
    func naiveRoPE(_ x: Tensor, _ positions: [(t: Int, h: Int, w: Int)], base: Double = 10000) -> [Float] {
        let d = x.dim(-1), nH = x.dim(-2), l = x.dim(-3)
        let s = 2 * (d / 6), sizes = [d - 2 * s, s, s]
        var out = [Float](repeating: 0, count: x.count)
        for token in 0..<(x.count / (nH * d)) {
            let p = positions[token % l], pos = [p.t, p.h, p.w]
            for h in 0..<nH {
                var offset = 0
                for a in 0..<3 {
                    for i in 0..<(sizes[a] / 2) {
                        let angle = Double(pos[a]) * Foundation.pow(base, -2 * Double(i) / Double(sizes[a]))
                        let e = (token * nH + h) * d + offset + 2 * i
                        let x0 = Double(x.data[e]), x1 = Double(x.data[e + 1])
                        out[e] = Float(x0 * Foundation.cos(angle) - x1 * Foundation.sin(angle))
                        out[e + 1] = Float(x0 * Foundation.sin(angle) + x1 * Foundation.cos(angle))
                    }
                    offset += sizes[a]
                }
            }
        }
        return out
    }

    func randomPositions(_ n: Int) -> [(t: Int, h: Int, w: Int)] {
        (0..<n).map { _ in (Int(rng.next() % 20), Int(rng.next() % 40), Int(rng.next() % 40)) }
    }

    func testSectionSplitFollowsWan() {
        XCTAssertTrue(RoPETable.sections(headDimension: 128) == (44, 42, 42))
        XCTAssertTrue(RoPETable.sections(headDimension: 64) == (24, 20, 20))
        XCTAssertTrue(RoPETable.sections(headDimension: 12) == (4, 4, 4))
        XCTAssertTrue(RoPETable.sections(headDimension: 4) == (4, 0, 0))
    }

    func testMatchesNaive() {
        for (shape, base) in [([2, 7, 3, 12], 10000.0), ([5, 2, 64], 10000.0), ([1, 9, 1, 22], 500.0), ([3, 1, 4], 10000.0)] {
            let x = rng.tensor(shape)
            let positions = randomPositions(shape[shape.count - 3])
            let y = x.rope3D(positions: positions, base: base)
            XCTAssertEqual(y.shape, x.shape)
            let ref = naiveRoPE(x, positions, base: base)
            var worst: Float = 0
            for i in 0..<x.count { worst = max(worst, abs(y.data[i] - ref[i])) }
            XCTAssertLessThanOrEqual(worst, 1e-5, "shape \(shape)")
        }
    }

    func testGradient() {
        let x = rng.tensor([2, 5, 2, 12])
        let table = RoPETable(positions: randomPositions(5), headDimension: 12)
        GradCheck.check([x]) { $0[0].rope3D(table) }
        let x3 = rng.tensor([4, 3, 6])
        let positions = randomPositions(4)
        GradCheck.check([x3]) { $0[0].rope3D(positions: positions) }
    }

    func testIdentityAtPositionZero() {
        let x = rng.tensor([2, 3, 2, 24])
        let y = x.rope3D(positions: Array(repeating: (0, 0, 0), count: 3))
        XCTAssertEqual(y.values, x.values)
    }

    func testRelativePositionProperty() {
        // ⟨rope(q, p1), rope(k, p2)⟩ depends only on p1 − p2 per axis.
        let d = 24
        let q = rng.tensor([1, 1, d]), k = rng.tensor([1, 1, d])
        func dot(_ p1: (Int, Int, Int), _ p2: (Int, Int, Int)) -> Double {
            let a = q.rope3D(positions: [p1]), b = k.rope3D(positions: [p2])
            return (0..<d).reduce(0.0) { $0 + Double(a.data[$1]) * Double(b.data[$1]) }
        }
        for _ in 0..<10 {
            let p1 = (Int(rng.next() % 10), Int(rng.next() % 10), Int(rng.next() % 10))
            let p2 = (Int(rng.next() % 10), Int(rng.next() % 10), Int(rng.next() % 10))
            let shift = (Int(rng.next() % 7), Int(rng.next() % 7), Int(rng.next() % 7))
            let base = dot(p1, p2)
            let shifted = dot((p1.0 + shift.0, p1.1 + shift.1, p1.2 + shift.2), (p2.0 + shift.0, p2.1 + shift.1, p2.2 + shift.2))
            XCTAssertEqual(base, shifted, accuracy: 1e-4)
        }
        // And it does depend on the offset along each axis.
        XCTAssertNotEqual(dot((1, 0, 0), (0, 0, 0)), dot((0, 0, 0), (0, 0, 0)), accuracy: 1e-4)
        XCTAssertNotEqual(dot((0, 1, 0), (0, 0, 0)), dot((0, 0, 0), (0, 0, 0)), accuracy: 1e-4)
        XCTAssertNotEqual(dot((0, 0, 1), (0, 0, 0)), dot((0, 0, 0), (0, 0, 0)), accuracy: 1e-4)
    }

    func testTableReuseAndGrid() {
        let grid = RoPETable.gridPositions(frames: 2, height: 3, width: 4, frameOffset: 5)
        XCTAssertEqual(grid.count, 24)
        XCTAssertTrue(grid[0] == (5, 0, 0) && grid[23] == (6, 2, 3) && grid[13] == (6, 0, 1))
        let table = RoPETable(positions: grid, headDimension: 12)
        let x = rng.tensor([2, 24, 2, 12])
        XCTAssertEqual(x.rope3D(table).values, x.rope3D(positions: grid).values)
        // Batch elements are rotated alike.
        let one = x.slice(axis: 0, 1..<2).reshaped([24, 2, 12]).rope3D(table)
        XCTAssertEqual(Array(x.rope3D(table).values[(24 * 24)...]), one.values)
    }
}
