/// Which keys each query row of `Tensor.attention` may read, and with what additive bias.
///
/// Four forms:
/// - `.none`: every row reads every key.
/// - `additive(_:)`: a Float tensor `[Lq, Lk]` (shared by the batch) or `[B, Lq, Lk]` added to the scaled
///   logits; −∞ forbids a key.
/// - `boolean(_:queries:keys:batches:)`: `true` = may attend; stored as an additive 0 / −∞ tensor.
/// - `ranges(_:)` / `ranges(perBatch:)`: block-structured. Each `RowGroup` names a range of query rows and the
///   key ranges those rows read (no bias). Rows in no group read nothing. The kernel computes logits only
///   for the union of the key ranges that a query block's rows read, so masked-out key blocks cost nothing.
///   This is the form for the MMDiT pattern (docs/ARCHITECTURE.md §4.4), e.g. with the sequence `[V | R | X | A]`:
///   V rows of latent frame f read `[V, R, X, A-band(f)]` (one group per latent frame) and R rows read `R`.
///
/// A row whose every key is forbidden gets output 0 and gradient 0.
public struct AttentionMask: Sendable {
    /// A range of query rows that all read the same key ranges.
    public struct RowGroup: Sendable, Equatable {
        public var queries: Range<Int>
        /// Sorted, merged, non-empty key ranges (normalised by `init`).
        public var keys: [Range<Int>]

        /// `keys` may overlap and come in any order; empty ranges are dropped.
        public init(queries: Range<Int>, keys: [Range<Int>]) {
            self.queries = queries
            self.keys = AttentionMask.merged(keys)
        }
    }

    enum Kind: Sendable {
        case none
        /// `[Lq, Lk]` (batched false) or `[B, Lq, Lk]`.
        case additive(Tensor, batched: Bool)
        /// One list of groups shared by the batch, or one per batch element.
        case ranges([[RowGroup]])
    }

    let kind: Kind

    /// No mask.
    public static let none = AttentionMask(kind: .none)

    /// An additive bias `[Lq, Lk]` (shared across the batch) or `[B, Lq, Lk]`; −∞ entries forbid a key.
    /// The mask is a constant: no gradient flows into it. Its values are read when attention runs (and again
    /// in backward), so do not modify it in between.
    public static func additive(_ mask: Tensor) -> AttentionMask {
        precondition(mask.rank == 2 || mask.rank == 3, "additive attention mask must be [Lq, Lk] or [B, Lq, Lk], got \(mask.shape)")
        return AttentionMask(kind: .additive(mask, batched: mask.rank == 3))
    }

    /// A boolean mask, row-major `[batches, queries, keys]` (`batches` = 1: shared by the batch);
    /// `true` = the query may attend to the key.
    public static func boolean(_ allowed: [Bool], queries: Int, keys: Int, batches: Int = 1) -> AttentionMask {
        precondition(allowed.count == batches * queries * keys,
                     "boolean attention mask has \(allowed.count) entries, expected \(batches)·\(queries)·\(keys)")
        let shape = batches == 1 ? [queries, keys] : [batches, queries, keys]
        let t = Tensor(uninitialized: shape)
        for i in 0..<allowed.count { t.data[i] = allowed[i] ? 0 : -.infinity }
        return AttentionMask(kind: .additive(t, batched: batches != 1))
    }

    /// A block-structured mask shared by the batch. Groups' query ranges must not overlap.
    public static func ranges(_ groups: [RowGroup]) -> AttentionMask {
        validate(groups)
        return AttentionMask(kind: .ranges([groups]))
    }

    /// A block-structured mask per batch element (`perBatch.count` must equal B when used).
    public static func ranges(perBatch: [[RowGroup]]) -> AttentionMask {
        precondition(!perBatch.isEmpty, "ranges(perBatch:) needs at least one batch element")
        perBatch.forEach(validate)
        return AttentionMask(kind: .ranges(perBatch))
    }

    /// A dense `[Lq, Lk]` boolean view of batch element `batch` (tests, debugging; O(Lq·Lk)).
    public func allowed(batch: Int = 0, queries: Int, keys: Int) -> [Bool] {
        var out = [Bool](repeating: true, count: queries * keys)
        switch kind {
        case .none: break
        case .additive(let t, let batched):
            let base = batched ? batch * queries * keys : 0
            for i in 0..<queries * keys { out[i] = t.data[base + i] > -.infinity }
        case .ranges(let all):
            out = [Bool](repeating: false, count: queries * keys)
            for g in all[all.count == 1 ? 0 : batch] {
                for q in g.queries { for r in g.keys { for k in r { out[q * keys + k] = true } } }
            }
        }
        return out
    }

    /// Checks the mask against the attention shapes (called by `Tensor.attention`).
    func check(batch: Int, queries: Int, keys: Int) {
        switch kind {
        case .none: break
        case .additive(let t, let batched):
            let expected = batched ? [batch, queries, keys] : [queries, keys]
            precondition(t.shape == expected, "attention mask \(t.shape) does not match \(expected)")
        case .ranges(let all):
            precondition(all.count == 1 || all.count == batch,
                         "ranges mask has \(all.count) batch entries for batch \(batch)")
            for groups in all {
                for g in groups {
                    precondition(g.queries.upperBound <= queries,
                                 "ranges mask query range \(g.queries) exceeds Lq = \(queries)")
                    if let last = g.keys.last {
                        precondition(last.upperBound <= keys, "ranges mask key range \(last) exceeds Lk = \(keys)")
                    }
                }
            }
        }
    }

    private static func validate(_ groups: [RowGroup]) {
        let sorted = groups.map(\.queries).filter { !$0.isEmpty }.sorted { $0.lowerBound < $1.lowerBound }
        for g in sorted { precondition(g.lowerBound >= 0, "negative query range \(g) in attention mask") }
        for g in groups { for k in g.keys { precondition(k.lowerBound >= 0, "negative key range \(k) in attention mask") } }
        for i in sorted.indices.dropFirst() {
            precondition(sorted[i - 1].upperBound <= sorted[i].lowerBound,
                         "attention mask row groups overlap: \(sorted[i - 1]) and \(sorted[i])")
        }
    }

    /// Sorted, merged, non-empty ranges.
    static func merged(_ ranges: [Range<Int>]) -> [Range<Int>] {
        var out: [Range<Int>] = []
        for r in ranges.filter({ !$0.isEmpty }).sorted(by: { $0.lowerBound < $1.lowerBound }) {
            if let last = out.last, r.lowerBound <= last.upperBound {
                out[out.count - 1] = last.lowerBound..<max(last.upperBound, r.upperBound)
            } else {
                out.append(r)
            }
        }
        return out
    }
}
