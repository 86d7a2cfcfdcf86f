/// The three looks of the puppet world.
public enum CharacterStyle: String, Sendable, Codable, CaseIterable {
    /// Flat colours with dark outlines.
    case cartoon
    /// Shaded, "photo-like": gradients on every part, a soft ground shadow, no outlines, muted colours.
    case photo
    /// Anthropomorphic animals: ears on top of the head, fur colours, a snout; outlined like the cartoon style.
    case animal
}
