import OmniMedia

extension RGBImage {
    /// The pixels as opaque RGBA8 (alpha 255), row stride exactly `4 · width` bytes.
    ///
    /// This is the only layout handed to chafa: Debian's chafa 1.12.4 mis-scales RGB8 input and any stride
    /// other than `4 · width` (fixed upstream in 1.12.5).
    func rgba8Pixels() -> [UInt8] {
        let count = width * height
        return [UInt8](unsafeUninitializedCapacity: count * 4) { out, initialised in
            pixels.withUnsafeBufferPointer { rgb in
                for i in 0..<count {
                    out[4 * i] = rgb[3 * i]
                    out[4 * i + 1] = rgb[3 * i + 1]
                    out[4 * i + 2] = rgb[3 * i + 2]
                    out[4 * i + 3] = 255
                }
            }
            initialised = count * 4
        }
    }
}
