import OmniTensor

/// Where each token group sits in one attention call of an MMDiT block, and which keys each query row
/// may read (docs/ARCHITECTURE.md §4.4). Pure: builds `AttentionMask` ranges, touches no tensors.
///
/// Query rows are the block's own tokens: video tokens V (`latentFrames × gridTokens`, latent frame by latent
/// frame) and, in the uncached path, reference tokens R after them. Keys are the own tokens followed by the
/// external groups in order: R (when cached), X (text), A (audio).
///
/// V rows of latent frame f read [V, R, X, A-band(f)]; R rows read only R. A pass (batch element) with text
/// or audio switched off reads no X or A keys — exactly as if those tokens were never in the sequence.
///
/// A comes in one of two layouts. Without band positions: one token per video frame of audio (`audioFrames`), and
/// latent frame f reads the run of them its band covers (bands of neighbouring latent frames overlap). With
/// `audioBandPositions`: each latent frame's band as its own run of tokens, in latent-frame order, so each token can
/// carry its place in that band (`MMDiT.audioPositions`); a video frame's token then appears once per band it is in.
public struct TokenLayout: Sendable, Equatable {
    public var latentFrames: Int
    public var gridTokens: Int
    /// Reference tokens (0 when the reference is off).
    public var referenceTokens: Int
    /// True when R is a query group of this call (uncached path); false when R comes as cached keys.
    public var referenceIsQuery: Bool
    public var textTokens: Int
    /// Video frames of audio features the segment has (0 when audio is off).
    public var audioFrames: Int
    /// Extra video frames on each side of a latent frame's own frames whose audio tokens it reads.
    public var audioBand: Int
    /// True: A holds each latent frame's band as its own run of tokens (`audio.band_positions`).
    public var audioBandPositions: Bool
    /// Video frames per latent frame after the first (the VAE's temporal factor, 4).
    public var temporalFactor: Int

    public init(latentFrames: Int, gridTokens: Int, referenceTokens: Int, referenceIsQuery: Bool,
                textTokens: Int, audioFrames: Int, audioBand: Int, audioBandPositions: Bool = false, temporalFactor: Int) {
        self.latentFrames = latentFrames; self.gridTokens = gridTokens; self.referenceTokens = referenceTokens
        self.referenceIsQuery = referenceIsQuery; self.textTokens = textTokens; self.audioFrames = audioFrames
        self.audioBand = audioBand; self.audioBandPositions = audioBandPositions; self.temporalFactor = temporalFactor
    }

    public var videoTokens: Int { latentFrames * gridTokens }
    public var queryCount: Int { videoTokens + (referenceIsQuery ? referenceTokens : 0) }
    public var video: Range<Int> { 0..<videoTokens }
    public var reference: Range<Int> { videoTokens..<(videoTokens + referenceTokens) }
    public var text: Range<Int> { reference.upperBound..<(reference.upperBound + textTokens) }
    public var audio: Range<Int> { text.upperBound..<(text.upperBound + audioTokens) }
    public var keyCount: Int { audio.upperBound }

    /// Audio tokens in the sequence: `audioFrames`, or with band positions the sum of the bands' lengths.
    public var audioTokens: Int {
        audioBandPositions ? audioBands.reduce(0) { $0 + $1.frames.count } : audioFrames
    }

    /// The video frames (within the segment) that latent frame `f` covers: frame 0 alone, then 4 each.
    public func videoFrames(ofLatentFrame f: Int) -> Range<Int> {
        f == 0 ? 0..<1 : (1 + (f - 1) * temporalFactor)..<(1 + f * temporalFactor)
    }

    /// Slots of a band: a latent frame's own video frames (at most `temporalFactor`) widened by `audioBand` each side.
    public var bandSlots: Int { temporalFactor + 2 * audioBand }

    /// Per latent frame, the video frames of audio its band covers (clipped to the segment's audio) and the slot
    /// of the first of them: slot = frame − (first own frame − `audioBand`), so a latent frame's own first frame is
    /// always slot `audioBand`.
    public var audioBands: [(frames: Range<Int>, firstSlot: Int)] {
        (0..<latentFrames).map { f in
            let own = videoFrames(ofLatentFrame: f)
            let lo = max(0, own.lowerBound - audioBand), hi = min(audioFrames, own.upperBound + audioBand)
            return (lo < hi ? lo..<hi : lo..<lo, lo - (own.lowerBound - audioBand))
        }
    }

    /// Per latent frame, the audio keys (sequence indices) it reads; empty when its band holds no audio.
    public var audioKeyRanges: [Range<Int>] {
        let bands = audioBands, a0 = text.upperBound
        guard audioBandPositions else { return bands.map { (a0 + $0.frames.lowerBound)..<(a0 + $0.frames.upperBound) } }
        var start = a0
        return bands.map { band in defer { start += band.frames.count }; return start..<(start + band.frames.count) }
    }

    /// The audio keys latent frame `f` reads (`audioKeyRanges[f]`).
    public func audioKeys(ofLatentFrame f: Int) -> Range<Int> { audioKeyRanges[f] }

    /// Row groups for one pass; `textOn`/`audioOn` say whether this pass reads X / A.
    public func rowGroups(textOn: Bool, audioOn: Bool) -> [AttentionMask.RowGroup] {
        var groups: [AttentionMask.RowGroup] = []
        let audioKeys = audioOn && audioFrames > 0 ? audioKeyRanges : []
        for f in 0..<latentFrames {
            var keys = [video, reference]
            if textOn { keys.append(text) }
            if !audioKeys.isEmpty && !audioKeys[f].isEmpty { keys.append(audioKeys[f]) }
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
