import OmniMedia
import OmniTensor

/// RGB frames ⇄ channels-last video tensors with values in [−1, 1] (the VAE's pixel range).
public enum FrameTensor {
    /// `[T, H, W, 3]` from frames of one size.
    public static func tensor(_ frames: [RGBImage]) -> Tensor {
        precondition(!frames.isEmpty)
        let w = frames[0].width, h = frames[0].height
        let t = Tensor(uninitialized: [frames.count, h, w, 3])
        for (i, f) in frames.enumerated() {
            precondition(f.width == w && f.height == h, "frames differ in size")
            let dst = t.data + i * h * w * 3
            for j in 0..<(h * w * 3) { dst[j] = Float(f.pixels[j]) / 127.5 - 1 }
        }
        return t
    }

    /// Frames of a `[T, H, W, 3]` (or `[1, T, H, W, 3]`) tensor, clamped to [−1, 1] and rounded.
    public static func frames(_ video: Tensor) -> [RGBImage] {
        let s = video.shape.suffix(4).map { $0 }
        let (t, h, w) = (s[0], s[1], s[2])
        precondition(s[3] == 3, "frames need 3 channels, got \(video.shape)")
        return (0..<t).map { i in
            let src = video.data + i * h * w * 3
            var pixels = [UInt8](repeating: 0, count: h * w * 3)
            for j in 0..<pixels.count { pixels[j] = UInt8(max(0, min(255, ((src[j] + 1) * 127.5).rounded()))) }
            return RGBImage(width: w, height: h, pixels: pixels)
        }
    }
}
