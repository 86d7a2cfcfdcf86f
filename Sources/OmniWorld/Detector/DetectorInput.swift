import OmniMedia
import OmniTensor

/// How a frame sits in the detector's 64×64 input: frames up to 64×64 pixels are centred on a grey (0) canvas,
/// values scaled to [−1, 1]. Offsets are in pixels.
struct DetectorInput {
    static let side = KeypointNet.inputSide

    /// Pixel offset of the frame's top-left corner inside the 64×64 canvas.
    static func offset(width: Int, height: Int) -> (x: Int, y: Int) {
        precondition(width <= side && height <= side, "the keypoint detector takes frames up to \(side)×\(side), got \(width)×\(height)")
        return ((side - width) / 2, (side - height) / 2)
    }

    /// Writes `image` into slot `index` of a `[N, 64, 64, 3]` buffer.
    static func write(_ image: RGBImage, into buffer: UnsafeMutablePointer<Float>, index: Int) {
        let (ox, oy) = offset(width: image.width, height: image.height)
        let base = buffer + index * side * side * 3
        base.update(repeating: 0, count: side * side * 3)
        image.pixels.withUnsafeBufferPointer { px in
            for y in 0..<image.height {
                let dst = base + ((y + oy) * side + ox) * 3
                let src = y * image.width * 3
                for i in 0..<(image.width * 3) { dst[i] = Float(px[src + i]) * (2 / 255) - 1 }
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
