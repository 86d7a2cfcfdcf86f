import OmniTensor

/// Where each token group sits in one attention call of an MMDiT block, and which keys each query row
/// may read (docs/ARCHITECTURE.md §4.4). Pure: builds `AttentionMask` ranges, touches no tensors.
///
/// Query rows are the block's own tokens: video tokens V (`latentFrames × gridTokens`, latent frame by latent
/// frame) and, in the uncached path, reference tokens R after them. Keys are the own tokens followed by the
/// external groups in order: R (when cached), X (text), A (audio, one token per video frame of the segment).
///
/// V rows of latent frame f read [V, R, X, A-band(f)]; R rows read only R. A pass (batch element) with text
/// or audio switched off reads no X or A keys — exactly as if those tokens were never in the sequence.
public struct TokenLayout: Sendable, Equatable {
    public var latentFrames: Int
    public var gridTokens: Int
    /// Reference tokens (0 when the reference is off).
    public var referenceTokens: Int
    /// True when R is a query group of this call (uncached path); false when R comes as cached keys.
    public var referenceIsQuery: Bool
    public var textTokens: Int
    public var audioTokens: Int
    /// Extra video frames on each side of a latent frame's own frames whose audio tokens it reads.
    public var audioBand: Int
    /// Video frames per latent frame after the first (the VAE's temporal factor, 4).
    public var temporalFactor: Int

    public init(latentFrames: Int, gridTokens: Int, referenceTokens: Int, referenceIsQuery: Bool,
                textTokens: Int, audioTokens: Int, audioBand: Int, temporalFactor: Int) {
        self.latentFrames = latentFrames; self.gridTokens = gridTokens; self.referenceTokens = referenceTokens
        self.referenceIsQuery = referenceIsQuery; self.textTokens = textTokens; self.audioTokens = audioTokens
        self.audioBand = audioBand; self.temporalFactor = temporalFactor
    }

    public var videoTokens: Int { latentFrames * gridTokens }
    public var queryCount: Int { videoTokens + (referenceIsQuery ? referenceTokens : 0) }
    public var video: Range<Int> { 0..<videoTokens }
    public var reference: Range<Int> { videoTokens..<(videoTokens + referenceTokens) }
    public var text: Range<Int> { reference.upperBound..<(reference.upperBound + textTokens) }
    public var audio: Range<Int> { text.upperBound..<(text.upperBound + audioTokens) }
    public var keyCount: Int { audio.upperBound }

    /// The video frames (within the segment) that latent frame `f` covers: frame 0 alone, then 4 each.
    public func videoFrames(ofLatentFrame f: Int) -> Range<Int> {
        f == 0 ? 0..<1 : (1 + (f - 1) * temporalFactor)..<(1 + f * temporalFactor)
    }

    /// Row groups for one pass; `textOn`/`audioOn` say whether this pass reads X / A.
    public func rowGroups(textOn: Bool, audioOn: Bool) -> [AttentionMask.RowGroup] {
        var groups: [AttentionMask.RowGroup] = []
        for f in 0..<latentFrames {
            var keys = [video, reference]
            if textOn { keys.append(text) }
            if audioOn && audioTokens > 0 {
                let frames = videoFrames(ofLatentFrame: f)
                let lo = max(0, frames.lowerBound - audioBand), hi = min(audioTokens, frames.upperBound + audioBand)
                if lo < hi { keys.append((audio.lowerBound + lo)..<(audio.lowerBound + hi)) }
            }
            groups.append(.init(queries: (f * gridTokens)..<((f + 1) * gridTokens), keys: keys))
        }
        if referenceIsQuery && referenceTokens > 0 {
            groups.append(.init(queries: reference, keys: [reference]))
        }
        return groups
    }

    /// The mask for a batch of passes, one `(textOn, audioOn)` per batch element.
    public func mask(passes: [(textOn: Bool, audioOn: Bool)]) -> AttentionMask {
        .ranges(perBatch: passes.map { rowGroups(textOn: $0.textOn, audioOn: $0.audioOn) })
    }
}
