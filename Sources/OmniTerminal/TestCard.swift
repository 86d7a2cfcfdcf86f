import Foundation
import OmniMedia

/// A generated picture for checking how a terminal shows colour and detail: hue bars across the top, a grey
/// ramp, a red→green→blue ramp and a checkerboard with a circle (which must look round, not oval, when the
/// cell aspect is right). Sizes in pixels.
public enum TestCard {
    public static func image(width: Int = 256, height: Int = 160) -> RGBImage {
        RGBImage(width: width, height: height) { x, y in
            let u = Double(x) / Double(max(1, width - 1))
            let band = y * 4 / height
            switch band {
            case 0: return hue(u)
            case 1: let v = UInt8((u * 255).rounded()); return RGB(v, v, v)
            case 2: return u < 0.5 ? mix(RGB(255, 0, 0), RGB(0, 255, 0), u * 2) : mix(RGB(0, 255, 0), RGB(0, 0, 255), u * 2 - 1)
            default:
                let cx = Double(width) / 2, cy = Double(height) * 7 / 8, r = Double(height) / 9
                let dx = Double(x) - cx, dy = Double(y) - cy
                if dx * dx + dy * dy < r * r { return RGB(250, 200, 40) }
                return (x / 8 + y / 8) % 2 == 0 ? RGB(30, 30, 40) : RGB(220, 220, 230)
            }
        }
    }

    private static func hue(_ h: Double) -> RGB {
        let k = { (n: Double) -> UInt8 in
            let v = 1 - max(0, min(1, min((n + h * 6).truncatingRemainder(dividingBy: 6), 4 - (n + h * 6).truncatingRemainder(dividingBy: 6))))
            return UInt8((v * 255).rounded())
        }
        return RGB(k(5), k(3), k(1))
    }

    private static func mix(_ a: RGB, _ b: RGB, _ t: Double) -> RGB {
        func c(_ p: UInt8, _ q: UInt8) -> UInt8 { UInt8((Double(p) * (1 - t) + Double(q) * t).rounded()) }
        return RGB(c(a.r, b.r), c(a.g, b.g), c(a.b, b.b))
    }
}
