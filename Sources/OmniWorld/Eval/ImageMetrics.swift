import Foundation
import OmniMedia

/// Pixel metrics between frames of one size (8-bit RGB).
public enum ImageMetrics {
    /// PSNR ceiling in dB, reported for identical frames (instead of ∞).
    public static let psnrCap = 100.0

    /// Mean squared error over all channels, in 8-bit units².
    public static func mse(_ a: RGBImage, _ b: RGBImage) -> Double {
        precondition(a.width == b.width && a.height == b.height, "frames differ in size: \(a.width)×\(a.height) vs \(b.width)×\(b.height)")
        var s = 0.0
        for i in 0..<a.pixels.count { let d = Double(a.pixels[i]) - Double(b.pixels[i]); s += d * d }
        return s / Double(a.pixels.count)
    }

    /// Peak signal-to-noise ratio in dB over a frame sequence (MSE pooled over all frames), capped at `psnrCap`.
    public static func psnr(_ a: [RGBImage], _ b: [RGBImage]) -> Double {
        let n = min(a.count, b.count)
        guard n > 0 else { return 0 }
        let m = (0..<n).reduce(0.0) { $0 + mse(a[$1], b[$1]) } / Double(n)
        return m <= 0 ? psnrCap : min(psnrCap, 10 * log10(255 * 255 / m))
    }

    /// Luma 0…1 (BT.601) of every pixel.
    public static func luma(_ image: RGBImage) -> [Double] {
        let p = image.pixels
        return (0..<(image.width * image.height)).map { i -> Double in
            let r = 0.299 * Double(p[3 * i]), g = 0.587 * Double(p[3 * i + 1]), b = 0.114 * Double(p[3 * i + 2])
            return (r + g + b) / 255
        }
    }

    /// SSIM on luma with 7×7 uniform windows (stride 1, valid positions), C1 = 0.01², C2 = 0.03² (values 0…1);
    /// 1 for identical frames.
    public static func ssim(_ a: RGBImage, _ b: RGBImage) -> Double {
        precondition(a.width == b.width && a.height == b.height, "frames differ in size")
        let x = luma(a), y = luma(b), w = a.width, h = a.height
        let k = min(7, w, h), c1 = 0.0001, c2 = 0.0009
        var total = 0.0, count = 0
        for top in 0...(h - k) {
            for left in 0...(w - k) {
                var mx = 0.0, my = 0.0, xx = 0.0, yy = 0.0, xy = 0.0
                for r in top..<(top + k) {
                    for c in left..<(left + k) {
                        let p = x[r * w + c], q = y[r * w + c]
                        mx += p; my += q; xx += p * p; yy += q * q; xy += p * q
                    }
                }
                let n = Double(k * k)
                mx /= n; my /= n
                let vx = xx / n - mx * mx, vy = yy / n - my * my, cxy = xy / n - mx * my
                total += ((2 * mx * my + c1) * (2 * cxy + c2)) / ((mx * mx + my * my + c1) * (vx + vy + c2))
                count += 1
            }
        }
        return total / Double(count)
    }

    /// Mean SSIM over paired frames.
    public static func ssim(_ a: [RGBImage], _ b: [RGBImage]) -> Double {
        let n = min(a.count, b.count)
        guard n > 0 else { return 0 }
        return (0..<n).reduce(0.0) { $0 + ssim(a[$1], b[$1]) } / Double(n)
    }

    /// Mean absolute difference of two frames, 8-bit units.
    public static func meanAbsoluteDifference(_ a: RGBImage, _ b: RGBImage) -> Double {
        var s = 0
        for i in 0..<a.pixels.count { s += abs(Int(a.pixels[i]) - Int(b.pixels[i])) }
        return Double(s) / Double(a.pixels.count)
    }
}
