import OmniMedia

/// Metrics of a video's behaviour over time: seams at segment boundaries and drift.
public enum TemporalMetrics {
    /// Seams: the mean frame-to-frame change (mean absolute difference, 8-bit units) into the frames listed in
    /// `boundaries` (the first kept frame of each segment after the first) divided by the mean change into every
    /// other frame. ≈ 1 when the boundaries are invisible, > 1 when segments jump. nil without boundaries inside
    /// the clip or without motion elsewhere.
    public static func seams(_ frames: [RGBImage], boundaries: [Int]) -> Double? {
        let inside = Set(boundaries.filter { $0 >= 1 && $0 < frames.count })
        guard !inside.isEmpty, frames.count > inside.count + 1 else { return nil }
        var atB = 0.0, nB = 0, within = 0.0, nW = 0
        for t in 1..<frames.count {
            let d = ImageMetrics.meanAbsoluteDifference(frames[t - 1], frames[t])
            if inside.contains(t) { atB += d; nB += 1 } else { within += d; nW += 1 }
        }
        guard nW > 0, within > 0 else { return nil }
        return (atB / Double(nB)) / (within / Double(nW))
    }

    /// Frames in each drift window: 5 s at `fps` when the clip is at least 15 s long, else a third of the clip.
    public static func driftWindow(frameCount: Int, fps: Int) -> Int {
        frameCount >= 15 * fps ? 5 * fps : max(1, frameCount / 3)
    }

    /// Drift in dB: PSNR against the truth over the first window minus that over the last window (see
    /// `driftWindow`); positive when quality decays along the clip.
    public static func drift(_ frames: [RGBImage], truth: [RGBImage], fps: Int) -> Double {
        let n = min(frames.count, truth.count), w = driftWindow(frameCount: n, fps: fps)
        let first = ImageMetrics.psnr(Array(frames[0..<w]), Array(truth[0..<w]))
        let last = ImageMetrics.psnr(Array(frames[(n - w)..<n]), Array(truth[(n - w)..<n]))
        return first - last
    }
}
