import OmniMedia
import OmniModel
import OmniTensor
import OmniWorld

/// Training data drawn from the puppet world, a pure function of (seed, step, index): the same step always sees
/// the same clips, crops and windows, which is what makes resumed runs equal uninterrupted ones.
///
/// Clip seeds are `(seed << 32) | (step · perStep + index)`; `seed` ≥ 1 keeps them away from the small seeds the
/// evaluation sets use (`puppet:9001:…`).
public struct PuppetSamples: Sendable {
    public let seed: UInt64
    /// Aspect buckets, `[width, height]` pixels (the model config's `video.sizes`).
    public let sizes: [[Int]]
    public let fps: Int

    public init(seed: UInt64, sizes: [[Int]], fps: Int) {
        precondition(seed >= 1 && seed < (1 << 31), "the training seed must be in 1..<2³¹")
        precondition(!sizes.isEmpty, "at least one aspect bucket")
        self.seed = seed; self.sizes = sizes; self.fps = fps
    }

    /// Independent sub-streams of a step's stream, one per use.
    public enum Purpose: UInt64 { case bucket = 1, vaeWindow, vaeNoise, ditWindow, ditDropout, ditSigma, ditNoise, guidanceScales, shortcut }

    /// The random stream of one step (σ, noise, dropout, crops); independent of every other step.
    public func stream(step: Int) -> RandomStream { RandomStream(seed: seed, stream: 0x7EA1).split(UInt64(step)) }

    /// The aspect bucket of a step: all samples of one optimiser step share it.
    public func bucket(step: Int) -> FrameSize {
        var rng = stream(step: step).split(Purpose.bucket.rawValue)
        let s = sizes[Int(rng.nextUInt64() % UInt64(sizes.count))]
        return FrameSize(width: s[0], height: s[1])
    }

    /// The puppet clip behind sample `index` of `step` (`perStep` samples a step), `seconds` long at `fps`.
    public func clip(step: Int, index: Int, perStep: Int, seconds: Double) -> Clip {
        let id = UInt64(step) &* UInt64(perStep) &+ UInt64(index)
        return Self.render(seed: (seed << 32) | id, size: bucket(step: step), fps: fps, seconds: seconds)
    }

    /// The random puppet clip of `seed` (every style, framing, motion and audio kind), `seconds` long. With
    /// `realSpeech`, half the talking clips speak through espeak-ng (which must be installed: `make bootstrap`); with
    /// `alignedReference`, the reference picture shares the clip's camera placement (`ClipSpec.random`).
    public static func render(seed: UInt64, size: FrameSize, fps: Int, seconds: Double = 2, realSpeech: Bool = false,
                              alignedReference: Bool = false) -> Clip {
        Clip.render(spec(seed: seed, size: size, fps: fps, seconds: seconds, realSpeech: realSpeech, alignedReference: alignedReference))
    }

    /// The plan of `render`'s clip (caption included) without drawing a frame or synthesising a sample.
    public static func spec(seed: UInt64, size: FrameSize, fps: Int, seconds: Double = 2, realSpeech: Bool = false,
                            alignedReference: Bool = false) -> ClipSpec {
        .random(seed: seed, size: size, duration: seconds, fps: fps, realSpeech: realSpeech, alignedReference: alignedReference)
    }

    /// The clip seed of a talking, head-framed clip for window `window` of a latent cache of `seed`
    /// (`LatentCache.build(talkingHeads:)`): the first of the ids `2³¹ | window·2⁸ | attempt` whose `spec` talks
    /// (synthetic or espeak speech) with the head framing. Seeds are searched, not forced, so the trainer's re-render
    /// from the seed alone (`spec(seed:…)`) is that clip. By the world's odds (40 % talking, 1 in 5 head-framed) 8 % of random clips qualify; the ids never
    /// meet the plain windows' `0…2³¹ − 1`.
    public static func talkingHeadSeed(seed: UInt64, window: Int, size: FrameSize, fps: Int, realSpeech: Bool) -> UInt64? {
        precondition(window >= 0 && window < (1 << 23), "window index past the talking-head id space")
        for attempt in 0..<256 {
            let clipSeed = (seed << 32) | (1 << 31) | (UInt64(window) << 8) | UInt64(attempt)
            let s = spec(seed: clipSeed, size: size, fps: fps, realSpeech: realSpeech)
            if s.framing == .head && s.audio.isSpeech { return clipSeed }
        }
        return nil
    }

    // MARK: - VAE batches

    /// A VAE batch `[B, frames, crop, crop, 3]` in [−1, 1]: each of `batch` clips gives a window of `frames`
    /// consecutive frames (random start) cropped to `crop × crop` pixels at a random position (`crop` = 0: the
    /// whole frame, every clip then has the step's bucket size).
    public func vaeBatch(step: Int, batch: Int, frames: Int, crop: Int) -> Tensor {
        var rng = stream(step: step).split(Purpose.vaeWindow.rawValue)
        var videos: [Tensor] = []
        for i in 0..<batch {
            let clip = self.clip(step: step, index: i, perStep: batch, seconds: 2)
            let start = Int(rng.nextUInt64() % UInt64(clip.frames.count - frames + 1))
            let w = clip.spec.size.width, h = clip.spec.size.height
            let (cw, ch) = crop > 0 ? (min(crop, w), min(crop, h)) : (w, h)
            let x0 = Int(rng.nextUInt64() % UInt64(w - cw + 1)), y0 = Int(rng.nextUInt64() % UInt64(h - ch + 1))
            let window = clip.frames[start..<(start + frames)].map { $0.cropped(x: x0, y: y0, width: cw, height: ch) }
            let t = FrameTensor.tensor(Array(window))
            videos.append(t.reshaped([1] + t.shape))
        }
        return Tensor.concat(videos, axis: 0)
    }
}

extension RGBImage {
    /// The `width × height` pixels starting at (`x`, `y`); the rectangle must lie inside the image.
    func cropped(x: Int, y: Int, width w: Int, height h: Int) -> RGBImage {
        precondition(x >= 0 && y >= 0 && x + w <= width && y + h <= height, "crop outside the image")
        var out = [UInt8](repeating: 0, count: w * h * 3)
        for row in 0..<h {
            let src = ((y + row) * width + x) * 3
            out.replaceSubrange((row * w * 3)..<((row + 1) * w * 3), with: pixels[src..<(src + w * 3)])
        }
        return RGBImage(width: w, height: h, pixels: out)
    }
}
