import COmniKernels
import Foundation

/// Elementwise activations. Each is a forward map and its derivative in terms of the input x (and output y).
extension Tensor {
    /// Which GELU: the exact erf form (BERT/MiniLM) or the tanh approximation.
    public enum GELUApproximation: Sendable { case erf, tanh }

    /// x·σ(x), through COmniKernels' vectorised loops (the `fastSigmoid` polynomial), as it runs on every DiT
    /// MLP and VAE block.
    public func silu() -> Tensor {
        let a = self
        let out = Tensor(uninitialized: shape)
        let x = data, y = out.data
        ComputeThreads.parallelFor(count, grain: 1 << 14) { r in omni_silu(x + r.lowerBound, y + r.lowerBound, r.count) }
        Tape.record(Tape.shouldRecord(a), output: out) { g in
            let ga = a.gradData(), gd = g.data
            ComputeThreads.parallelFor(g.count, grain: 1 << 14) { r in
                omni_silu_backward(x + r.lowerBound, gd + r.lowerBound, ga + r.lowerBound, r.count)
            }
        }
        return out
    }

    public func sigmoid() -> Tensor {
        unary({ x in fastSigmoid(x) }, { _, y in y * (1 - y) })
    }

    public func tanh() -> Tensor {
        unary({ x in Foundation.tanh(x) }, { _, y in 1 - y * y })
    }

    public func exp() -> Tensor {
        unary({ x in Foundation.exp(x) }, { _, y in y })
    }

    public func relu() -> Tensor {
        unary({ x in max(0, x) }, { x, _ in x > 0 ? 1 : 0 })
    }

    public func gelu(_ approximation: GELUApproximation = .erf) -> Tensor {
        switch approximation {
        case .erf:
            return unary({ x in 0.5 * x * (1 + erf(x * 0.70710678118654752)) },
                         { x, _ in 0.5 * (1 + erf(x * 0.70710678118654752)) + x * 0.39894228040143268 * Foundation.exp(-0.5 * x * x) })
        case .tanh:
            // ½x(1 + tanh u) = x·σ(2u), u = c(x + k x³): one fast exp per element instead of libm's tanhf.
            let a = self
            let out = Tensor(uninitialized: shape)
            let x = data, y = out.data
            ComputeThreads.parallelFor(count, grain: 1 << 14) { r in omni_gelu_tanh(x + r.lowerBound, y + r.lowerBound, r.count) }
            Tape.record(Tape.shouldRecord(a), output: out) { g in
                let ga = a.gradData(), gd = g.data
                ComputeThreads.parallelFor(g.count, grain: 1 << 14) { r in
                    omni_gelu_tanh_backward(x + r.lowerBound, gd + r.lowerBound, ga + r.lowerBound, r.count)
                }
            }
            return out
        }
    }

    /// `f` applied elementwise; `derivative(x, y)` is df/dx at x with y = f(x).
    @inline(__always)
    func unary(_ f: @escaping (Float) -> Float, _ derivative: @escaping (Float, Float) -> Float) -> Tensor {
        let a = self
        let out = Tensor(uninitialized: shape)
        let x = data, y = out.data
        ComputeThreads.parallelFor(count, grain: 1 << 14) { r in for i in r { y[i] = f(x[i]) } }
        Tape.record(Tape.shouldRecord(a), output: out) { g in
            let ga = a.gradData(), gd = g.data
            ComputeThreads.parallelFor(g.count, grain: 1 << 14) { r in
                for i in r { ga[i] += gd[i] * derivative(x[i], y[i]) }
            }
        }
        return out
    }
}
