import OmniMedia

/// A linear-blend colour with channels in [0, 1] (sRGB-encoded values, blended as they are). Encoded in JSON as
/// `"#rrggbb"` when every channel is a whole byte value, otherwise as `[r, g, b]` floats, so decoding is exact.
public struct Colour: Sendable, Hashable, Codable, CustomStringConvertible {
    public var r: Float
    public var g: Float
    public var b: Float

    public init(_ r: Float, _ g: Float, _ b: Float) { self.r = r; self.g = g; self.b = b }

    /// From 0…255 byte values.
    public init(bytes r: Int, _ g: Int, _ b: Int) { self.init(Float(r) / 255, Float(g) / 255, Float(b) / 255) }

    /// From `0xRRGGBB`.
    public init(hex: UInt32) { self.init(bytes: Int(hex >> 16 & 0xFF), Int(hex >> 8 & 0xFF), Int(hex & 0xFF)) }

    public static let black = Colour(0, 0, 0)
    public static let white = Colour(1, 1, 1)

    /// `self` moved towards `other` by `t` (0 = self, 1 = other).
    public func mixed(with other: Colour, _ t: Float) -> Colour {
        Colour(r + (other.r - r) * t, g + (other.g - g) * t, b + (other.b - b) * t)
    }

    /// Every channel multiplied by `factor` and clamped to [0, 1].
    public func scaled(_ factor: Float) -> Colour {
        Colour(min(1, r * factor), min(1, g * factor), min(1, b * factor))
    }

    /// Darker (t > 0 mixes towards black) or lighter (t < 0 mixes towards white).
    public func shaded(_ t: Float) -> Colour { t >= 0 ? mixed(with: .black, t) : mixed(with: .white, -t) }

    /// Rec. 601 luma in [0, 1].
    public var luma: Float { 0.299 * r + 0.587 * g + 0.114 * b }

    /// The nearest 8-bit colour.
    public var rgb: RGB {
        RGB(UInt8(clamp01(r) * 255 + 0.5), UInt8(clamp01(g) * 255 + 0.5), UInt8(clamp01(b) * 255 + 0.5))
    }

    public var description: String { rgb.description }

    public init(from decoder: Decoder) throws {
        let container = try decoder.singleValueContainer()
        if let channels = try? container.decode([Float].self), channels.count == 3 {
            self.init(channels[0], channels[1], channels[2])
            return
        }
        let text = try container.decode(String.self)
        guard text.count == 7, text.first == "#", let value = UInt32(text.dropFirst(), radix: 16) else {
            throw DecodingError.dataCorrupted(.init(codingPath: decoder.codingPath, debugDescription: "a colour is \"#rrggbb\", got \"\(text)\""))
        }
        self.init(hex: value)
    }

    public func encode(to encoder: Encoder) throws {
        var container = encoder.singleValueContainer()
        if Colour(hex: UInt32(rgb.r) << 16 | UInt32(rgb.g) << 8 | UInt32(rgb.b)) == self {
            try container.encode(description)
        } else {
            try container.encode([r, g, b])
        }
    }
}
