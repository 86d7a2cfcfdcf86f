import OmniTensor

/// The flow-matching ODE solver that walks a `FlowSchedule` from noise (σ = 1) to a clean latent (σ = 0), and the
/// flow's algebra that the trainer shares with it (docs/ARCHITECTURE.md §3.4):
///
///     x_σ = (1 − σ)·x₀ + σ·ε,   v = ε − x₀ = dx/dσ,   x₀ = x − σ·v
///
/// Solvers (`SamplerKind`), by model evaluations per run and global error order in the step size:
/// - `euler`: `steps` evaluations, first order;
/// - `heun`: the trapezoid corrector, 2·`steps` − 1 evaluations (the last step is Euler: σ = 0 there), second order;
/// - `multistep`: two-step Adams–Bashforth on the velocity with the grid's unequal steps, `steps` evaluations,
///   second order (its first step is Euler).
///
/// Tensors are any shape; σ is a noise level, `k` a step index (step k goes from `sigmas[k]` to `sigmas[k + 1]`).
public struct FlowMatchSampler: Sendable {
    public let schedule: FlowSchedule
    public let kind: SamplerKind

    public init(schedule: FlowSchedule, kind: SamplerKind) {
        self.schedule = schedule
        self.kind = kind
    }

    /// Model evaluations one run makes.
    public var evaluations: Int { kind == .heun ? 2 * schedule.steps - 1 : schedule.steps }

    // MARK: - The flow's algebra

    /// x_σ = (1 − σ)·x₀ + σ·ε (training's noising; the sampler's path for known latent frames).
    public static func noised(_ clean: Tensor, noise: Tensor, sigma: Float) -> Tensor {
        combine(clean, 1 - sigma, noise, sigma)
    }

    /// The velocity the model learns to predict: v = ε − x₀.
    public static func velocityTarget(clean: Tensor, noise: Tensor) -> Tensor {
        combine(noise, 1, clean, -1)
    }

    /// x₀ implied by x at σ and the velocity v: x₀ = x − σ·v.
    public static func predictedClean(_ x: Tensor, velocity v: Tensor, sigma: Float) -> Tensor {
        combine(x, 1, v, -sigma)
    }

    /// Moves the first `count` values of `x` to (1 − s)·x + s·ε, ε the first `count` normals of `stream`: given motion
    /// latents made less certain — generation's `motion_noise` and training's `--motion-noise` alike.
    public static func noiseInPlace(_ x: Tensor, count: Int, amount s: Float, stream: RandomStream) {
        precondition(count <= x.count)
        let eps = Tensor(uninitialized: [count])
        stream.fillNormal(eps.buffer)
        for i in 0..<count { x.data[i] = (1 - s) * x.data[i] + s * eps.data[i] }
    }

    /// a·`x` + b·`y`, element-wise.
    public static func combine(_ x: Tensor, _ a: Float, _ y: Tensor, _ b: Float) -> Tensor {
        precondition(x.shape == y.shape, "shapes \(x.shape) and \(y.shape)")
        let out = Tensor(uninitialized: x.shape)
        for j in 0..<x.count { out.data[j] = a * x.data[j] + b * y.data[j] }
        return out
    }

    // MARK: - A run

    /// Samples from `noise` (x at σ = 1). `velocity(x, σ, k)` is the model's (guided) velocity during step k;
    /// after each step `afterStep(k, x, v)` sees the new x (at `sigmas[k + 1]`; x − σ_{k+1}·v is the step's
    /// predicted clean latent) and the velocity the step took, and may overwrite entries of x (known motion
    /// frames). Returns x at σ = 0.
    public func run<E: Error>(from noise: Tensor,
                              velocity: (_ x: Tensor, _ sigma: Float, _ step: Int) throws(E) -> Tensor,
                              afterStep: (_ step: Int, _ x: inout Tensor, _ velocity: Tensor) throws(E) -> Void) throws(E) -> Tensor {
        var x = noise.detached()
        var previous: (velocity: Tensor, h: Float)?
        for k in 0..<schedule.steps {
            let sigma = Float(schedule.sigmas[k]), next = Float(schedule.sigmas[k + 1]), h = next - sigma
            let v = try velocity(x, sigma, k)
            let taken: Tensor
            switch kind {
            case .heun where next > 0:
                let corrected = try velocity(Self.combine(x, 1, v, h), next, k)
                taken = Self.combine(v, 0.5, corrected, 0.5)
            case .multistep where previous != nil:
                // Adams–Bashforth 2 for unequal steps: the velocity extrapolated linearly to the step's midpoint.
                let r = h / (2 * previous!.h)
                taken = Self.combine(v, 1 + r, previous!.velocity, -r)
            default:
                taken = v
            }
            if kind == .multistep { previous = (v, h) }
            x = Self.combine(x, 1, taken, h)
            try afterStep(k, &x, taken)
        }
        return x
    }
}
