import Foundation
import OmniMedia
import OmniModel

/// The switchboard's rows: each condition on/off with its file or prompt, and every sampling setting.
public enum SwitchRow: Int, CaseIterable, Sendable {
    case reference, audio, audioCFG, audioCFGEnd, annealing, pose, text, textCFG
    case speed, steps, sampler, shift, seed, duration, size, fit, model

    public var label: String {
        switch self {
        case .reference: return "Reference"
        case .audio: return "Audio"
        case .audioCFG: return "Audio CFG"
        case .audioCFGEnd: return "Audio CFG end"
        case .annealing: return "Annealing"
        case .pose: return "Pose"
        case .text: return "Text"
        case .textCFG: return "Text CFG"
        case .speed: return "Speed"
        case .steps: return "Steps"
        case .sampler: return "Sampler"
        case .shift: return "Shift"
        case .seed: return "Seed"
        case .duration: return "Duration"
        case .size: return "Size"
        case .fit: return "Fit"
        case .model: return "Model"
        }
    }

    public var isToggle: Bool { [.reference, .audio, .pose, .text].contains(self) }
    /// Rows whose value can be typed (Enter or `=`).
    public var isTypable: Bool { ![.annealing, .speed, .sampler, .size, .fit].contains(self) }
}

/// Editing the switchboard: nudges with clamping, toggles, typed values. Pure functions of the request.
public enum Switchboard {
    public static let guidanceRange = 0.0...30.0
    public static let guidanceStep = 0.5

    /// The length a run with no Duration set gets, as `Generation` decides it: the audio's, else the pose
    /// clip's; `lengths` holds the seconds of the files the shell has probed, by path.
    public static func autoDuration(_ r: GenerationRequest, lengths: [String: Double]) -> (seconds: Double, source: String)? {
        if r.audio.enabled { return lengths[r.audio.path].map { ($0, "audio") } }
        if r.pose.enabled { return lengths[r.pose.path].map { ($0, "pose") } }
        return nil
    }

    public static func value(_ row: SwitchRow, _ r: GenerationRequest, lengths: [String: Double] = [:]) -> String {
        func onOff(_ on: Bool, _ what: String) -> String { (on ? "[on]  " : "[off] ") + (what.isEmpty ? "—" : what) }
        switch row {
        case .reference: return onOff(r.reference.enabled, (r.reference.path as NSString).lastPathComponent)
        case .audio: return onOff(r.audio.enabled, (r.audio.path as NSString).lastPathComponent)
        case .audioCFG: return r.audio.guidance.map(Fmt.num) ?? "auto"
        case .audioCFGEnd: return r.audio.guidanceEnd.map(Fmt.num) ?? "auto"
        case .annealing: return r.audio.annealing.rawValue
        case .pose: return onOff(r.pose.enabled, (r.pose.path as NSString).lastPathComponent)
        case .text: return onOff(r.text.enabled, r.text.prompt.isEmpty ? "" : "\"\(r.text.prompt)\"")
        case .textCFG: return r.text.guidance.map(Fmt.num) ?? "auto"
        case .speed: return r.speed?.rawValue ?? "auto"
        case .steps: return r.steps.map(String.init) ?? "auto"
        case .sampler: return r.sampler.rawValue
        case .shift: return r.shift.map(Fmt.num) ?? "auto"
        case .seed: return String(r.seed)
        case .duration:
            if let d = r.duration { return Fmt.num(d) + " s" }
            // Short enough for the 120-column layout with the ◀ ▶ of a selected row.
            if let auto = autoDuration(r, lengths: lengths) { return "auto \(Fmt.num((auto.seconds * 10).rounded() / 10)) s, \(auto.source)" }
            return r.audio.enabled || r.pose.enabled ? "auto (from \(r.audio.enabled ? "audio" : "pose"))" : "auto — needs audio, pose or a value"
        case .size: return (r.width != nil && r.height != nil) ? "\(r.width!)×\(r.height!)" : "auto"
        case .fit: return r.fit.rawValue
        case .model: return r.model
        }
    }

    public static func isOn(_ row: SwitchRow, _ r: GenerationRequest) -> Bool? {
        switch row {
        case .reference: return r.reference.enabled
        case .audio: return r.audio.enabled
        case .pose: return r.pose.enabled
        case .text: return r.text.enabled
        default: return nil
        }
    }

    public static func toggle(_ row: SwitchRow, _ r: inout GenerationRequest) {
        switch row {
        case .reference: r.reference.enabled.toggle()
        case .audio: r.audio.enabled.toggle()
        case .pose: r.pose.enabled.toggle()
        case .text: r.text.enabled.toggle()
        default: break
        }
    }

    static func cycle<T: Equatable>(_ all: [T], _ v: T, _ d: Int) -> T {
        guard let i = all.firstIndex(of: v) else { return all.first ?? v }
        return all[((i + d) % all.count + all.count) % all.count]
    }

    static func clamp(_ v: Double, _ range: ClosedRange<Double>) -> Double { min(range.upperBound, max(range.lowerBound, v)) }

    /// Moves a value by `direction` (+1/−1) steps, clamped to its legal range.
    public static func nudge(_ row: SwitchRow, _ direction: Int, _ r: inout GenerationRequest, config: ModelConfig, models: [String],
                             lengths: [String: Double] = [:]) {
        let d = Double(direction)
        switch row {
        case .audioCFG: r.audio.guidance = clamp((r.audio.guidance ?? config.sampling.audioGuidance) + d * guidanceStep, guidanceRange)
        case .audioCFGEnd: r.audio.guidanceEnd = clamp((r.audio.guidanceEnd ?? config.sampling.audioGuidanceEnd) + d * guidanceStep, guidanceRange)
        case .textCFG: r.text.guidance = clamp((r.text.guidance ?? config.sampling.textGuidance) + d * guidanceStep, guidanceRange)
        case .annealing: r.audio.annealing = cycle(AnnealingCurve.allCases, r.audio.annealing, direction)
        case .speed:
            // Speed picks the step count, so it takes effect: steps go back to auto. A model without a fast
            // sampler stays at quality (the shell says why).
            guard config.sampling.fastSteps != nil else { r.speed = .quality; return }
            r.speed = cycle(SamplingSpeed.allCases, r.resolved(for: config).speed!, direction)
            r.steps = nil
        case .steps: r.steps = max(1, min(1000, r.resolved(for: config).steps! + direction))
        case .sampler: r.sampler = cycle(SamplerKind.allCases, r.sampler, direction)
        case .shift: r.shift = clamp((r.shift ?? config.sampling.shift) + d * 0.5, 0.5...100)
        case .seed:
            let s = Int64(bitPattern: r.seed) + Int64(direction)
            r.seed = UInt64(bitPattern: max(0, s))
        case .duration:
            // From "auto", the first step moves away from the length the run would have had.
            let v = (r.duration ?? autoDuration(r, lengths: lengths)?.seconds ?? 0) + d * 0.5
            r.duration = v < 0.5 ? nil : min(3600, v)
        case .size:
            let sizes = config.video.sizes.filter { $0.count == 2 }
            guard !sizes.isEmpty else { return }
            let current = [r.width ?? sizes[0][0], r.height ?? sizes[0][1]]
            let next = cycle(sizes, current, direction)
            r.width = next[0]; r.height = next[1]
        case .fit: r.fit = cycle(FitMode.allCases, r.fit, direction)
        case .model: r.model = cycle(models, r.model, direction)
        case .reference, .audio, .pose, .text: toggle(row, &r)
        }
    }

    /// Sets a typed value; the error says what is allowed.
    public static func set(_ row: SwitchRow, _ text: String, _ r: inout GenerationRequest) -> String? {
        let t = text.trimmingCharacters(in: .whitespaces)
        func number(_ range: ClosedRange<Double>) -> Double? {
            guard let v = Double(t), v.isFinite else { return nil }
            return clamp(v, range)
        }
        switch row {
        case .reference: r.reference.path = t; r.reference.enabled = !t.isEmpty
        case .audio: r.audio.path = t; r.audio.enabled = !t.isEmpty
        case .pose: r.pose.path = t; r.pose.enabled = !t.isEmpty
        case .text: r.text.prompt = text; r.text.enabled = !t.isEmpty
        case .audioCFG: guard let v = number(guidanceRange) else { return "Audio CFG must be a number 0…30" }; r.audio.guidance = v
        case .audioCFGEnd: guard let v = number(guidanceRange) else { return "Audio CFG end must be a number 0…30" }; r.audio.guidanceEnd = v
        case .textCFG: guard let v = number(guidanceRange) else { return "Text CFG must be a number 0…30" }; r.text.guidance = v
        case .steps: guard let v = Int(t) else { return "Steps must be a whole number 1…1000" }; r.steps = max(1, min(1000, v))
        case .shift: guard let v = number(0.5...100) else { return "Shift must be a number 0.5…100" }; r.shift = v
        case .seed: guard let v = UInt64(t) else { return "Seed must be a whole number ≥ 0" }; r.seed = v
        case .duration:
            if t.isEmpty || t == "auto" { r.duration = nil } else {
                guard let v = number(0.04...3600) else { return "Duration must be seconds (or 'auto')" }
                r.duration = v
            }
        case .model: guard !t.isEmpty else { return "Model must be a folder or random:tiny/random:mini" }; r.model = t
        case .annealing, .speed, .sampler, .size, .fit: return "use ←/→ to change \(row.label)"
        }
        return nil
    }

    /// The text that typing into `row` starts from.
    public static func editText(_ row: SwitchRow, _ r: GenerationRequest) -> String {
        switch row {
        case .reference: return r.reference.path
        case .audio: return r.audio.path
        case .pose: return r.pose.path
        case .text: return r.text.prompt
        case .duration: return r.duration.map(Fmt.num) ?? ""
        case .model: return r.model
        default: return value(row, r)
        }
    }
}
