/// Fixed prompt classes that measure whether text changes the motion: each clip's reference is generated in
/// reference + text mode once with a "waves" prompt and once with a "stands still" prompt, and the HKV of the two
/// rows is compared (the text-control target is waves ≥ 2× still). The prompts use the training captions' grammar
/// with the clip's own character and framing, so only the action differs between the classes.
public enum EvalPromptClass: String, CaseIterable, Codable, Sendable {
    case waves
    case still

    /// The eval table row: "text:waves", "text:still".
    public var rowName: String { "text:" + rawValue }

    /// The motions whose caption phrases the class draws from.
    var motions: [MotionKind] { self == .waves ? [.waveRight, .waveLeft] : [.idle] }

    /// The prompt for `spec`'s character and framing; `variant` picks the phrase (cycling), so a set of clips
    /// covers the class's phrasings.
    public func prompt(for spec: ClipSpec, variant: Int) -> String {
        let phrases = motions.flatMap(\.phrases)
        let action = phrases[((variant % phrases.count) + phrases.count) % phrases.count]
        return Caption.compose(character: spec.character, actions: [action], framing: spec.framing, sound: "silent")
    }
}
