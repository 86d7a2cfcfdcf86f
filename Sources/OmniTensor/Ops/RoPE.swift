import Foundation

/// Cosine/sine tables of 3D rotary position embedding (Wan DiT convention) for a list of token positions.
///
/// The head dimension D (even) splits into three sections: time `dt = D − 4⌊D/6⌋`, height `2⌊D/6⌋` and width
/// `2⌊D/6⌋`, in that order. Within a section of size `ds`, consecutive pairs `(x[2i], x[2i+1])` rotate by the
/// angle `pos · θ_i`, `θ_i = base^(−2i/ds)`, where `pos` is the token's position on that section's axis.
/// Build one table per position list and reuse it for every block and every step.
public struct RoPETable: Sendable {
    /// Number of tokens L.
    public let length: Int
    /// Head dimension D.
    public let headDimension: Int
    /// Section sizes (time, height, width); they sum to D.
    public let sections: (time: Int, height: Int, width: Int)
    /// `[L, D/2]`: cos and sin of each token's angle for each pair.
    let cos: [Float]
    let sin: [Float]

    /// The (time, height, width) section sizes for head dimension `d` (even).
    public static func sections(headDimension d: Int) -> (time: Int, height: Int, width: Int) {
        precondition(d > 0 && d % 2 == 0, "3D RoPE needs an even head dimension, got \(d)")
        let s = 2 * (d / 6)
        let t = d - 2 * s
        precondition(t % 2 == 0 && s % 2 == 0, "3D RoPE sections (\(t), \(s), \(s)) of D = \(d) must be even")
        return (t, s, s)
    }

    /// Tables for tokens at integer positions `(t, h, w)`; `positions[i]` belongs to token i.
    public init(positions: [(t: Int, h: Int, w: Int)], headDimension d: Int, base: Double = 10000) {
        let sec = Self.sections(headDimension: d)
        length = positions.count
        headDimension = d
        sections = sec
        let half = d / 2
        // Per pair: which axis it reads and its frequency.
        var axis = [Int](repeating: 0, count: half)
        var theta = [Double](repeating: 0, count: half)
        var pair = 0
        for (a, size) in [sec.time, sec.height, sec.width].enumerated() {
            for i in 0..<(size / 2) {
                axis[pair] = a
                theta[pair] = Foundation.pow(base, -2 * Double(i) / Double(size))
                pair += 1
            }
        }
        var c = [Float](repeating: 0, count: positions.count * half)
        var s = [Float](repeating: 0, count: positions.count * half)
        for (l, p) in positions.enumerated() {
            let pos = [p.t, p.h, p.w]
            for j in 0..<half {
                let angle = Double(pos[axis[j]]) * theta[j]
                c[l * half + j] = Float(Foundation.cos(angle))
                s[l * half + j] = Float(Foundation.sin(angle))
            }
        }
        cos = c
        sin = s
    }

    /// Positions of a `frames × height × width` token grid in row-major (t, h, w) order, with time starting
    /// at `frameOffset` (e.g. a later segment, or 0 for a reference frame).
    public static func gridPositions(frames: Int, height: Int, width: Int,
                                     frameOffset: Int = 0) -> [(t: Int, h: Int, w: Int)] {
        var out: [(t: Int, h: Int, w: Int)] = []
        out.reserveCapacity(frames * height * width)
        for t in 0..<frames { for y in 0..<height { for x in 0..<width { out.append((t + frameOffset, y, x)) } } }
        return out
    }
}

extension Tensor {
    /// 3D rotary position embedding of `[B, L, H, D]` or `[L, H, D]` (every head rotated alike) with the tables
    /// of `table` (which must have L tokens and head dimension D). Backward rotates the gradient by −angle.
    public func rope3D(_ table: RoPETable) -> Tensor {
        let x = self
        precondition(x.rank == 3 || x.rank == 4, "rope3D wants [B, L, H, D] or [L, H, D], got \(x.shape)")
        let l = x.dim(-3), nH = x.dim(-2), d = x.dim(-1)
        precondition(table.length == l && table.headDimension == d,
                     "rope3D table for L = \(table.length), D = \(table.headDimension) used on \(x.shape)")
        let out = Tensor(uninitialized: x.shape)
        let tokens = x.count / max(nH * d, 1)
        Self.rotatePairs(x.data, out.data, tokens: tokens, length: l, heads: nH, d: d, table: table,
                         sign: 1, accumulate: false)
        Tape.record(Tape.shouldRecord(x), output: out) { g in
            Self.rotatePairs(g.data, x.gradData(), tokens: tokens, length: l, heads: nH, d: d, table: table,
                             sign: -1, accumulate: true)
        }
        return out
    }

    /// `rope3D` with a table built for this call from per-token positions `(t, h, w)`.
    public func rope3D(positions: [(t: Int, h: Int, w: Int)], base: Double = 10000) -> Tensor {
        rope3D(RoPETable(positions: positions, headDimension: dim(-1), base: base))
    }

    /// `dst (=|+=) rotate(src, sign · angle)` for `tokens` rows of `heads · d`, token i at position i mod L.
    static func rotatePairs(_ src: UnsafePointer<Float>, _ dst: UnsafeMutablePointer<Float>,
                            tokens: Int, length l: Int, heads: Int, d: Int, table: RoPETable,
                            sign: Float, accumulate: Bool) {
        let half = d / 2, row = heads * d
        table.cos.withUnsafeBufferPointer { cosTable in
            table.sin.withUnsafeBufferPointer { sinTable in
                let ct = cosTable.baseAddress!, st = sinTable.baseAddress!
                ComputeThreads.parallelFor(tokens, grain: max(1, 8192 / max(row, 1))) { range in
                    for token in range {
                        let c = ct + (token % l) * half, s = st + (token % l) * half
                        for h in 0..<heads {
                            let a = src + token * row + h * d, y = dst + token * row + h * d
                            for j in 0..<half {
                                let x0 = a[2 * j], x1 = a[2 * j + 1]
                                let cj = c[j], sj = sign * s[j]
                                let r0 = x0 * cj - x1 * sj, r1 = x0 * sj + x1 * cj
                                if accumulate { y[2 * j] += r0; y[2 * j + 1] += r1 }
                                else { y[2 * j] = r0; y[2 * j + 1] = r1 }
                            }
                        }
                    }
                }
            }
        }
    }
}
