import OmniModel
import OmniTensor

/// One kind of training (the VAE, or a DiT curriculum stage) as the training loop drives it.
public protocol TrainingObjective: AnyObject {
    /// The whole model; checkpoints hold all of it, so untrained parts survive unchanged.
    var weights: OmniModelWeights { get }
    /// The tensors this objective trains, keyed by their checkpoint keys inside `weights`.
    var parameters: [(key: String, tensor: Tensor)] { get }
    /// Forward and backward of step `step`'s batch: leaves the gradient of the batch-mean loss in `parameters`
    /// and returns the loss terms (`loss` is the optimised total; others are parts of it, for the log).
    func accumulateGradients(step: Int, profile: inout TrainingProfile) throws -> [String: Double]
    /// Runs once when the last step is done, with the EMA weights in place: may update the config (the VAE
    /// fits its latent statistics and preview here).
    func finish(config: ModelConfig) throws -> ModelConfig
}
