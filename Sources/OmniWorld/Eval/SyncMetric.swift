import OmniMedia

/// Lip sync: how the mouth opening seen in frames follows the ground-truth mouth track.
public enum SyncMetric {
    /// Pearson correlation of two series (−1…1); 0 when either is constant.
    public static func correlation(_ a: [Double], _ b: [Double]) -> Double {
        let n = min(a.count, b.count)
        guard n > 1 else { return 0 }
        let ma = a[0..<n].reduce(0, +) / Double(n), mb = b[0..<n].reduce(0, +) / Double(n)
        var sab = 0.0, saa = 0.0, sbb = 0.0
        for i in 0..<n { let x = a[i] - ma, y = b[i] - mb; sab += x * y; saa += x * x; sbb += y * y }
        guard saa > 1e-12, sbb > 1e-12 else { return 0 }
        return sab / (saa * sbb).squareRoot()
    }

    /// The mouth box of a frame from its nose and eyes (pixels): centred one nose-below-eyes distance under the
    /// nose (`below` = 1), half-size 0.3 × the eye distance (`size`; at least 1 px). Returns (minX, minY, maxX, maxY),
    /// inclusive. (On speech clips at 64×64 with truth joints these settings give the best truth Sync, ≈ 0.66.)
    public static func mouthBox(_ pose: PoseFrame, width: Int, height: Int, below: Float = 1, size: Float = 0.3) -> (Int, Int, Int, Int) {
        let nose = pose[.nose], re = pose[.rightEye], le = pose[.leftEye]
        let ex = (re.x + le.x) / 2, ey = (re.y + le.y) / 2
        let cx = nose.x + below * (nose.x - ex), cy = nose.y + below * (nose.y - ey)
        let eyeDistance = ((re.x - le.x) * (re.x - le.x) + (re.y - le.y) * (re.y - le.y)).squareRoot()
        let half = max(1, size * eyeDistance)
        func clampX(_ v: Float) -> Int { min(width - 1, max(0, Int(v.rounded()))) }
        func clampY(_ v: Float) -> Int { min(height - 1, max(0, Int(v.rounded()))) }
        return (clampX(cx - half), clampY(cy - half), clampX(cx + half), clampY(cy + half))
    }

    /// Mouth openness measured in a frame: the mean darkness (1 − luma, 0…1) inside the mouth box — an open
    /// mouth shows its dark interior.
    public static func openness(_ frame: RGBImage, pose: PoseFrame, below: Float = 1, size: Float = 0.3) -> Double {
        let (x0, y0, x1, y1) = mouthBox(pose, width: frame.width, height: frame.height, below: below, size: size)
        var s = 0.0, n = 0
        for y in y0...y1 {
            for x in x0...x1 {
                let p = frame[x, y]
                s += 1 - (0.299 * Double(p.r) + 0.587 * Double(p.g) + 0.114 * Double(p.b)) / 255; n += 1
            }
        }
        return s / Double(max(n, 1))
    }

    /// Sync: correlation between the ground-truth mouth track and the openness measured in `frames` (mouth box
    /// from the detector's joints `poses`).
    public static func sync(frames: [RGBImage], poses: [PoseFrame], truthMouth: [Float]) -> Double {
        let measured = zip(frames, poses).map { openness($0, pose: $1) }
        return correlation(measured, truthMouth.map(Double.init))
    }
}
