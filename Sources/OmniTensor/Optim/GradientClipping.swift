/// Global gradient-norm clipping: scales every gradient by `maxNorm / ‖g‖₂` when the norm over all
/// parameters exceeds `maxNorm`. Returns the norm before clipping (for logging).
public enum GradientClipping {
    @discardableResult
    public static func clip(_ parameters: [(key: String, tensor: Tensor)], maxNorm: Float) -> Float {
        var sum = 0.0
        for (_, p) in parameters {
            guard let g = p.grad else { continue }
            for i in 0..<g.count { sum += Double(g.data[i]) * Double(g.data[i]) }
        }
        let norm = Float(sum.squareRoot())
        if norm > maxNorm && norm > 0 {
            let k = maxNorm / norm
            for (_, p) in parameters {
                guard let g = p.grad else { continue }
                for i in 0..<g.count { g.data[i] *= k }
            }
        }
        return norm
    }
}
