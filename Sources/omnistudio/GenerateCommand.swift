import ArgumentParser
import Dispatch
import Foundation
import Synchronization
import OmniMedia
import OmniModel

/// `omnistudio generate`: the studio's engine, headless. Conditions are on when their file or prompt is given;
/// `--recipe` starts from a recipe file (e.g. `outputs/<id>/recipe.toml`) and flags override it.
struct Generate: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Generate a video from a reference photo driven by audio, pose and/or text.",
        discussion: """
            Give a reference photo and at least one driver: --audio (the video lasts as long as the audio), --pose \
            (as long as the pose clip), or --text with --duration. Unset numbers take the model's defaults; the \
            bundled model (Models/omni-mini) was trained at 64×64 (sizes 64x64, 48x64, 64x48) and 25 fps, and is \
            a one-pass student that runs 4 steps by default (--speed quality: 20).

            Writes outputs/<run-id>/ (or --out DIR): video.mp4, recipe.toml, poster.png, run.log. \
            Ctrl-C, SIGTERM and SIGHUP cancel cleanly (with --keep-partial the frames made so far are kept as video.partial.mp4).

            Examples:
              omnistudio generate --ref photo.png --audio voice.wav
              omnistudio generate --ref photo.png --pose dance.json --text "a person dances"
              omnistudio generate --recipe outputs/<run-id>/recipe.toml --seed 7
            """)

    @Option(help: "Model folder, or random:tiny / random:mini for seeded random weights (default: Models/omni-mini).") var model: String?
    @Option(help: "A recipe.toml to start from (flags override it).") var recipe: String?
    @Option(help: "Reference image.") var ref: String?
    @Option(help: "Driving audio (any file FFmpeg reads; a video's audio track works too).") var audio: String?
    @Option(help: "Pose: an OpenPose JSON / pose clip file, or a folder of per-frame OpenPose files.") var pose: String?
    @Option(help: ArgumentHelp("The size of the video the poses were taken from, when the pose files do not say (default: the smallest common video size that holds every joint, with a note).", valueName: "WxH"))
    var poseCanvas: String?
    @Flag(help: "Keep the pose where it is drawn instead of scaling and moving it onto the person in the reference.") var noRetarget = false
    @Flag(help: "Sample the first segment from noise alone instead of starting the video on the reference picture.") var noReferenceStart = false
    @Option(help: "Text prompt.") var text: String?
    @Option(name: .customLong("audio-cfg"), help: "Audio guidance scale at the first step, 0…30 (default: the model's, 2.5 for omni-mini).") var audioCFG: Double?
    @Option(name: .customLong("audio-cfg-end"), help: "Audio guidance scale at the last step (default: the model's, 1.5 for omni-mini).") var audioCFGEnd: Double?
    @Option(help: "How the audio scale moves from first to last step (default: linear).") var annealing: AnnealingCurve?
    @Option(name: .customLong("text-cfg"), help: "Text guidance scale, 0…30 (default: the model's, 4 for omni-mini).") var textCFG: Double?
    @Option(help: "Denoising steps, 1…1000 (default: the model's for --speed, omni-mini's 4 fast and 20 quality).") var steps: Int?
    @Option(help: "Flow schedule shift (default: the model's, 3 for omni-mini).") var shift: Double?
    @Option(help: "Noise mixed into each continuation's motion latents, 0…1 (default: the model's sampling.motion_noise).") var motionNoise: Double?
    @Option(help: "Sampler (default: euler).") var sampler: SamplerKind?
    @Option(help: "quality (the model's steps) or fast (a distilled student's sampling.fast_steps) for unset steps; default: the model's sampling.speed.") var speed: SamplingSpeed?
    @Option(help: "Noise seed (default: 0).") var seed: UInt64?
    @Option(help: "Seconds of video (default: the audio's, else the pose clip's length; needed for text alone).") var duration: Double?
    @Option(help: "WIDTHxHEIGHT in pixels, multiples of 8 (default: the model's first size, 64x64 for omni-mini).") var size: String?
    @Option(help: "Frames per second, 1…120 (default: the model's, 25).") var fps: Int?
    @Option(help: "crop or letterbox the reference to the size (default: crop).") var fit: FitMode?
    @Option(help: "The run folder to write (must not exist).") var out: String?
    @Flag(help: "On cancellation keep the frames made so far as video.partial.mp4.") var keepPartial = false
    @Flag(help: "No progress output.") var quiet = false
    @Flag(help: "One JSON event per line on stdout (for scripts).") var jsonEvents = false

    func run() throws {
        // Nothing to go on: say what is needed rather than the first missing setting.
        if recipe == nil && ref == nil && audio == nil && pose == nil && text == nil && duration == nil {
            throw MissingInputs(text: """
                nothing to generate from: give a reference photo (--ref) and at least one driver — --audio FILE, \
                --pose FILE, or --text "…" with --duration SECONDS — or start from --recipe FILE.
                e.g. omnistudio generate --ref photo.png --audio voice.wav   (omnistudio generate --help for all options)
                """)
        }
        var request = try recipe.map { try GenerationRequest(recipeAt: $0) } ?? GenerationRequest()
        if let model { request.model = model }
        if let ref { request.reference = .init(enabled: true, path: ref) }
        if let audio { request.audio.enabled = true; request.audio.path = audio }
        if let pose { request.pose.enabled = true; request.pose.path = pose }
        if let poseCanvas {
            let parts = poseCanvas.lowercased().split(separator: "x").compactMap { Int($0) }
            guard parts.count == 2, parts.allSatisfy({ (1...1_048_576).contains($0) }) else {
                throw ValidationError("--pose-canvas wants WIDTHxHEIGHT in pixels, e.g. 1280x720")
            }
            request.pose.canvasWidth = parts[0]; request.pose.canvasHeight = parts[1]
        }
        if noRetarget { request.pose.retarget = false }
        if noReferenceStart { request.reference.startsVideo = false }
        if let text { request.text.enabled = true; request.text.prompt = text }
        if let audioCFG { request.audio.guidance = audioCFG }
        if let audioCFGEnd { request.audio.guidanceEnd = audioCFGEnd }
        if let annealing { request.audio.annealing = annealing }
        if let textCFG { request.text.guidance = textCFG }
        if let steps { request.steps = steps }
        if let shift { request.shift = shift }
        if let motionNoise { request.motionNoise = motionNoise }
        if let sampler { request.sampler = sampler }
        if let speed { request.speed = speed }
        if let seed { request.seed = seed }
        if let duration { request.duration = duration }
        if let fps { request.fps = fps }
        if let fit { request.fit = fit }
        if let size {
            let parts = size.lowercased().split(separator: "x").compactMap { Int($0) }
            guard parts.count == 2 else { throw ValidationError("--size wants WIDTHxHEIGHT, e.g. 64x64") }
            request.width = parts[0]; request.height = parts[1]
        }
        try request.validate()

        let reporter = ProgressReporter(quiet: quiet, json: jsonEvents)
        reporter.emit(.loading("model \(request.model)"))
        let loaded = try LoadedModel.load(request.model)
        let generation = Generation(request: request, model: loaded, outputFolder: out.map { URL(fileURLWithPath: $0) },
                                    keepPartial: keepPartial)

        // Ctrl-C, SIGTERM and SIGHUP all cancel: the generation stops within a step and cleans up (with
        // --keep-partial, keeps the frames made so far); the exit status is 128 + the signal's number.
        let signals = StopSignals(label: "omnistudio.generate.signals") { _ in generation.cancel() }
        defer { signals.restore() }

        var failure: ModelError?
        var wasCancelled = false
        generation.run { event in
            reporter.emit(event)
            if case .failed(let e) = event { failure = e }
            if case .cancelled = event { wasCancelled = true }
        }
        if let failure { throw failure }
        if wasCancelled { throw ExitCode(signals.exitCode) }
    }
}

/// What `generate` says when given nothing to work from (an error of its own: ArgumentParser follows a
/// `ValidationError` with the top-level usage line, which points away from the help that would help).
struct MissingInputs: Error, CustomStringConvertible {
    let text: String
    var description: String { text }
}

extension AnnealingCurve: ExpressibleByArgument {}
extension SamplerKind: ExpressibleByArgument {}
extension SamplingSpeed: ExpressibleByArgument {}
extension FitMode: ExpressibleByArgument {}
