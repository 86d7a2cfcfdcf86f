import OmniTensor

/// Text prompts for clips: "A cartoon person with short red hair in a striped blue shirt waves with the right
/// hand, then claps. Full-body shot, silent."
public enum Caption {
    static func make(character: Character, timeline: MotionTimeline, framing: Framing, audio: AudioSpec,
                     rng: inout RandomStream) -> String {
        var actions = timeline.segments.map { rng.pick($0.motion.kind.phrases) }
        if audio.kind == .espeak, let sentence = audio.sentence, !actions.isEmpty {
            actions[0] += " and says \"\(sentence)\""
        }
        let sound: String
        switch audio.kind {
        case .speech, .espeak: sound = "speaking"
        case .music: sound = "music at \(Int(audio.bpm)) bpm"
        case .silence: sound = "silent"
        }
        return compose(character: character, actions: actions, framing: framing, sound: sound)
    }

    /// The caption grammar: "<Character> <action>, then <action>. <Shot>, <sound>."
    static func compose(character: Character, actions: [String], framing: Framing, sound: String) -> String {
        var sentence = character.phrase + " " + actions.joined(separator: ", then ")
        if let first = sentence.first { sentence = first.uppercased() + sentence.dropFirst() }
        let shot = framing.phrase.prefix(1).uppercased() + framing.phrase.dropFirst()
        return "\(sentence). \(shot), \(sound)."
    }
}
