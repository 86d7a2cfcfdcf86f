import OmniMedia

/// A grid of pictures on a neutral backdrop, each centred in an equal cell (cells as large as the largest picture,
/// with `gap` pixels between them), the whole sheet enlarged `zoom`× with nearest-neighbour pixels so the tiny
/// frames stay inspectable.
public enum ContactSheet {
    public static func grid(_ images: [RGBImage], columns: Int, gap: Int = 2, zoom: Int = 2,
                            backdrop: RGB = RGB(38, 38, 44)) -> RGBImage {
        precondition(!images.isEmpty && columns > 0 && zoom > 0, "a contact sheet needs pictures, columns and a zoom")
        let cellW = images.map(\.width).max()!, cellH = images.map(\.height).max()!
        let rows = (images.count + columns - 1) / columns
        let width = columns * cellW + (columns + 1) * gap, height = rows * cellH + (rows + 1) * gap
        var sheet = RGBImage(width: width * zoom, height: height * zoom, fill: backdrop)
        for (i, image) in images.enumerated() {
            let x0 = gap + (i % columns) * (cellW + gap) + (cellW - image.width) / 2
            let y0 = gap + (i / columns) * (cellH + gap) + (cellH - image.height) / 2
            for y in 0..<(image.height * zoom) {
                for x in 0..<(image.width * zoom) {
                    sheet[x0 * zoom + x, y0 * zoom + y] = image[x / zoom, y / zoom]
                }
            }
        }
        return sheet
    }

    /// A sheet of `count` varied clips (styles and framings cycling where not fixed, aspect buckets cycling when
    /// `size` is nil): each clip contributes its reference and a frame from the middle of its motion. `columns`
    /// pictures a row (even, so pairs stay together).
    public static func clips(seed: UInt64, count: Int = 16, columns: Int = 8, style: CharacterStyle? = nil,
                             framing: Framing? = nil, size: FrameSize? = nil, zoom: Int = 2) -> RGBImage {
        var images: [RGBImage] = []
        for i in 0..<count {
            let spec = ClipSpec.random(seed: seed &+ 0x5EE7 &+ UInt64(i) &* 7919,
                                       style: style ?? CharacterStyle.allCases[i % 3],
                                       framing: framing ?? Framing.allCases[(i / 3 + i) % 3],
                                       size: size ?? FrameSize.buckets[(i / 2) % 3], duration: 2)
            let plan = ClipPlan(spec)
            images.append(plan.reference().0)
            images.append(plan.frame(spec.frameCount * 2 / 3).0)
        }
        return grid(images, columns: columns, zoom: zoom)
    }
}
