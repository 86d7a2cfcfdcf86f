import Foundation
import OmniMedia

/// `recipe.toml` ⇄ `GenerationRequest`. Reading is strict: an unknown key, a wrong type or a bad value is an
/// error naming the file and the line.
extension GenerationRequest {
    private static let schema: [String: [String]] = [
        "": ["model", "seed", "steps", "shift", "sampler", "speed", "motion_noise", "fps", "size", "duration", "fit"],
        "reference": ["enabled", "path", "starts_video"],
        "audio": ["enabled", "path", "guidance", "guidance_end", "annealing"],
        "pose": ["enabled", "path", "canvas", "retarget"],
        "text": ["enabled", "prompt", "guidance"],
    ]

    /// The request as a TOML document (optional values that are nil are left out).
    public func tomlDocument() -> TOMLDocument {
        var d = TOMLDocument()
        d.set("", "model", .string(model))
        d.set("", "seed", .integer(Int(truncatingIfNeeded: seed)))
        if let steps { d.set("", "steps", .integer(steps)) }
        if let shift { d.set("", "shift", .float(shift)) }
        d.set("", "sampler", .string(sampler.rawValue))
        if let speed { d.set("", "speed", .string(speed.rawValue)) }
        if let motionNoise { d.set("", "motion_noise", .float(motionNoise)) }
        if let fps { d.set("", "fps", .integer(fps)) }
        if let width, let height { d.set("", "size", .array([.integer(width), .integer(height)])) }
        if let duration { d.set("", "duration", .float(duration)) }
        d.set("", "fit", .string(fit.rawValue))
        d.set("reference", "enabled", .boolean(reference.enabled))
        d.set("reference", "path", .string(reference.path))
        d.set("reference", "starts_video", .boolean(reference.startsVideo))
        d.set("audio", "enabled", .boolean(audio.enabled))
        d.set("audio", "path", .string(audio.path))
        if let g = audio.guidance { d.set("audio", "guidance", .float(g)) }
        if let g = audio.guidanceEnd { d.set("audio", "guidance_end", .float(g)) }
        d.set("audio", "annealing", .string(audio.annealing.rawValue))
        d.set("pose", "enabled", .boolean(pose.enabled))
        d.set("pose", "path", .string(pose.path))
        if let w = pose.canvasWidth, let h = pose.canvasHeight { d.set("pose", "canvas", .array([.integer(w), .integer(h)])) }
        d.set("pose", "retarget", .boolean(pose.retarget))
        d.set("text", "enabled", .boolean(text.enabled))
        d.set("text", "prompt", .string(text.prompt))
        if let g = text.guidance { d.set("text", "guidance", .float(g)) }
        return d
    }

    public func tomlText() -> String {
        tomlDocument().text(header: "OmniStudio recipe: `omnistudio generate --recipe <this file>` reproduces the run.")
    }

    /// Reads a recipe; keys that are absent keep the defaults of `GenerationRequest()`.
    public init(recipe document: TOMLDocument, path: String) throws(ModelError) {
        self.init()
        for e in document.entries {
            guard let keys = GenerationRequest.schema[e.table] else {
                throw .invalidRecipe(path: path, line: e.line, reason: "unknown table [\(Clipped(e.table))]")
            }
            guard keys.contains(e.key) else {
                let place = e.table.isEmpty ? "" : " in [\(Clipped(e.table))]"
                throw .invalidRecipe(path: path, line: e.line, reason: "unknown key '\(Clipped(e.key))'\(place) (known: \(keys.joined(separator: ", ")))")
            }
            func fail(_ what: String) -> ModelError { .invalidRecipe(path: path, line: e.line, reason: "'\(Clipped(e.key))' must be \(what), got \(Clipped(e.value.description))") }
            func string() throws(ModelError) -> String { if case .string(let s) = e.value { return s }; throw fail("a string") }
            func bool() throws(ModelError) -> Bool { if case .boolean(let b) = e.value { return b }; throw fail("true or false") }
            func int() throws(ModelError) -> Int { if case .integer(let i) = e.value { return i }; throw fail("an integer") }
            func number() throws(ModelError) -> Double {
                switch e.value {
                case .integer(let i): return Double(i)
                case .float(let d): return d
                default: throw fail("a number")
                }
            }
            func choice<T: RawRepresentable>(_ type: T.Type, _ all: [T]) throws(ModelError) -> T where T.RawValue == String {
                let s = try string()
                guard let v = T(rawValue: s) else { throw fail("one of \(all.map(\.rawValue).joined(separator: ", "))") }
                return v
            }
            switch (e.table, e.key) {
            case ("", "model"): model = try string()
            case ("", "seed"):
                let s = try int()
                seed = UInt64(bitPattern: Int64(s))
            case ("", "steps"): steps = try int()
            case ("", "shift"): shift = try number()
            case ("", "sampler"): sampler = try choice(SamplerKind.self, SamplerKind.allCases)
            case ("", "speed"): speed = try choice(SamplingSpeed.self, SamplingSpeed.allCases)
            case ("", "motion_noise"): motionNoise = try number()
            case ("", "fps"): fps = try int()
            case ("", "size"):
                guard case .array(let a) = e.value, a.count == 2, case .integer(let w) = a[0], case .integer(let h) = a[1] else {
                    throw fail("[width, height]")
                }
                width = w; height = h
            case ("", "duration"): duration = try number()
            case ("", "fit"): fit = try choice(FitMode.self, FitMode.allCases)
            case ("reference", "enabled"): reference.enabled = try bool()
            case ("reference", "path"): reference.path = try string()
            case ("reference", "starts_video"): reference.startsVideo = try bool()
            case ("audio", "enabled"): audio.enabled = try bool()
            case ("audio", "path"): audio.path = try string()
            case ("audio", "guidance"): audio.guidance = try number()
            case ("audio", "guidance_end"): audio.guidanceEnd = try number()
            case ("audio", "annealing"): audio.annealing = try choice(AnnealingCurve.self, AnnealingCurve.allCases)
            case ("pose", "enabled"): pose.enabled = try bool()
            case ("pose", "path"): pose.path = try string()
            case ("pose", "canvas"):
                guard case .array(let a) = e.value, a.count == 2, case .integer(let w) = a[0], case .integer(let h) = a[1],
                      (1...1_048_576).contains(w), (1...1_048_576).contains(h) else {
                    throw fail("[width, height] in pixels")
                }
                pose.canvasWidth = w; pose.canvasHeight = h
            case ("pose", "retarget"): pose.retarget = try bool()
            case ("text", "enabled"): text.enabled = try bool()
            case ("text", "prompt"): text.prompt = try string()
            case ("text", "guidance"): text.guidance = try number()
            default: throw .invalidRecipe(path: path, line: e.line, reason: "unknown key '\(Clipped(e.key))'")
            }
        }
    }

    /// Reads the recipe file at `path`.
    public init(recipeAt path: String) throws(ModelError) {
        try self.init(recipe: try TOMLDocument(contentsOf: path), path: path)
    }
}
