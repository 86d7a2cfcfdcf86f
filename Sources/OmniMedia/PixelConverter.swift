import CFFmpeg

/// swscale between an FFmpeg frame (any pixel format, any size) and `RGBImage`, and between RGB sizes.
/// One converter is reused for a stream of frames of one geometry; it re-creates its context when that
/// changes. Bicubic with accurate rounding and full chroma interpolation: quality over speed, as frames are
/// tiny (64–512 px) and feed a model.
final class PixelConverter {
    private var context: OpaquePointer?
    private let flags = Int32(SWS_BICUBIC | SWS_ACCURATE_RND | SWS_FULL_CHR_H_INT | SWS_FULL_CHR_H_INP)

    init() {}
    deinit { sws_freeContext(context) }

    private func prepare(_ srcW: Int32, _ srcH: Int32, _ srcFormat: AVPixelFormat,
                         _ dstW: Int32, _ dstH: Int32, _ dstFormat: AVPixelFormat, path: String) throws(MediaError) -> OpaquePointer {
        context = sws_getCachedContext(context, srcW, srcH, srcFormat, dstW, dstH, dstFormat, flags, nil, nil, nil)
        guard let context else {
            throw .unsupported(path: path, what: "pixel conversion \(srcW)×\(srcH) \(pixelFormatName(srcFormat)) → \(dstW)×\(dstH) \(pixelFormatName(dstFormat))")
        }
        return context
    }

    /// A decoded frame → RGB at `width × height` (default: the frame's own size).
    func rgb(from frame: UnsafeMutablePointer<AVFrame>, width: Int? = nil, height: Int? = nil, path: String) throws(MediaError) -> RGBImage {
        let srcW = frame.pointee.width, srcH = frame.pointee.height
        guard srcW > 0, srcH > 0 else { throw .corrupt(path: path, reason: "decoded frame has size \(srcW)×\(srcH)") }
        let dstW = width ?? Int(srcW), dstH = height ?? Int(srcH)
        let ctx = try prepare(srcW, srcH, AVPixelFormat(frame.pointee.format), Int32(dstW), Int32(dstH), AV_PIX_FMT_RGB24, path: path)
        var pixels = [UInt8](repeating: 0, count: dstW * dstH * 3)
        let scaled = pixels.withUnsafeMutableBufferPointer { dst -> Int32 in
            var dstData: [UnsafeMutablePointer<UInt8>?] = [dst.baseAddress, nil, nil, nil]
            var dstStride: [Int32] = [Int32(dstW * 3), 0, 0, 0]
            return withUnsafePointer(to: &frame.pointee.data) { data in
                data.withMemoryRebound(to: UnsafePointer<UInt8>?.self, capacity: 8) { src in
                    withUnsafePointer(to: &frame.pointee.linesize) { lines in
                        lines.withMemoryRebound(to: Int32.self, capacity: 8) { srcStride in
                            sws_scale(ctx, src, srcStride, 0, srcH, &dstData, &dstStride)
                        }
                    }
                }
            }
        }
        try check(scaled, "converting pixels to RGB", path: path)
        return RGBImage(width: dstW, height: dstH, pixels: pixels)
    }

    /// RGB → an allocated frame of `format` at the frame's size (the frame's buffers must exist).
    func fill(_ frame: UnsafeMutablePointer<AVFrame>, from image: RGBImage, path: String) throws(MediaError) {
        let dstW = frame.pointee.width, dstH = frame.pointee.height
        let ctx = try prepare(Int32(image.width), Int32(image.height), AV_PIX_FMT_RGB24,
                              dstW, dstH, AVPixelFormat(frame.pointee.format), path: path)
        let scaled = image.pixels.withUnsafeBufferPointer { src -> Int32 in
            var srcData: [UnsafePointer<UInt8>?] = [src.baseAddress, nil, nil, nil]
            var srcStride: [Int32] = [Int32(image.width * 3), 0, 0, 0]
            return withUnsafePointer(to: &frame.pointee.data) { data in
                data.withMemoryRebound(to: UnsafeMutablePointer<UInt8>?.self, capacity: 8) { dst in
                    withUnsafePointer(to: &frame.pointee.linesize) { lines in
                        lines.withMemoryRebound(to: Int32.self, capacity: 8) { dstStride in
                            sws_scale(ctx, &srcData, &srcStride, 0, Int32(image.height), dst, dstStride)
                        }
                    }
                }
            }
        }
        try check(scaled, "converting RGB to \(pixelFormatName(AVPixelFormat(frame.pointee.format)))", path: path)
    }

    /// RGB → RGB at another size.
    func resize(_ image: RGBImage, width: Int, height: Int) throws(MediaError) -> RGBImage {
        if width == image.width && height == image.height { return image }
        let path = "<image in memory>"
        let ctx = try prepare(Int32(image.width), Int32(image.height), AV_PIX_FMT_RGB24,
                              Int32(width), Int32(height), AV_PIX_FMT_RGB24, path: path)
        var pixels = [UInt8](repeating: 0, count: width * height * 3)
        let scaled = image.pixels.withUnsafeBufferPointer { src in
            pixels.withUnsafeMutableBufferPointer { dst -> Int32 in
                var srcData: [UnsafePointer<UInt8>?] = [src.baseAddress, nil, nil, nil]
                var srcStride: [Int32] = [Int32(image.width * 3), 0, 0, 0]
                var dstData: [UnsafeMutablePointer<UInt8>?] = [dst.baseAddress, nil, nil, nil]
                var dstStride: [Int32] = [Int32(width * 3), 0, 0, 0]
                return sws_scale(ctx, &srcData, &srcStride, 0, Int32(image.height), &dstData, &dstStride)
            }
        }
        try check(scaled, "resizing \(image.width)×\(image.height) → \(width)×\(height)", path: path)
        return RGBImage(width: width, height: height, pixels: pixels)
    }
}

func pixelFormatName(_ format: AVPixelFormat) -> String {
    av_get_pix_fmt_name(format).map { String(cString: $0) } ?? "pixel format \(format.rawValue)"
}
