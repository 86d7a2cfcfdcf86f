import OmniTensor

/// One MMDiT block: adaLN-single modulated self-attention over the block's own tokens plus external key/value
/// groups (cached reference, text and audio), then a modulated GELU MLP; both with gated residuals.
///
/// Keys: `qkv` (fused `[3d, d]`), `normQ`, `normK` (QK RMS-norm over the width), `out`, `fc1`, `fc2`,
/// `modulation` (`[6, d]`, the block's learned offset added to the shared time projection), and the
/// per-block condition projections `textKV`, `textNormK`, `audioKV`, `audioNormK`.
public final class DiTBlock: Module {
    public let qkv: Linear
    public let normQ: RMSNorm
    public let normK: RMSNorm
    public let out: Linear
    public let fc1: Linear
    public let fc2: Linear
    public let modulation: Tensor
    public let textKV: Linear
    public let textNormK: RMSNorm
    public let audioKV: Linear
    public let audioNormK: RMSNorm
    let width: Int
    let heads: Int

    public init(width d: Int, heads: Int, mlpRatio: Int) {
        width = d
        self.heads = heads
        qkv = Linear(d, 3 * d)
        normQ = RMSNorm(d); normK = RMSNorm(d)
        out = Linear(d, d)
        fc1 = Linear(d, mlpRatio * d); fc2 = Linear(mlpRatio * d, d)
        modulation = Tensor(zeros: [6, d])
        modulation.requiresGrad = true
        textKV = Linear(d, 2 * d); textNormK = RMSNorm(d)
        audioKV = Linear(d, 2 * d); audioNormK = RMSNorm(d)
    }

    /// Key and value `[B, L, d]` of condition states `[B, L, d]` through this block's text projections.
    public func textKeysValues(_ states: Tensor) -> (key: Tensor, value: Tensor) {
        let kv = textKV(states).split([width, width], axis: -1)
        return (textNormK(kv[0]), kv[1])
    }

    public func audioKeysValues(_ states: Tensor) -> (key: Tensor, value: Tensor) {
        let kv = audioKV(states).split([width, width], axis: -1)
        return (audioNormK(kv[0]), kv[1])
    }

    /// The six modulation vectors `[B, 1, d]` (shift, scale, gate for attention; shift, scale, gate for the
    /// MLP) from the shared time projection `[B, 6d]`.
    func modulationChunks(_ shared: Tensor) -> [Tensor] {
        let b = shared.shape[0]
        let m = shared.reshaped([b, 6, width]) + modulation
        return m.split([1, 1, 1, 1, 1, 1], axis: 1)
    }

    /// One query group: tokens `[B, L, d]`, their shared time projection `[B, 6d]` and RoPE table.
    public struct Group {
        public var tokens: Tensor
        public var timeProjection: Tensor
        public var rope: RoPETable
        public init(tokens: Tensor, timeProjection: Tensor, rope: RoPETable) {
            self.tokens = tokens; self.timeProjection = timeProjection; self.rope = rope
        }
    }

    /// Keys and values `[B or 1, L, d]` from outside the block's own tokens (already normed, RoPE'd as needed);
    /// batch 1 is shared by every pass without a copy.
    public struct External {
        public var key: Tensor
        public var value: Tensor
        public init(key: Tensor, value: Tensor) { self.key = key; self.value = value }
    }

    /// Runs the groups (concatenated along the token axis in order) attending to their own keys followed by
    /// `externals`, under `mask`. Returns the updated groups' tokens and, if asked, this block's own keys and
    /// values after RoPE (what a condition cache stores for the reference stream).
    public func callAsFunction(_ groups: [Group], externals: [External], mask: AttentionMask,
                               returnKeysValues: Bool = false) -> (tokens: [Tensor], keysValues: External?) {
        let batch = groups[0].tokens.shape[0]
        let mods = groups.map { modulationChunks($0.timeProjection) }
        var qs: [Tensor] = [], ks: [Tensor] = [], vs: [Tensor] = []
        for (g, m) in zip(groups, mods) {
            let l = g.tokens.shape[1]
            let h = g.tokens.modulatedLayerNorm(shift: m[0], scale: m[1])
            // One pass: split, QK RMS-norm and RoPE (the same bits as those three ops in sequence).
            let qkvHeads = qkv(h).qkvHeads(heads: heads, queryNorm: normQ.weight, keyNorm: normK.weight,
                                           epsilon: normQ.epsilon, rope: g.rope)
            qs.append(qkvHeads.query)
            ks.append(qkvHeads.key.reshaped([batch, l, width]))
            vs.append(qkvHeads.value.reshaped([batch, l, width]))
        }
        // Own keys of every group, then the external groups, as attention parts: nothing is concatenated, and
        // external parts of batch 1 (cached conditions) serve every pass in place.
        let query = qs.count == 1 ? qs[0] : Tensor.concat(qs, axis: 1)
        func headed(_ t: Tensor) -> Tensor { t.reshaped([t.shape[0], t.shape[1], heads, width / heads]) }
        let attended = Tensor.attention(query: query, keys: (ks + externals.map(\.key)).map(headed),
                                        values: (vs + externals.map(\.value)).map(headed), mask: mask)
            .reshaped([batch, query.shape[1], width])
        let projected = out(attended)

        var results: [Tensor] = []
        var start = 0
        for (g, m) in zip(groups, mods) {
            let l = g.tokens.shape[1]
            let a = groups.count == 1 ? projected : projected.slice(axis: 1, start..<(start + l))
            start += l
            let x = g.tokens.gatedResidual(gate: m[2], update: a)
            let h = x.modulatedLayerNorm(shift: m[3], scale: m[4])
            results.append(x.gatedResidual(gate: m[5], update: fc2(fc1(h).gelu(.tanh))))
        }
        guard returnKeysValues else { return (results, nil) }
        return (results, External(key: ks.count == 1 ? ks[0] : Tensor.concat(ks, axis: 1),
                                  value: vs.count == 1 ? vs[0] : Tensor.concat(vs, axis: 1)))
    }
}

extension Tensor {
    /// `[1, …]` repeated to `[batch, …]` (a copy; gradients sum back). Tensors already of that batch pass through.
    func expandedBatch(_ batch: Int) -> Tensor {
        if shape[0] == batch { return self }
        precondition(shape[0] == 1, "cannot expand batch \(shape[0]) to \(batch)")
        return Tensor.concat(Array(repeating: self, count: batch), axis: 0)
    }
}
