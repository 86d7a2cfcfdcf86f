import Foundation

extension RGBImage {
    /// Peak signal-to-noise ratio in dB against `reference` of the same size (peak 255, over all channels).
    /// Identical pictures give `.infinity`.
    public func psnr(against reference: RGBImage) -> Double {
        precondition(width == reference.width && height == reference.height, "PSNR needs equal sizes")
        var sum = 0.0
        for i in 0..<pixels.count {
            let d = Double(pixels[i]) - Double(reference.pixels[i])
            sum += d * d
        }
        let mse = sum / Double(pixels.count)
        return mse == 0 ? .infinity : 10 * log10(255 * 255 / mse)
    }
}
