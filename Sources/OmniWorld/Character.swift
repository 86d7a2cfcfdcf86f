import OmniMedia
import OmniTensor

/// A puppet: a seeded, parametric description of one character's look. Everything `PuppetRenderer` needs
/// besides the pose and the face state. `Codable` (colours as "#rrggbb"), so the ground truth of a clip records it.
public struct Character: Sendable, Codable, Equatable {
    /// The seed this character was drawn from.
    public var seed: UInt64
    public var style: CharacterStyle
    /// The animal, for `.animal` style; nil for people.
    public var animal: AnimalKind?
    /// Skin, or fur for animals.
    public var skin: Colour
    /// Fur colour's caption name (animals), or "".
    public var furName: String
    /// The lighter fur of an animal's snout and inner ears.
    public var muzzle: Colour
    public var hair: HairStyle
    public var hairColour: Colour
    public var hairName: String
    public var eyes: EyeShape
    public var eyeColour: Colour
    public var brows: BrowStyle
    /// Mouth width as a factor of the standard (0.7…1.3).
    public var mouthWidth: Float
    /// Whether an open mouth shows a row of teeth.
    public var teeth: Bool
    public var shirt: Colour
    public var shirtName: String
    /// The pattern's second colour.
    public var shirtSecondary: Colour
    public var pattern: ClothingPattern
    public var longSleeves: Bool
    public var bottoms: Bottoms
    public var bottomsColour: Colour
    public var bottomsName: String
    public var shoes: Colour
    public var accessories: [Accessory]
    public var accessoryColour: Colour
    public var proportions: BodyProportions

    /// A random character of `style` (nil: any style), a pure function of `seed`.
    public static func random(seed: UInt64, style: CharacterStyle? = nil) -> Character {
        var rng = RandomStream(seed: seed, stream: 0xC4A2).split("character")
        let style = style ?? rng.pick(CharacterStyle.self)
        let clothes = style == .photo ? Palette.muted : Palette.bright
        var animal: AnimalKind?
        var skin = rng.pick(Palette.skin), furName = "", muzzle = skin.shaded(-0.25)
        var hair = rng.pick(HairStyle.self)
        let hairPick = style == .photo ? rng.pick(Array(Palette.hair.prefix(6))) : rng.pick(Palette.hair)
        if style == .animal {
            let kind = rng.pick(AnimalKind.self)
            animal = kind
            let fur = kind == .fox ? (rng.chance(0.7) ? Palette.fur[0] : rng.pick(Palette.fur)) : rng.pick(Palette.fur)
            skin = fur.1; furName = fur.0
            muzzle = fur.1.luma > 0.75 ? fur.1.shaded(0.12) : fur.1.shaded(-0.6)
            hair = rng.chance(0.3) ? .spiky : .bald
        }
        let shirt = rng.pick(clothes)
        var second = rng.pick(clothes)
        if second.0 == shirt.0 { second = (second.0, second.1.shaded(second.1.luma > 0.5 ? 0.35 : -0.45)) }
        let pattern = rng.pick(ClothingPattern.self)
        let bottoms = rng.pick(Palette.bottoms)
        var accessories: [Accessory] = []
        if rng.chance(0.3) { accessories.append(rng.pick([.beanie, .cap, .topHat])) }
        if style != .animal && rng.chance(0.25) { accessories.append(.glasses) }
        if rng.chance(0.2) { accessories.append(rng.pick([.scarf, .bowTie])) }
        if accessories.contains(where: \.isHat) && (hair == .bun || hair == .spiky) { hair = .short }
        return Character(
            seed: seed, style: style, animal: animal, skin: skin, furName: furName, muzzle: muzzle,
            hair: hair, hairColour: style == .animal ? skin.shaded(0.25) : hairPick.1,
            hairName: style == .animal ? "" : hairPick.0,
            eyes: rng.pick(EyeShape.self), eyeColour: rng.pick(Palette.eyes), brows: rng.pick(BrowStyle.self),
            mouthWidth: rng.uniform(0.75, 1.3), teeth: rng.chance(0.6),
            shirt: shirt.1, shirtName: shirt.0, shirtSecondary: second.1, pattern: pattern, longSleeves: rng.chance(0.5),
            bottoms: rng.pick(Bottoms.self), bottomsColour: bottoms.1, bottomsName: bottoms.0,
            shoes: rng.pick(Palette.shoes), accessories: accessories, accessoryColour: rng.pick(clothes).1,
            proportions: .random(&rng))
    }

    /// Vertical landmarks of the standing neutral pose in skeleton units (y down): top of hair or hat, neck,
    /// hips, soles. Framing windows are built from them.
    public var standingExtent: (top: Float, neck: Float, hips: Float, feet: Float) {
        let joints = Skeleton.joints(.neutral, proportions: proportions)
        let r = proportions.headRadius
        let headCentre = joints[PoseJoint.neck.rawValue].y - proportions.neckLength - r
        var top = headCentre - r * 1.08
        if hair == .bun || hair == .spiky { top -= 0.35 * r }
        if animal == .rabbit { top -= 1.2 * r } else if animal == .fox || animal == .cat { top -= 0.5 * r }
        else if animal == .mouse || animal == .bear { top -= 0.25 * r }
        if accessories.contains(.topHat) { top = min(top, headCentre - 1.75 * r) }
        let hips = (joints[PoseJoint.rightHip.rawValue].y + joints[PoseJoint.leftHip.rawValue].y) / 2
        let feet = max(joints[PoseJoint.rightAnkle.rawValue].y, joints[PoseJoint.leftAnkle.rawValue].y) + 0.035 * proportions.legs
        return (top, joints[PoseJoint.neck.rawValue].y, hips, feet)
    }

    /// A caption noun phrase: "a cartoon person with short red hair in a striped blue shirt", "an orange fox in a
    /// green shirt", "a photo-like person with a bob of black hair, wearing glasses".
    public var phrase: String {
        let styleWord: String
        switch style {
        case .cartoon: styleWord = "cartoon"
        case .photo: styleWord = "realistic"
        case .animal: styleWord = "cartoon"
        }
        let patternWord: String
        switch pattern {
        case .solid: patternWord = ""
        case .stripes: patternWord = "striped "
        case .dots: patternWord = "polka-dot "
        case .twoTone: patternWord = "two-tone "
        }
        let shirtPhrase = "a \(patternWord)\(shirtName) shirt"
        var subject: String
        if let animal {
            let fur = furName.isEmpty ? "" : furName + " "
            subject = "\(Self.article(for: fur + animal.rawValue)) \(fur)\(animal.rawValue) in \(shirtPhrase)"
        } else {
            let hairPhrase: String
            switch hair {
            case .bald: hairPhrase = "a bald head"
            case .bob: hairPhrase = "a \(hairName) bob"
            case .ponytail: hairPhrase = "a \(hairName) ponytail"
            case .bun: hairPhrase = "\(hairName) hair in a bun"
            default: hairPhrase = "\(hair.rawValue) \(hairName) hair"
            }
            subject = "a \(styleWord) person with \(hairPhrase) in \(shirtPhrase)"
        }
        if !accessories.isEmpty {
            subject += ", wearing " + accessories.map(\.phrase).joined(separator: " and ")
        }
        return subject
    }

    static func article(for word: String) -> String {
        guard let first = word.lowercased().first else { return "a" }
        return "aeiou".contains(first) ? "an" : "a"
    }
}
