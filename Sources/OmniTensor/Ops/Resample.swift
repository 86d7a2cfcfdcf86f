/// Resampling of channels-last activations: nearest-neighbour ×2 spatial up-sampling, and the
/// channel-halves-to-frames interleave of Wan's temporal up-sampling (with its inverse). Spatial
/// down-sampling is a strided `conv2d` (see `SpatialPadding.wanDownsample`), temporal down-sampling a
/// strided `conv3d`.
extension Tensor {
    /// Nearest-neighbour ×2 up-sampling of `[…, H, W, C]` → `[…, 2H, 2W, C]`: output pixel (y, x) copies
    /// input pixel (y/2, x/2). Any number of leading dimensions (images, frames, batch). Differentiable
    /// (the gradient of an input pixel is the sum over its 2×2 block).
    public func upsampleNearest2x() -> Tensor {
        precondition(rank >= 3, "upsampleNearest2x wants [N, H, W, C], got \(shape)")
        let x = self
        let h = dim(-3), w = dim(-2), c = dim(-1)
        let images = shape.dropLast(3).reduce(1, *)
        let out = Tensor(uninitialized: Array(shape.dropLast(3)) + [2 * h, 2 * w, c])
        let rows = images * h
        ComputeThreads.parallelFor(rows, grain: max(1, 8192 / max(4 * w * c, 1))) { range in
            for r in range {
                let src = x.data + r * w * c
                let dst = out.data + r * 4 * w * c   // output rows 2·(r mod h), +1 of image r / h
                for j in 0..<w {
                    (dst + 2 * j * c).update(from: src + j * c, count: c)
                    (dst + (2 * j + 1) * c).update(from: src + j * c, count: c)
                }
                (dst + 2 * w * c).update(from: dst, count: 2 * w * c)
            }
        }
        Tape.record(Tape.shouldRecord(x), output: out) { g in
            let gx = x.gradData(), gd = g.data
            ComputeThreads.parallelFor(rows, grain: max(1, 8192 / max(4 * w * c, 1))) { range in
                for r in range {
                    let dst = gx + r * w * c
                    let top = gd + r * 4 * w * c, bottom = top + 2 * w * c
                    for j in 0..<w {
                        for i in 0..<c {
                            dst[j * c + i] += top[2 * j * c + i] + top[(2 * j + 1) * c + i]
                                + bottom[2 * j * c + i] + bottom[(2 * j + 1) * c + i]
                        }
                    }
                }
            }
        }
        return out
    }

    /// `[…, T, H, W, r·C]` → `[…, r·T, H, W, C]`: output frame r·t + i is channel block i (channels
    /// i·C ..< (i+1)·C) of input frame t. With r = 2 this is Wan's temporal up-sampling, where a (3,1,1)
    /// causal conv C → 2C is followed by interleaving its two halves in time. Differentiable.
    public func channelsToFrames(_ factor: Int) -> Tensor {
        precondition(rank >= 4 && factor >= 1 && dim(-1) % factor == 0,
                     "channelsToFrames(\(factor)) wants [T, H, W, r·C], got \(shape)")
        var outShape = shape
        outShape[rank - 4] *= factor
        outShape[rank - 1] /= factor
        return Tensor.interleaveFrames(self, outShape: outShape, factor: factor, toFrames: true)
    }

    /// The inverse of `channelsToFrames`: `[…, r·T, H, W, C]` → `[…, T, H, W, r·C]`, channel block i of output
    /// frame t being input frame r·t + i. Differentiable.
    public func framesToChannels(_ factor: Int) -> Tensor {
        precondition(rank >= 4 && factor >= 1 && dim(-4) % factor == 0,
                     "framesToChannels(\(factor)) wants [r·T, H, W, C], got \(shape)")
        var outShape = shape
        outShape[rank - 4] /= factor
        outShape[rank - 1] *= factor
        return Tensor.interleaveFrames(self, outShape: outShape, factor: factor, toFrames: false)
    }

    /// Moves blocks of C channels between the channel axis and the frame axis (see `channelsToFrames`).
    private static func interleaveFrames(_ x: Tensor, outShape: [Int], factor r: Int, toFrames: Bool) -> Tensor {
        let out = Tensor(uninitialized: outShape)
        // In the frames layout, the pixel (outer, r·t + i, p) with C channels sits at ((outer·T + t)·r + i)·P + p;
        // in the channels layout at ((outer·T + t)·P + p)·r + i (both in units of C floats).
        let framesShape = toFrames ? outShape : x.shape
        let c = framesShape.last!, pixels = framesShape[framesShape.count - 3] * framesShape[framesShape.count - 2]
        let groups = x.count / max(r * pixels * c, 1)   // outer · T
        func move(_ src: UnsafePointer<Float>, _ dst: UnsafeMutablePointer<Float>, forward: Bool, accumulate: Bool) {
            ComputeThreads.parallelFor(groups * r, grain: max(1, 8192 / max(pixels * c, 1))) { range in
                for gi in range {
                    let g = gi / r, i = gi % r
                    for p in 0..<pixels {
                        let framesOffset = ((g * r + i) * pixels + p) * c
                        let channelsOffset = ((g * pixels + p) * r + i) * c
                        // forward == true: channels layout → frames layout.
                        let s = src + (forward ? channelsOffset : framesOffset)
                        let d = dst + (forward ? framesOffset : channelsOffset)
                        if accumulate { for k in 0..<c { d[k] += s[k] } } else { d.update(from: s, count: c) }
                    }
                }
            }
        }
        move(x.data, out.data, forward: toFrames, accumulate: false)
        Tape.record(Tape.shouldRecord(x), output: out) { g in
            move(g.data, x.gradData(), forward: !toFrames, accumulate: true)
        }
        return out
    }
}
