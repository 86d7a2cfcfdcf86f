/// The size of a space-time patch: `frames` × `height` × `width` positions (e.g. Wan's DiT uses (1, 2, 2) on
/// latent frames).
public struct PatchSize: Sendable, Equatable {
    public var frames: Int
    public var height: Int
    public var width: Int

    public init(frames: Int, height: Int, width: Int) {
        precondition(frames >= 1 && height >= 1 && width >= 1, "patch size \(frames)×\(height)×\(width)")
        self.frames = frames; self.height = height; self.width = width
    }

    /// Positions per patch.
    public var volume: Int { frames * height * width }
}

/// Patch tokenisation of channels-last videos for transformers.
extension Tensor {
    /// `[T, H, W, C]` → tokens `[N, P·C]` (or `[B, T, H, W, C]` → `[B, N, P·C]`), N = T/pt · H/ph · W/pw,
    /// P = pt·ph·pw. Tokens are in row-major (t', h', w') grid order; the features of a token are ordered
    /// (it, ih, iw, c) — feature index ((it·ph + ih)·pw + iw)·C + c — which is also the order Wan's
    /// unpatchify reads its head's output in. T, H, W must be multiples of the patch. Differentiable.
    public func patchify(_ patch: PatchSize) -> Tensor {
        precondition(rank == 4 || rank == 5, "patchify wants [T, H, W, C] or [B, T, H, W, C], got \(shape)")
        let t = dim(-4), h = dim(-3), w = dim(-2), c = dim(-1)
        precondition(t % patch.frames == 0 && h % patch.height == 0 && w % patch.width == 0,
                     "patchify: \(shape) is not a multiple of the patch \(patch)")
        let tokens = (t / patch.frames) * (h / patch.height) * (w / patch.width)
        let outShape = (rank == 5 ? [shape[0]] : []) + [tokens, patch.volume * c]
        return Tensor.patchPermute(self, outShape: outShape, video: (t, h, w, c), patch: patch, toTokens: true)
    }

    /// The exact inverse of `patchify`: tokens `[N, P·C]` (or `[B, N, P·C]`) → `[T, H, W, C]` (or
    /// `[B, T, H, W, C]`) for a video of `frames` × `height` × `width` positions (frames at the tokens'
    /// temporal resolution, e.g. latent frames). Differentiable.
    public func unpatchify(_ patch: PatchSize, frames t: Int, height h: Int, width w: Int) -> Tensor {
        precondition(rank == 2 || rank == 3, "unpatchify wants [N, P·C] or [B, N, P·C], got \(shape)")
        precondition(t % patch.frames == 0 && h % patch.height == 0 && w % patch.width == 0,
                     "unpatchify: \(t)×\(h)×\(w) is not a multiple of the patch \(patch)")
        let tokens = (t / patch.frames) * (h / patch.height) * (w / patch.width)
        precondition(dim(-2) == tokens && dim(-1) % patch.volume == 0,
                     "unpatchify: \(shape) does not hold \(tokens) tokens of \(patch.volume)·C features")
        let c = dim(-1) / patch.volume
        let outShape = (rank == 3 ? [shape[0]] : []) + [t, h, w, c]
        return Tensor.patchPermute(self, outShape: outShape, video: (t, h, w, c), patch: patch, toTokens: false)
    }

    /// Copies runs of pw·C floats between the video layout and the token layout.
    private static func patchPermute(_ x: Tensor, outShape: [Int], video: (Int, Int, Int, Int), patch: PatchSize,
                                     toTokens: Bool) -> Tensor {
        let (t, h, w, c) = video
        let (pt, ph, pw) = (patch.frames, patch.height, patch.width)
        let gh = h / ph, gw = w / pw
        let run = pw * c, videoRow = w * c
        let rows = x.count / max(videoRow, 1)   // B · T · H video rows
        let out = Tensor(uninitialized: outShape)
        func move(_ src: UnsafePointer<Float>, _ dst: UnsafeMutablePointer<Float>, videoToTokens: Bool, accumulate: Bool) {
            ComputeThreads.parallelFor(rows, grain: max(1, 8192 / max(videoRow, 1))) { range in
                for r in range {
                    let y = r % h, f = (r / h) % t, b = r / (h * t)
                    let tokenBase = b * (t / pt) * gh * gw + ((f / pt) * gh + y / ph) * gw
                    let featureBase = ((f % pt) * ph + y % ph) * pw * c
                    for q in 0..<gw {
                        let videoOffset = r * videoRow + q * run
                        let tokenOffset = (tokenBase + q) * pt * ph * run + featureBase
                        let s = src + (videoToTokens ? videoOffset : tokenOffset)
                        let d = dst + (videoToTokens ? tokenOffset : videoOffset)
                        if accumulate { for k in 0..<run { d[k] += s[k] } } else { d.update(from: s, count: run) }
                    }
                }
            }
        }
        move(x.data, out.data, videoToTokens: toTokens, accumulate: false)
        Tape.record(Tape.shouldRecord(x), output: out) { g in
            move(g.data, x.gradData(), videoToTokens: !toTokens, accumulate: true)
        }
        return out
    }
}
