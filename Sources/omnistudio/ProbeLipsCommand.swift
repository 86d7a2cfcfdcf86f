import ArgumentParser
import Foundation
import OmniModel
import OmniTensor
import OmniTrain

/// `omnistudio probe lips`: whether a model's velocity at the mouth gets better when it hears the audio
/// (`MouthAudioGain`), on a latent cache of talking heads encoded with the model's VAE.
struct ProbeLips: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "lips",
        abstract: "How much hearing the audio lowers a model's velocity error at the mouth (and elsewhere), per σ, over a latent cache's windows.")

    @Option(help: "Model folder (its VAE must be the cache's).") var model: String
    @Option(help: ArgumentHelp("A latent cache of talking heads for this model's VAE (omnistudio train cache --talking-heads 1 --seed S, S apart from the training caches').",
                               valueName: "dir")) var latents: String
    @Option(help: ArgumentHelp("Noise levels σ, comma-separated.", valueName: "σ,…")) var sigmas = "0.3,0.5,0.7,0.9"
    @Option(help: "Noise seed.") var seed: UInt64 = 1

    func run() throws {
        let levels = sigmas.split(separator: ",").compactMap { Float($0.trimmingCharacters(in: .whitespaces)) }
        guard !levels.isEmpty, levels.count == sigmas.split(separator: ",").count, levels.allSatisfy({ $0 > 0 && $0 < 1 }) else {
            throw ValidationError("--sigmas: comma-separated numbers strictly between 0 and 1")
        }
        let loaded = try LoadedModel.load(model)
        let cache = try LatentCache(folder: latents)
        let config = loaded.config
        // Text is off in every probe pass; its states are never read.
        let objective = try DiTObjective(weights: loaded.weights, config: config,
                                         samples: PuppetSamples(seed: 1, sizes: config.video.sizes, fps: config.video.fps), stage: 3,
                                         ratios: ConditionRatios(audio: 1, pose: 0, mouthWeight: 1), batch: 1, latents: cache,
                                         text: { _ in Tensor(zeros: [1, config.text.encoderWidth]) })
        let start = Date()
        let rows = try MouthAudioGain.measure(objective, sigmas: levels, seed: seed)
        print("omnistudio probe lips — \(model) on \(latents): velocity error per latent value, reference + own motion frames, audio off → on")
        print("   σ   windows   mouth off    mouth on   mouth gain    rest off     rest on   rest gain   mouth on·σ²  mouth motion")
        for r in rows {
            print(String(format: "%5.2f %8d %11.4f %11.4f %11.1f %% %11.4f %11.4f %9.1f %% %13.4f %13.4f", r.sigma, r.windows, r.mouthOff, r.mouthOn,
                         100 * r.mouthGain, r.restOff, r.restOn, 100 * r.restGain, r.mouthOn * Double(r.sigma * r.sigma), r.mouthMotion))
        }
        print("mouth on·σ²: the x₀ error at the mouth; mouth motion: ½ (x₀[k] − x₀[k−1])² there, the scale of what the audio could explain")
        let off = rows.map(\.mouthOff).reduce(0, +), on = rows.map(\.mouthOn).reduce(0, +)
        print(String(format: "all σ: mouth gain %.1f %% (%.0f s)", 100 * (1 - on / max(off, 1e-12)), Date().timeIntervalSince(start)))
    }
}
