/// The motions of the puppet world. "Right" and "left" are the character's own sides (the image's left and right
/// when it faces the camera).
public enum MotionKind: String, Sendable, Codable, CaseIterable {
    case idle, nod, tilt, talk, waveRight, waveLeft, clap, raiseArms, pointRight, pointLeft, jump, walk, turn, dance

    /// Caption phrases (a verb phrase after the subject); a clip picks one by seed.
    public var phrases: [String] {
        switch self {
        case .idle: return ["stands still", "stands calmly, breathing", "stays still, looking at the camera"]
        case .nod: return ["nods", "nods yes", "nods slowly"]
        case .tilt: return ["tilts the head", "tilts the head from side to side", "tilts the head curiously"]
        case .talk: return ["talks with hand gestures", "speaks, gesturing with both hands", "talks to the camera"]
        case .waveRight: return ["waves with the right hand", "waves hello with the right hand", "raises the right hand and waves"]
        case .waveLeft: return ["waves with the left hand", "waves hello with the left hand", "raises the left hand and waves"]
        case .clap: return ["claps", "claps the hands", "applauds"]
        case .raiseArms: return ["raises both arms", "lifts the arms up", "raises the arms in the air"]
        case .pointRight: return ["points to the right", "points right with the right arm", "stretches the right arm out to point"]
        case .pointLeft: return ["points to the left", "points left with the left arm", "stretches the left arm out to point"]
        case .jump: return ["jumps", "jumps up and down", "hops in place"]
        case .walk: return ["walks in place", "marches on the spot", "steps in place"]
        case .turn: return ["turns to the side", "turns left and right", "looks around, turning the body"]
        case .dance: return ["dances to the beat", "dances to the music", "bounces to the rhythm"]
        }
    }

    /// Whether the motion needs the legs in view to read (kept out of head-and-shoulders clips).
    public var needsLegs: Bool { self == .jump || self == .walk }
}
