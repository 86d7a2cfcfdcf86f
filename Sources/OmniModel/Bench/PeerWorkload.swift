import OmniTensor

/// The work `omnistudio bench peer` times against the PyTorch reference (`python/omnitorch/bench_peer.py` builds
/// the same shapes from the same model folder): one guided DiT call — `passes` passes (all conditions, audio off,
/// text off) over one segment's latent frames at the first size bucket, with the reference, `textTokens` text
/// states and the segment's audio rows as cached conditions — and one segment's latent frames decoded in one call
/// through a fresh decoder stream. Inputs are random: the time does not depend on the values.
public struct PeerWorkload {
    public let model: LoadedModel
    public let passes: Int
    public let latentFrames: Int
    public let grid: (h: Int, w: Int)
    let inputs: Tensor
    let latents: Tensor
    let passList: [(textOn: Bool, audioOn: Bool)]
    let cache = ConditionCache()
    let rows: LinearRows

    public init(model: LoadedModel, passes: Int = 3, textTokens: Int = 16) throws(ModelError) {
        let c = model.config, s = c.vae.spatialFactor
        let size = c.video.sizes.first ?? [64, 64]
        self.model = model
        self.passes = passes
        grid = (size[1] / s, size[0] / s)
        latentFrames = try model.vae.latentFrameCount(frames: c.video.segmentFrames)
        let rng = RandomStream(seed: 5)
        inputs = Tensor(uninitialized: [passes, latentFrames, grid.h, grid.w, model.dit.inputChannels]); rng.fillNormal(inputs.buffer)
        latents = Tensor(uninitialized: [latentFrames, grid.h, grid.w, c.vae.zChannels]); rng.split(4).fillNormal(latents.buffer)
        let reference = Tensor(uninitialized: [1, 1, grid.h, grid.w, c.vae.zChannels]); rng.split(1).fillNormal(reference.buffer)
        let text = Tensor(uninitialized: [1, textTokens, c.text.encoderWidth]); rng.split(2).fillNormal(text.buffer)
        let audio = Tensor(uninitialized: [1, c.video.segmentFrames, c.audio.featureWidth]); rng.split(3).fillNormal(audio.buffer)
        passList = Array([(true, true), (true, false), (false, true)].prefix(passes))
        rows = model.inferenceRows()
        cache.setReference(model.dit.referenceKeysValues(latent: reference))
        cache.setText(model.dit.textKeysValues(states: text))
        cache.setAudio(model.dit.audioKeysValues(features: audio, latentFrames: latentFrames), frames: audio.shape[1])
    }

    /// One guided DiT call on the cached path, with the linears as generation runs them (what a denoising step of
    /// generation makes).
    public func step() throws(ModelError) {
        _ = try rows.run { () throws(ModelError) in
            try model.dit.velocity(inputs: inputs, sigmas: [Float](repeating: 0.7, count: passes), passes: passList, cache: cache)
        }
    }

    /// The segment's latent frames through a fresh decoder stream in one call — the work the reference does
    /// (generation feeds the same stream one latent frame at a time, to hand frames over as they come).
    public func decode() {
        var stream = model.vae.decoderStream()
        _ = stream.decode(latentFrames: latents)
    }
}
