import XCTest
@testable import OmniWorld

/// The linear probe behind `omnistudio probe`: it recovers a linear map, scores unrelated targets near zero, and
/// its Cholesky solve is exact on a known system.
final class RidgeProbeTests: XCTestCase {
    func rows(_ n: Int, _ d: Int, seed: UInt32) -> [[Float]] {
        var state = seed
        func next() -> Float { state = state &* 1_664_525 &+ 1_013_904_223; return Float(state >> 8) / Float(1 << 24) - 0.5 }
        return (0..<n).map { _ in (0..<d).map { _ in next() } }
    }

    func testRecoversALinearMapAndScoresNoiseNearZero() {
        let x = rows(400, 6, seed: 1), test = rows(200, 6, seed: 2)
        let w: [Float] = [0.5, -2, 1, 0, 3, -0.25]
        func f(_ r: [Float]) -> Float { zip(r, w).map(*).reduce(0.7, +) }
        let probe = RidgeProbe(rows: x, targets: x.map(f), lambda: 1e-8)
        XCTAssertGreaterThan(probe.rSquared(rows: test, targets: test.map(f)), 0.999_999)
        XCTAssertEqual(probe.predict([0, 0, 0, 0, 0, 0]), 0.7, accuracy: 1e-4)
        // Targets unrelated to the rows: R² on other rows is about zero (never near one).
        let noise = rows(400, 1, seed: 3).map { $0[0] }, otherNoise = rows(200, 1, seed: 4).map { $0[0] }
        let unrelated = RidgeProbe(rows: x, targets: noise, lambda: 1e-3)
        XCTAssertLessThan(unrelated.rSquared(rows: test, targets: otherNoise), 0.05)
    }

    func testCholeskySolvesASymmetricSystem() {
        // A = [[4, 2], [2, 3]] (lower triangle given), b = [2, 1] → x = [0.5, 0].
        let x = RidgeProbe.solveSymmetric([4, 0, 2, 3], [2, 1], 2)
        XCTAssertEqual(x[0], 0.5, accuracy: 1e-12)
        XCTAssertEqual(x[1], 0, accuracy: 1e-12)
    }
}
