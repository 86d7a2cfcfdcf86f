import CFFmpeg
import Foundation

/// Still images through FFmpeg: decode anything it reads (PNG, JPEG, WebP, BMP, TIFF, GIF's first frame, or the
/// first frame of a video) to RGB, resize, fit to a target size, and encode PNG. Sizes are in pixels.
public enum ImageFile {
    /// The first picture of `path` as RGB at its own size.
    public static func decode(_ path: String) throws(MediaError) -> RGBImage {
        let input = try MediaInput(path: path, type: AVMEDIA_TYPE_VIDEO)
        guard try input.nextFrame() else { throw .corrupt(path: path, reason: "no picture could be decoded") }
        return try PixelConverter().rgb(from: input.frame, path: path)
    }

    /// Encodes `image` as PNG at `path`, through a temporary file renamed when complete.
    public static func writePNG(_ image: RGBImage, to path: String) throws(MediaError) {
        try PendingFile.write(try encodePNG(image, path: path), to: path)
    }

    /// PNG bytes of `image` (`path` only names the destination in errors).
    public static func encodePNG(_ image: RGBImage, path: String = "<png>") throws(MediaError) -> Data {
        FFmpegLog.install()
        guard let codec = avcodec_find_encoder(AV_CODEC_ID_PNG) else { throw .unsupported(path: path, what: "format: no PNG encoder in this FFmpeg build") }
        var context = avcodec_alloc_context3(codec)
        var frame = av_frame_alloc()
        var packet = av_packet_alloc()
        defer { avcodec_free_context(&context); av_frame_free(&frame); av_packet_free(&packet) }
        guard let context, let frame, let packet else { throw .ffmpeg(path: path, operation: "allocating a PNG encoder", code: -12, message: "out of memory") }
        context.pointee.width = Int32(image.width)
        context.pointee.height = Int32(image.height)
        context.pointee.pix_fmt = AV_PIX_FMT_RGB24
        context.pointee.time_base = AVRational(num: 1, den: 1)
        try check(avcodec_open2(context, codec, nil), "opening the PNG encoder", path: path)

        frame.pointee.width = Int32(image.width)
        frame.pointee.height = Int32(image.height)
        frame.pointee.format = AV_PIX_FMT_RGB24.rawValue
        try check(av_frame_get_buffer(frame, 0), "allocating a frame", path: path)
        let rowBytes = image.width * 3
        let stride = Int(frame.pointee.linesize.0)
        image.pixels.withUnsafeBytes { src in
            let dst = frame.pointee.data.0!
            for y in 0..<image.height {
                (dst + y * stride).update(from: src.baseAddress!.assumingMemoryBound(to: UInt8.self) + y * rowBytes, count: rowBytes)
            }
        }
        try check(avcodec_send_frame(context, frame), "encoding PNG", path: path)
        try check(avcodec_send_frame(context, nil), "finishing PNG", path: path)
        var bytes = Data()
        while true {
            let rc = avcodec_receive_packet(context, packet)
            if rc == averrorEOF || rc == averrorEAGAIN { break }
            try check(rc, "encoding PNG", path: path)
            bytes.append(packet.pointee.data, count: Int(packet.pointee.size))
            av_packet_unref(packet)
        }
        if bytes.isEmpty { throw .ffmpeg(path: path, operation: "encoding PNG", code: 0, message: "encoder produced no data") }
        return bytes
    }
}

/// How a picture is brought to a target size whose aspect ratio differs from its own.
public enum FitMode: String, Sendable, CaseIterable, Codable {
    /// Scale to cover the target, then cut the overhang equally from both sides.
    case crop
    /// Scale to fit inside the target, then pad with a border colour.
    case letterbox
}

extension RGBImage {
    /// This picture scaled to `width × height` pixels (bicubic; aspect ratio not kept).
    public func resized(width: Int, height: Int) throws(MediaError) -> RGBImage {
        try PixelConverter().resize(self, width: width, height: height)
    }

    /// This picture brought to exactly `width × height` pixels, keeping its aspect ratio by centre-crop or letterbox.
    public func fitted(width: Int, height: Int, mode: FitMode, border: RGB = RGB(0, 0, 0)) throws(MediaError) -> RGBImage {
        precondition(width > 0 && height > 0)
        let scaleX = Double(width) / Double(self.width), scaleY = Double(height) / Double(self.height)
        let scale = mode == .crop ? max(scaleX, scaleY) : min(scaleX, scaleY)
        let scaledW = max(1, Int((Double(self.width) * scale).rounded()))
        let scaledH = max(1, Int((Double(self.height) * scale).rounded()))
        let scaled = try resized(width: scaledW, height: scaledH)
        if scaledW == width && scaledH == height { return scaled }
        var out = RGBImage(width: width, height: height, fill: border)
        // Offset of the scaled picture inside the target: negative when cropping, positive when padding.
        let offsetX = (width - scaledW) / 2, offsetY = (height - scaledH) / 2
        for y in 0..<height {
            let sy = y - offsetY
            guard sy >= 0 && sy < scaledH else { continue }
            let x0 = max(0, offsetX), x1 = min(width, offsetX + scaledW)
            guard x0 < x1 else { continue }
            let dst = (y * width + x0) * 3, src = (sy * scaledW + (x0 - offsetX)) * 3
            out.pixels.replaceSubrange(dst..<dst + (x1 - x0) * 3, with: scaled.pixels[src..<src + (x1 - x0) * 3])
        }
        return out
    }
}
