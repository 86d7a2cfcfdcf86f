import OmniModel
import OmniTensor

/// The text encoder's states of training captions, kept by caption: the DiT trainers read a caption's states at
/// every sample, and a latent cache's windows come back epoch after epoch, so most captions repeat. Holds at most
/// `capacity` captions (then starts afresh): about 50 KB each at the `mini` shape's 32 tokens.
public final class CaptionStates {
    let encoder: TextEncoder
    let maxTokens: Int
    let capacity: Int
    private var memo: [String: Tensor] = [:]

    public init(encoder: TextEncoder, maxTokens: Int, capacity: Int = 4096) {
        precondition(capacity >= 1)
        self.encoder = encoder; self.maxTokens = maxTokens; self.capacity = capacity
    }

    /// `TextEncoder.tokenStates(caption, maxTokens:)`, `[tokens, 384]`; callers must not change the tensor.
    public func callAsFunction(_ caption: String) -> Tensor {
        if let hit = memo[caption] { return hit }
        let states = encoder.tokenStates(caption, maxTokens: maxTokens)
        if memo.count >= capacity { memo.removeAll(keepingCapacity: true) }
        memo[caption] = states
        return states
    }
}
