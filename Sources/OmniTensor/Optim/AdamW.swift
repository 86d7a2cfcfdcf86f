import Foundation

/// AdamW (Loshchilov & Hutter): Adam moments with bias correction and weight decay decoupled from the
/// gradient (`p ← p − lr·(m̂/(√v̂+ε) + λ·p)`). Parameters are held by checkpoint key, so the state can be
/// saved and restored exactly (`state` / `restore`). Tensors whose key `decayExempt` accepts (biases and
/// norm gains by default) get no weight decay.
public final class AdamW {
    public struct Hyperparameters: Codable, Sendable, Equatable {
        public var learningRate: Float = 1e-3
        public var beta1: Float = 0.9
        public var beta2: Float = 0.999
        public var epsilon: Float = 1e-8
        public var weightDecay: Float = 0.01
        public init(learningRate: Float = 1e-3, beta1: Float = 0.9, beta2: Float = 0.999, epsilon: Float = 1e-8, weightDecay: Float = 0.01) {
            self.learningRate = learningRate; self.beta1 = beta1; self.beta2 = beta2; self.epsilon = epsilon; self.weightDecay = weightDecay
        }
    }

    public var hyperparameters: Hyperparameters
    public let parameters: [(key: String, tensor: Tensor)]
    /// Optimiser steps taken so far.
    public private(set) var step = 0
    private var firstMoments: [Tensor]
    private var secondMoments: [Tensor]
    private let decays: [Bool]

    public init(parameters: [(key: String, tensor: Tensor)], _ hyperparameters: Hyperparameters = .init(),
                decayExempt: (String, Tensor) -> Bool = { key, t in t.rank <= 1 }) {
        self.parameters = parameters
        self.hyperparameters = hyperparameters
        firstMoments = parameters.map { Tensor(zeros: $0.tensor.shape) }
        secondMoments = parameters.map { Tensor(zeros: $0.tensor.shape) }
        decays = parameters.map { !decayExempt($0.key, $0.tensor) }
    }

    /// One update from the parameters' current gradients (a missing gradient counts as zero), at
    /// `learningRate` (default: the hyperparameter). Gradients are left in place; call `zeroGrad` after.
    public func update(learningRate: Float? = nil) {
        step += 1
        let h = hyperparameters
        let lr = learningRate ?? h.learningRate
        let c1 = 1 - Float(pow(Double(h.beta1), Double(step)))
        let c2 = 1 - Float(pow(Double(h.beta2), Double(step)))
        for (i, (_, p)) in parameters.enumerated() {
            let m = firstMoments[i].data, v = secondMoments[i].data, w = p.data
            let decay = decays[i] ? h.weightDecay : 0
            let g = p.grad?.data
            ComputeThreads.parallelFor(p.count, grain: 1 << 14) { r in
                for j in r {
                    let gj = g?[j] ?? 0
                    m[j] = h.beta1 * m[j] + (1 - h.beta1) * gj
                    v[j] = h.beta2 * v[j] + (1 - h.beta2) * gj * gj
                    let update = (m[j] / c1) / ((v[j] / c2).squareRoot() + h.epsilon)
                    w[j] -= lr * (update + decay * w[j])
                }
            }
        }
    }

    public func zeroGrad() { for (_, p) in parameters { p.zeroGrad() } }

    /// The optimiser state as named tensors (`adam.m.<key>`, `adam.v.<key>`) plus the step count: enough to
    /// resume bit-exactly.
    public func state() -> (tensors: [(key: String, tensor: Tensor)], step: Int) {
        var out: [(String, Tensor)] = []
        for (i, (key, _)) in parameters.enumerated() {
            out.append(("adam.m." + key, firstMoments[i]))
            out.append(("adam.v." + key, secondMoments[i]))
        }
        return (out, step)
    }

    /// Restores a state written by `state()`; every moment must be present with the right shape.
    public func restore(tensors: [String: Tensor], step: Int) throws(OptimizerStateError) {
        for (i, (key, p)) in parameters.enumerated() {
            for (name, target) in [("adam.m." + key, firstMoments[i]), ("adam.v." + key, secondMoments[i])] {
                guard let t = tensors[name] else { throw .missing(key: name) }
                guard t.shape == p.shape else { throw .shapeMismatch(key: name, expected: p.shape, found: t.shape) }
                target.copyValues(from: t)
            }
        }
        self.step = step
    }
}

/// Why an optimiser state could not be restored.
public enum OptimizerStateError: Error, Equatable, CustomStringConvertible {
    case missing(key: String)
    case shapeMismatch(key: String, expected: [Int], found: [Int])

    public var description: String {
        switch self {
        case .missing(let k): return "optimiser state has no tensor '\(k)'"
        case .shapeMismatch(let k, let e, let f): return "optimiser state tensor '\(k)' has shape \(f), expected \(e)"
        }
    }
}
