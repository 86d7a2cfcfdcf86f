import OmniMedia
import OmniTensor

/// Training and held-out frames for the keypoint detector, rendered on the fly from random puppet clips of every
/// style, framing and aspect bucket. Training clip seeds are `(seed << 32) | counter` with `seed ≥ 1`; held-out
/// seeds are `heldOutBase + i` (< 2³²), so the two never meet, nor do they meet `puppet:SEED` eval sets with
/// small seeds far from `heldOutBase`.
struct DetectorSamples {
    /// First held-out clip seed.
    static let heldOutBase: UInt64 = 0x7E57_0000
    /// Frames taken from each rendered clip (spaced through it).
    static let framesPerClip = 4
    /// Clip length rendered for training, seconds.
    static let clipSeconds = 2.0

    /// One labelled frame: the image and its ground-truth pose (missing joints marked) in the frame's pixels.
    struct Sample { let image: RGBImage; let pose: PoseFrame }

    /// `framesPerClip` frames of the clip with seed `clipSeed` at a random bucket (from the seed).
    static func samples(clipSeed: UInt64) -> [Sample] {
        var rng = RandomStream(seed: clipSeed, stream: 0xF4A3)
        let size = FrameSize.buckets[Int(rng.nextUInt32() % UInt32(FrameSize.buckets.count))]
        let spec = ClipSpec.random(seed: clipSeed, size: size, duration: clipSeconds)
        let plan = ClipPlan(spec)
        let n = plan.frameCount
        return (0..<framesPerClip).map { i in
            let f = min(n - 1, (i * n + Int(rng.nextUInt32() % UInt32(max(1, n / framesPerClip)))) / framesPerClip)
            let (image, pose) = plan.frame(f)
            return Sample(image: image, pose: pose.clipped(width: size.width, height: size.height))
        }
    }

    /// Held-out frames: `clips` clips from `heldOutBase` on.
    static func heldOut(clips: Int) -> [Sample] {
        (0..<clips).flatMap { samples(clipSeed: heldOutBase + UInt64($0)) }
    }

    /// Tensors for a batch: images `[N, 64, 64, 3]`, target coordinates `[N, 18, 2]` in the 64×64 input's pixels
    /// (0 where missing), the coordinate mask `[N, 18, 2]` and presence targets `[N, 18]` (1 present, 0 missing).
    static func tensors(_ batch: [Sample]) -> (images: Tensor, targets: Tensor, mask: Tensor, present: Tensor) {
        let images = DetectorInput.batch(batch.map(\.image))
        let j = KeypointNet.joints
        var targets = [Float](repeating: 0, count: batch.count * j * 2)
        var mask = targets
        var present = [Float](repeating: 0, count: batch.count * j)
        for (i, s) in batch.enumerated() {
            for (k, p) in s.pose.keypoints.enumerated() where p.isPresent {
                let (cx, cy) = DetectorInput.toCanvas(p.x, p.y, width: s.image.width, height: s.image.height)
                targets[(i * j + k) * 2] = cx
                targets[(i * j + k) * 2 + 1] = cy
                mask[(i * j + k) * 2] = 1; mask[(i * j + k) * 2 + 1] = 1
                present[i * j + k] = 1
            }
        }
        return (images, Tensor(targets, shape: [batch.count, j, 2]), Tensor(mask, shape: [batch.count, j, 2]),
                Tensor(present, shape: [batch.count, j]))
    }
}
