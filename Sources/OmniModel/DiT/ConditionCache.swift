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
    /// Video frames of audio behind `audio` (its key count differs with `audio.band_positions`).
    public private(set) var audioFrames = 0
    /// With `audio.frame_input`: the segment's per-latent-frame audio vectors `[1, T', d]` (`MMDiT.audioFrameInput`).
    public private(set) var audioFrameInput: Tensor?
    private let cancelled: Atomic<Bool>

    public init() { cancelled = Atomic(false) }

    public var referenceTokens: Int { reference?.first?.key.shape[1] ?? 0 }
    public var textTokens: Int { text?.first?.key.shape[1] ?? 0 }
    public var audioTokens: Int { audio?.first?.key.shape[1] ?? 0 }

    public func setReference(_ kv: [DiTBlock.External]?, latent: Tensor? = nil) {
        reference = kv; referenceLatent = latent
    }
    public func setText(_ kv: [DiTBlock.External]?) { text = kv }
    /// The segment's audio keys and values (`MMDiT.audioKeysValues`) and the video frames of audio they come from.
    public func setAudio(_ kv: [DiTBlock.External]?, frames: Int, frameInput: Tensor? = nil) {
        audio = kv; audioFrames = kv == nil ? 0 : frames; audioFrameInput = kv == nil ? nil : frameInput
    }

    /// The external keys and values of block `i`: R, X, A (those present) in sequence order, each `[1, L, d]`,
    /// read in place by every pass of a call (attention takes them as key parts, nothing is copied).
    func externals(block i: Int) -> [DiTBlock.External] {
        [reference?[i], text?[i], audio?[i]].compactMap { $0 }
    }

    public func cancel() { cancelled.store(true, ordering: .relaxed) }
    public var isCancelled: Bool { cancelled.load(ordering: .relaxed) }
    func checkCancellation() throws(ModelError) { if isCancelled { throw .cancelled } }
}
