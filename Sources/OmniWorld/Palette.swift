/// The colour sets characters and backgrounds are drawn from, each with a caption name.
enum Palette {
    static let skin: [Colour] = [
        Colour(hex: 0xF6D7C3), Colour(hex: 0xEFC3A4), Colour(hex: 0xE0AC89), Colour(hex: 0xC68E6A),
        Colour(hex: 0xA86F4C), Colour(hex: 0x8A5637), Colour(hex: 0x68402A), Colour(hex: 0x4A2E1F),
    ]
    static let hair: [(String, Colour)] = [
        ("black", Colour(hex: 0x1F1A17)), ("dark brown", Colour(hex: 0x4A2F1F)), ("brown", Colour(hex: 0x7A4E2D)),
        ("blond", Colour(hex: 0xE1C16E)), ("red", Colour(hex: 0xB5482A)), ("grey", Colour(hex: 0x9C9C9C)),
        ("pink", Colour(hex: 0xE58BB8)), ("blue", Colour(hex: 0x4C7FD0)), ("white", Colour(hex: 0xEDEDED)),
    ]
    /// Bright clothing colours (cartoon and animal styles).
    static let bright: [(String, Colour)] = [
        ("red", Colour(hex: 0xD83A34)), ("orange", Colour(hex: 0xF08A24)), ("yellow", Colour(hex: 0xF2C83B)),
        ("green", Colour(hex: 0x3FA44A)), ("teal", Colour(hex: 0x2AA198)), ("blue", Colour(hex: 0x2F6FD6)),
        ("purple", Colour(hex: 0x8A4FC9)), ("pink", Colour(hex: 0xE5619B)), ("white", Colour(hex: 0xF2F2F2)),
        ("black", Colour(hex: 0x2A2A2E)),
    ]
    /// Muted clothing colours (photo-like style).
    static let muted: [(String, Colour)] = [
        ("navy", Colour(hex: 0x2C3E5C)), ("grey", Colour(hex: 0x7D8085)), ("beige", Colour(hex: 0xC8B493)),
        ("olive", Colour(hex: 0x6B7040)), ("maroon", Colour(hex: 0x7A2E34)), ("denim blue", Colour(hex: 0x4A6D95)),
        ("white", Colour(hex: 0xE6E4DF)), ("black", Colour(hex: 0x26262A)), ("brown", Colour(hex: 0x6E4B33)),
        ("green", Colour(hex: 0x3E6B4E)),
    ]
    static let fur: [(String, Colour)] = [
        ("orange", Colour(hex: 0xE07A2E)), ("brown", Colour(hex: 0x8B5A3C)), ("grey", Colour(hex: 0x8E9096)),
        ("white", Colour(hex: 0xEEE8DE)), ("tan", Colour(hex: 0xD2A86E)), ("black", Colour(hex: 0x3A3536)),
        ("cream", Colour(hex: 0xF1DDB5)),
    ]
    static let eyes: [Colour] = [Colour(hex: 0x3B2A1E), Colour(hex: 0x2E5E8C), Colour(hex: 0x3D7A4A), Colour(hex: 0x202020)]
    static let shoes: [Colour] = [Colour(hex: 0x2B2B2B), Colour(hex: 0x5A3B24), Colour(hex: 0xEFEFEF), Colour(hex: 0xB23A30)]
    static let bottoms: [(String, Colour)] = [
        ("blue", Colour(hex: 0x34508A)), ("black", Colour(hex: 0x2A2A2E)), ("grey", Colour(hex: 0x6D6F75)),
        ("brown", Colour(hex: 0x6B4A30)), ("khaki", Colour(hex: 0xB9A57A)), ("green", Colour(hex: 0x3D5E3A)),
    ]
    static let backgrounds: [Colour] = [
        Colour(hex: 0xBFD9F2), Colour(hex: 0xF4E1C1), Colour(hex: 0xD5ECD4), Colour(hex: 0xE9D5EE), Colour(hex: 0xF2F2EC),
        Colour(hex: 0x9FB8C8), Colour(hex: 0xE8C9A9), Colour(hex: 0x7F95A6), Colour(hex: 0xC9C2B4), Colour(hex: 0xFFE9A8),
    ]
}
