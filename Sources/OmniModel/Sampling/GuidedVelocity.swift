import OmniTensor

extension GuidancePlan {
    /// One DiT input `[1, …]` repeated once per pass along B (the input itself for one pass).
    public static func stacked(_ input: Tensor, passes: [Pass]) -> Tensor {
        passes.count == 1 ? input : Tensor.concat(Array(repeating: input, count: passes.count), axis: 0)
    }

    /// The guided velocity `[1, …]`: the passes' velocities (stacked along B, in `passes` order) summed with their
    /// weights.
    public static func combined(_ velocities: Tensor, passes: [Pass]) -> Tensor {
        precondition(velocities.shape[0] == passes.count, "one velocity per pass")
        let out = Tensor(zeros: [1] + velocities.shape.dropFirst())
        for (i, p) in passes.enumerated() {
            let weight = Float(p.weight), src = velocities.data + i * out.count
            for j in 0..<out.count { out.data[j] += weight * src[j] }
        }
        return out
    }
}
