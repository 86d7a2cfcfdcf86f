import OmniTensor
import Synchronization

/// The per-block keys and values of the condition streams, computed once and read by every denoising step
/// and every guidance pass (docs/ARCHITECTURE.md §4.6): the reference R and the text X once per generation (they do not
/// depend on the noisy latent, the timestep or the segment), the audio A once per segment.
///
/// Also carries the run's cancellation flag, checked between blocks.
public final class ConditionCache: @unchecked Sendable {
    public private(set) var reference: [DiTBlock.External]?
    /// The normalised reference latent `[1, 1, h, w, z]` for `dit.reference_input` (nil: none or not needed).
    public private(set) var referenceLatent: Tensor?
    public private(set) var text: [DiTBlock.External]?
    public private(set) var audio: [DiTBlock.External]?
    private let cancelled: Atomic<Bool>
    /// Per batch size: each block's R, X, A keys and values concatenated and repeated to that batch, built on
    /// first use after a change — so a block copies the conditions once per call instead of three times.
    private let joined = Mutex<[Int: [DiTBlock.External]]>([:])

    public init() { cancelled = Atomic(false) }

    public var referenceTokens: Int { reference?.first?.key.shape[1] ?? 0 }
    public var textTokens: Int { text?.first?.key.shape[1] ?? 0 }
    public var audioTokens: Int { audio?.first?.key.shape[1] ?? 0 }

    public func setReference(_ kv: [DiTBlock.External]?, latent: Tensor? = nil) {
        reference = kv; referenceLatent = latent; joined.withLock { $0 = [:] }
    }
    public func setText(_ kv: [DiTBlock.External]?) { text = kv; joined.withLock { $0 = [:] } }
    public func setAudio(_ kv: [DiTBlock.External]?) { audio = kv; joined.withLock { $0 = [:] } }

    /// The external keys and values of block `i` for a call of `batch` passes: R, X, A (those present) in
    /// sequence order, joined into one group `[batch, Lr + Lx + La, d]`; empty when no condition is set.
    func externals(block i: Int, batch: Int) -> [DiTBlock.External] {
        joined.withLock { memo -> [DiTBlock.External] in
            if let blocks = memo[batch] { return blocks.isEmpty ? [] : [blocks[i]] }
            let count = reference?.count ?? text?.count ?? audio?.count ?? 0
            let blocks = (0..<count).map { b -> DiTBlock.External in
                let groups = [reference?[b], text?[b], audio?[b]].compactMap { $0 }
                func join(_ parts: [Tensor]) -> Tensor {
                    (parts.count == 1 ? parts[0] : Tensor.concat(parts, axis: 1)).expandedBatch(batch)
                }
                return .init(key: join(groups.map(\.key)), value: join(groups.map(\.value)))
            }
            memo[batch] = blocks
            return blocks.isEmpty ? [] : [blocks[i]]
        }
    }

    public func cancel() { cancelled.store(true, ordering: .relaxed) }
    public var isCancelled: Bool { cancelled.load(ordering: .relaxed) }
    func checkCancellation() throws(ModelError) { if isCancelled { throw .cancelled } }
}
