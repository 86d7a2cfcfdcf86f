import XCTest
@testable import OmniTensor

/// `LinearRows`: a linear's forward on the direct rows inside `run` — against the sgemm path, on any thread count,
/// and only where it applies (prepared weights, nothing recording, a CPU with the rows).
final class LinearRowsTests: XCTestCase {
    var rng = TestRandom(23)

    final class TwoLayers: Module {
        let first = Linear(37, 50)
        let second = Linear(50, 16, bias: false)
        let nested: [Linear] = [Linear(16, 3)]
    }

    func model() -> TwoLayers {
        let m = TwoLayers()
        for (_, t) in m.namedTensors() { fill(t) }
        return m
    }

    func fill(_ t: Tensor) {
        for (i, v) in rng.tensor(t.shape).values.enumerated() { t.data[i] = v }
    }

    func testModulesListsEveryLayerOnce() {
        let m = TwoLayers()
        XCTAssertEqual(m.modules().count, 4)   // itself and its three Linears
        XCTAssertEqual(m.modules().compactMap { $0 as? Linear }.map(\.outFeatures), [50, 16, 3])
    }

    func testRowsMatchTheSGEMMPathAndDoNotDependOnThreads() throws {
        guard DirectRows.level > 0 else { throw XCTSkip("no AVX2: the direct rows do not run on this CPU") }
        let m = model()
        // `LinearRows(modules:)` prepares only where the rows beat sgemm; forced, whatever OpenBLAS picked.
        XCTAssertEqual(LinearRows(modules: [m]).count, DirectRows.beatSGEMM ? 3 : 0)
        let rows = DirectRows.$forced.withValue(true) { LinearRows(modules: [m]) }
        XCTAssertEqual(rows.count, 3)
        let saved = ComputeThreads.count
        defer { ComputeThreads.set(saved) }
        // 1 row, rows fewer than a tile, and more than a chunk of 64 (outputs 50, 16 and 3: padded columns).
        for n in [1, 5, 130] {
            let x = rng.tensor([n, 37])
            func forward() -> [Tensor] { let a = m.first(x), b = m.second(a); return [a, b, m.nested[0](b)] }
            let reference = forward()
            var byThreads: [[[Float]]] = []
            for threads in [1, 2] {
                ComputeThreads.set(threads)
                let direct = rows.run { forward() }
                for (d, r) in zip(direct, reference) {
                    XCTAssertEqual(d.shape, r.shape)
                    let scale = max(r.values.map(abs).max() ?? 1, 1)
                    let worst = zip(d.values, r.values).map { abs($0 - $1) }.max() ?? 0
                    XCTAssertLessThanOrEqual(worst / scale, 1e-5, "\(n) rows")
                }
                XCTAssertNotEqual(direct[0].values, reference[0].values, "the rows' rounding differs from sgemm's: they ran")
                byThreads.append(direct.map(\.values))
            }
            XCTAssertTrue(byThreads[0] == byThreads[1], "\(n) rows: 1 and 2 threads differ")
        }
    }

    func testRecordingTapesAndUnpreparedWeightsTakeTheSGEMMPath() throws {
        guard DirectRows.level > 0 else { throw XCTSkip("no AVX2: the direct rows do not run on this CPU") }
        let m = model(), other = Linear(37, 8)
        fill(other.weight)
        let rows = DirectRows.$forced.withValue(true) { LinearRows(modules: [m]) }
        let x = rng.tensor([9, 37])
        XCTAssertEqual(rows.run { other(x) }.values, other(x).values)
        // Recording: the sgemm path's bits, and its gradient.
        let tape = Tape()
        let recorded = rows.run { tape.recording { m.first(x) } }
        XCTAssertEqual(recorded.values, m.first(x).values)
        tape.backward(from: recorded, seed: Tensor(repeating: 1, shape: recorded.shape))
        XCTAssertNotNil(m.first.weight.grad)
    }
}
