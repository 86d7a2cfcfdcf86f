/// How much of the character the camera shows.
public enum Framing: String, Sendable, Codable, CaseIterable {
    /// Head and shoulders, down to mid chest.
    case head
    /// Head to just below the hips.
    case half
    /// The whole figure, head to shoes.
    case full

    /// The vertical window (skeleton units, y down) the frame's height covers for a character: from just above
    /// the top of the hair to mid chest, below the hips, or below the shoes.
    public func window(for character: Character) -> (top: Float, bottom: Float) {
        let extent = character.standingExtent
        switch self {
        case .head: return (extent.top - 0.03, extent.neck + 0.2)
        case .half: return (extent.top - 0.04, extent.hips + 0.12)
        case .full: return (extent.top - 0.05, extent.feet + 0.05)
        }
    }

    /// Caption words: "close-up", "half-body shot", "full-body shot".
    public var phrase: String {
        switch self {
        case .head: return "close-up"
        case .half: return "half-body shot"
        case .full: return "full-body shot"
        }
    }
}

/// A frame size in pixels (width × height); the standard buckets have sides that are multiples of 8.
public struct FrameSize: Sendable, Codable, Hashable, CustomStringConvertible {
    public var width: Int
    public var height: Int

    public init(width: Int, height: Int) {
        precondition(width > 0 && height > 0, "a frame size must be positive, got \(width)×\(height)")
        self.width = width; self.height = height
    }

    /// 64×64.
    public static let square = FrameSize(width: 64, height: 64)
    /// 48×64 (width × height).
    public static let portrait = FrameSize(width: 48, height: 64)
    /// 64×48.
    public static let landscape = FrameSize(width: 64, height: 48)
    /// The standard aspect buckets.
    public static let buckets: [FrameSize] = [.square, .portrait, .landscape]

    /// "64x64".
    public var description: String { "\(width)x\(height)" }

    /// Parses "WIDTHxHEIGHT" (both sides multiples of 8, 16…1024); nil otherwise.
    public init?(parsing text: String) {
        let parts = text.lowercased().split(separator: "x")
        guard parts.count == 2, let w = Int(parts[0]), let h = Int(parts[1]),
              (16...1024).contains(w), (16...1024).contains(h), w % 8 == 0, h % 8 == 0 else { return nil }
        self.init(width: w, height: h)
    }
}
