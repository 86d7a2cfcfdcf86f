import Foundation
import OmniTensor
@testable import OmniModel
import XCTest

/// The solvers on an analytic flow: data x₀ ~ N(μ, s²) per element, whose exact velocity field is
/// v(x, σ) = (σ − (1 − σ)s²)/V(σ) · (x − (1 − σ)μ) − μ with V(σ) = (1 − σ)²s² + σ², and whose ODE solution from
/// x₁ at σ = 1 is x(σ) = (1 − σ)μ + √V(σ)·x₁ — curved in σ, so each solver's order shows in its error.
final class FlowMatchSamplerTests: XCTestCase {
    let mu: Float = 0.3, s: Float = 0.5
    let starts: [Float] = [1.3, -0.7, 0.1, 2.0]

    func variance(_ sigma: Float) -> Float { (1 - sigma) * (1 - sigma) * s * s + sigma * sigma }

    func field(_ x: Tensor, _ sigma: Float) -> Tensor {
        let out = Tensor(uninitialized: x.shape)
        let gain = (sigma - (1 - sigma) * s * s) / variance(sigma)
        for j in 0..<x.count { out.data[j] = gain * (x.data[j] - (1 - sigma) * mu) - mu }
        return out
    }

    /// Largest error at σ = 0 after sampling with `kind` on `steps` steps; also counts the evaluations.
    func error(_ kind: SamplerKind, steps: Int, shift: Double = 1) -> (error: Float, evaluations: Int) {
        let sampler = FlowMatchSampler(schedule: FlowSchedule(steps: steps, shift: shift), kind: kind)
        var evaluations = 0
        let x = sampler.run(from: Tensor(starts, shape: [starts.count]), velocity: { x, sigma, _ in
            evaluations += 1
            return field(x, sigma)
        }, afterStep: { _, _, _ in })
        let exact = starts.map { mu + s * $0 }   // x(0) = μ + √V(0)·x₁, √V(0) = s
        return (zip(x.values, exact).map { abs($0 - $1) }.max()!, evaluations)
    }

    func testEachSolverConvergesAtItsOrder() {
        for (kind, order) in [(SamplerKind.euler, 1.0), (.heun, 2.0), (.multistep, 2.0)] {
            let errors = [8, 16, 32, 64].map { error(kind, steps: $0).error }
            for (coarse, fine) in zip(errors, errors.dropFirst()) {
                let measured = log2(Double(coarse / fine))
                XCTAssertEqual(measured, order, accuracy: 0.25, "\(kind): errors \(errors)")
            }
        }
        // On the shifted grid generation uses the second-order solvers stay far ahead of Euler.
        let euler = error(.euler, steps: 32, shift: 3).error
        XCTAssertLessThan(error(.heun, steps: 32, shift: 3).error, euler / 4)
        XCTAssertLessThan(error(.multistep, steps: 32, shift: 3).error, euler / 4)
    }

    func testEvaluationsPerRun() {
        for (kind, steps, expected) in [(SamplerKind.euler, 6, 6), (.heun, 6, 11), (.multistep, 6, 6), (.heun, 1, 1)] {
            let sampler = FlowMatchSampler(schedule: FlowSchedule(steps: steps, shift: 3), kind: kind)
            XCTAssertEqual(sampler.evaluations, expected, "\(kind)")
            XCTAssertEqual(error(kind, steps: steps, shift: 3).evaluations, expected, "\(kind)")
        }
    }

    /// A single data point makes the flow straight: every solver is exact at any step count.
    func testAStraightFlowIsExactForEverySolver() {
        let clean = Tensor([0.25, -1.5, 3], shape: [3]), noise = Tensor([1, 0.5, -2], shape: [3])
        for kind in SamplerKind.allCases {
            let sampler = FlowMatchSampler(schedule: FlowSchedule(steps: 3, shift: 3), kind: kind)
            let x = sampler.run(from: noise, velocity: { x, sigma, _ in
                FlowMatchSampler.combine(x, 1 / sigma, clean, -1 / sigma)   // (x − x₀)/σ
            }, afterStep: { _, _, _ in })
            for (a, b) in zip(x.values, clean.values) { XCTAssertEqual(a, b, accuracy: 1e-5, "\(kind)") }
        }
    }

    func testTheFlowsAlgebraIsConsistent() {
        let clean = Tensor([0.25, -1.5, 3], shape: [3]), noise = Tensor([1, 0.5, -2], shape: [3])
        for sigma: Float in [0, 0.3, 1] {
            let x = FlowMatchSampler.noised(clean, noise: noise, sigma: sigma)
            let v = FlowMatchSampler.velocityTarget(clean: clean, noise: noise)
            XCTAssertEqual(v.values, [0.75, 2, -5])
            for (a, b) in zip(FlowMatchSampler.predictedClean(x, velocity: v, sigma: sigma).values, clean.values) {
                XCTAssertEqual(a, b, accuracy: 1e-6)
            }
        }
        XCTAssertEqual(FlowMatchSampler.noised(clean, noise: noise, sigma: 1).values, noise.values)
    }

    /// What `afterStep` writes into x is what the next step starts from (generation pins its motion frames so).
    func testAfterStepPinsEntries() {
        let sampler = FlowMatchSampler(schedule: FlowSchedule(steps: 4, shift: 3), kind: .multistep)
        var seen: [Float] = []
        let x = sampler.run(from: Tensor([1, 1], shape: [2]), velocity: { x, _, _ in
            seen.append(x.data[0])
            return Tensor([1, 1], shape: [2])
        }, afterStep: { k, x, _ in
            x.data[0] = Float(sampler.schedule.sigmas[k + 1]) * 10
        })
        XCTAssertEqual(seen, [1] + sampler.schedule.sigmas[1..<4].map { Float($0) * 10 })
        XCTAssertEqual(x.data[0], 0)
        XCTAssertEqual(x.data[1], 0, accuracy: 1e-6)   // v = 1 everywhere: x₁ = 1 walks to 0
    }
}
