import OmniModel
import OmniTensor

/// The text encoder's states of training captions, kept by caption: the DiT trainers read a caption's states at
/// every sample, and a latent cache's windows come back epoch after epoch, so most captions repeat. Holds at most
/// `capacity` captions (then starts afresh): about 50 KB each at the `mini` shape's 32 tokens.
public final class CaptionStates {
    let encode: (String) -> Tensor
    let capacity: Int
    private var memo: [String: Tensor] = [:]
    /// How many captions went through the encoder.
    public private(set) var encoded = 0

    public init(capacity: Int = 4096, encode: @escaping (String) -> Tensor) {
        precondition(capacity >= 1)
        self.capacity = capacity; self.encode = encode
    }

    /// MiniLM's token states, `TextEncoder.tokenStates(caption, maxTokens:)`.
    public convenience init(encoder: TextEncoder, maxTokens: Int, capacity: Int = 4096) {
        self.init(capacity: capacity) { encoder.tokenStates($0, maxTokens: maxTokens) }
    }

    /// The states of `caption` (`[tokens, 384]`); callers must not change the tensor.
    public func callAsFunction(_ caption: String) -> Tensor {
        if let hit = memo[caption] { return hit }
        let states = encode(caption)
        encoded += 1
        if memo.count >= capacity { memo.removeAll(keepingCapacity: true) }
        memo[caption] = states
        return states
    }
}
