import OmniMedia
import OmniTensor

/// How a frame sits in the detector's 64×64 input: a frame is first enlarged (bilinear) by the integer factor
/// `64 / max(width, height)` when that is ≥ 2 (32×32 frames of a small model become 64×64), then centred on a
/// grey (0) canvas, values scaled to [−1, 1]. Offsets are in pixels of the canvas.
struct DetectorInput {
    static let side = KeypointNet.inputSide

    /// Enlargement factor, then the pixel offset of the enlarged frame's top-left corner inside the 64×64 canvas.
    static func placement(width: Int, height: Int) -> (x: Int, y: Int, scale: Int) {
        precondition(width <= side && height <= side, "the keypoint detector takes frames up to \(side)×\(side), got \(width)×\(height)")
        let f = max(1, side / max(width, height))
        return ((side - width * f) / 2, (side - height * f) / 2, f)
    }

    /// A canvas position (pixels) → the frame's pixels.
    static func toFrame(_ x: Float, _ y: Float, width: Int, height: Int) -> (Float, Float) {
        let p = placement(width: width, height: height), f = Float(p.scale)
        return ((x - Float(p.x) + 0.5) / f - 0.5, (y - Float(p.y) + 0.5) / f - 0.5)
    }

    /// A frame position (pixels) → the canvas's pixels.
    static func toCanvas(_ x: Float, _ y: Float, width: Int, height: Int) -> (Float, Float) {
        let p = placement(width: width, height: height), f = Float(p.scale)
        return ((x + 0.5) * f - 0.5 + Float(p.x), (y + 0.5) * f - 0.5 + Float(p.y))
    }

    /// Writes `image` into slot `index` of a `[N, 64, 64, 3]` buffer.
    static func write(_ image: RGBImage, into buffer: UnsafeMutablePointer<Float>, index: Int) {
        let (ox, oy, f) = placement(width: image.width, height: image.height)
        let base = buffer + index * side * side * 3
        base.update(repeating: 0, count: side * side * 3)
        let w = image.width, h = image.height
        image.pixels.withUnsafeBufferPointer { px in
            if f == 1 {
                for y in 0..<h {
                    let dst = base + ((y + oy) * side + ox) * 3
                    for i in 0..<(w * 3) { dst[i] = Float(px[y * w * 3 + i]) * (2 / 255) - 1 }
                }
                return
            }
            for y in 0..<(h * f) {
                let sy = min(Float(h - 1), max(0, (Float(y) + 0.5) / Float(f) - 0.5))
                let y0 = Int(sy), y1 = min(h - 1, y0 + 1), ty = sy - Float(y0)
                for x in 0..<(w * f) {
                    let sx = min(Float(w - 1), max(0, (Float(x) + 0.5) / Float(f) - 0.5))
                    let x0 = Int(sx), x1 = min(w - 1, x0 + 1), tx = sx - Float(x0)
                    let dst = base + ((y + oy) * side + x + ox) * 3
                    for c in 0..<3 {
                        let a = Float(px[(y0 * w + x0) * 3 + c]) * (1 - tx) + Float(px[(y0 * w + x1) * 3 + c]) * tx
                        let b = Float(px[(y1 * w + x0) * 3 + c]) * (1 - tx) + Float(px[(y1 * w + x1) * 3 + c]) * tx
                        dst[c] = (a * (1 - ty) + b * ty) * (2 / 255) - 1
                    }
                }
            }
        }
    }

    /// A `[N, 64, 64, 3]` tensor of `images`.
    static func batch(_ images: [RGBImage]) -> Tensor {
        let t = Tensor(uninitialized: [images.count, side, side, 3])
        for (i, image) in images.enumerated() { write(image, into: t.data, index: i) }
        return t
    }
}
