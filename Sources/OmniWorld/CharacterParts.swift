/// Hair styles (ignored for animals, who get a small tuft at most).
public enum HairStyle: String, Sendable, Codable, CaseIterable {
    case bald, short, bob, long, spiky, ponytail, bun, curly
}

/// Eye shapes: `round` dots, `oval` (taller), `narrow` (flatter), `big` (large with whites and a glint).
public enum EyeShape: String, Sendable, Codable, CaseIterable {
    case round, oval, narrow, big
}

/// Eyebrow styles.
public enum BrowStyle: String, Sendable, Codable, CaseIterable {
    case none, thin, thick, arched
}

/// The animal of an anthropomorphic character: decides the ears and the snout.
public enum AnimalKind: String, Sendable, Codable, CaseIterable {
    /// Pointed ears, whiskers.
    case cat
    /// Tall pointed ears, a white muzzle.
    case fox
    /// Round ears, a round muzzle.
    case bear
    /// Long upright ears.
    case rabbit
    /// Large round ears.
    case mouse
    /// Floppy ears hanging at the sides.
    case dog
}

/// The shirt's pattern.
public enum ClothingPattern: String, Sendable, Codable, CaseIterable {
    case solid, stripes, dots, twoTone
}

/// What the legs wear.
public enum Bottoms: String, Sendable, Codable, CaseIterable {
    case trousers, shorts, skirt
}

/// Things a character wears on top of clothes.
public enum Accessory: String, Sendable, Codable, CaseIterable {
    case beanie, cap, topHat, glasses, scarf, bowTie

    /// The caption noun: "a beanie", "glasses", …
    public var phrase: String {
        switch self {
        case .beanie: return "a beanie"
        case .cap: return "a cap"
        case .topHat: return "a top hat"
        case .glasses: return "glasses"
        case .scarf: return "a scarf"
        case .bowTie: return "a bow tie"
        }
    }

    var isHat: Bool { self == .beanie || self == .cap || self == .topHat }
}
