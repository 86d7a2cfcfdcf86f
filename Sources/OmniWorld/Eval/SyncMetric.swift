import OmniMedia

/// Lip sync: how the mouth opening seen in frames follows the ground-truth mouth track.
///
/// The mouth region is placed from the detector's head joints with the puppet's head layout (eyes at ±0.38 R,
/// ears at ±0.92 R, the nose 0.25 R below the eyes, the mouth 0.3 R below the nose; R the head radius). Openness
/// is the area (in R² units) of the pixels in that region that differ markedly from the local face colour (the
/// per-channel median of the region's upper band, skin or muzzle): an open mouth shows its dark interior, tongue
/// and teeth; a closed one only a thin lip line.
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

    /// Standard deviation below which a truth mouth track counts as constant (no speech to follow).
    public static let minimumTruthDeviation = 0.02

    /// Whether a truth mouth track moves enough for a correlation to mean anything.
    public static func isScorable(_ truthMouth: [Float]) -> Bool {
        guard truthMouth.count > 1 else { return false }
        let m = truthMouth.reduce(0, +) / Float(truthMouth.count)
        let v = truthMouth.reduce(0) { $0 + ($1 - m) * ($1 - m) } / Float(truthMouth.count)
        return Double(v).squareRoot() >= minimumTruthDeviation
    }

    /// The mouth region of a frame from its joints (pixels): centre, head radius R and the head's down direction.
    public static func mouthRegion(_ pose: PoseFrame) -> (cx: Float, cy: Float, radius: Float, downX: Float, downY: Float) {
        let nose = pose[.nose], re = pose[.rightEye], le = pose[.leftEye], rr = pose[.rightEar], lr = pose[.leftEar]
        func dist(_ a: PoseKeypoint, _ b: PoseKeypoint) -> Float { ((a.x - b.x) * (a.x - b.x) + (a.y - b.y) * (a.y - b.y)).squareRoot() }
        let ex = (re.x + le.x) / 2, ey = (re.y + le.y) / 2
        // Head radius: eye and ear spans (shortened by a turned head) and the nose-below-eyes drop.
        let fromSpans = (dist(re, le) / 0.76 + dist(rr, lr) / 1.84) / 2
        let fromNose = ((nose.x - ex) * (nose.x - ex) + (nose.y - ey) * (nose.y - ey)).squareRoot() / 0.25
        let r = max(1, max(fromSpans, 0.8 * fromNose))
        // Down: perpendicular to the ear line (left ear − right ear points along +x when facing the camera).
        var ax = (lr.x - rr.x) + (le.x - re.x), ay = (lr.y - rr.y) + (le.y - re.y)
        let len = (ax * ax + ay * ay).squareRoot()
        if len > 1e-3 { ax /= len; ay /= len } else { ax = 1; ay = 0 }
        let dx = -ay, dy = ax
        return (nose.x + dx * 0.3 * r, nose.y + dy * 0.3 * r, r, dx, dy)
    }

    /// The mouth box (minX, minY, maxX, maxY), inclusive, clamped to the frame: ±0.32 R across, ±0.28 R down (the
    /// widest, most open mouth, short of the cheeks and the chin's outline).
    public static func mouthBox(_ pose: PoseFrame, width: Int, height: Int) -> (Int, Int, Int, Int) {
        let m = mouthRegion(pose)
        return box(m.cx, m.cy, hx: 0.32 * m.radius, top: 0.28 * m.radius, bottom: 0.28 * m.radius, width: width, height: height)
    }

    static func box(_ cx: Float, _ cy: Float, hx: Float, top: Float, bottom: Float, width: Int, height: Int) -> (Int, Int, Int, Int) {
        func clampX(_ v: Float) -> Int { min(width - 1, max(0, Int(v.rounded()))) }
        func clampY(_ v: Float) -> Int { min(height - 1, max(0, Int(v.rounded()))) }
        let hx = max(1, hx)
        return (clampX(cx - hx), clampY(cy - max(1, top)), clampX(cx + hx), clampY(cy + max(0, bottom)))
    }

    /// Mouth openness measured in a frame: the area (R² units) of mouth-box pixels far from the face colour (soft:
    /// a colour distance of 30…90 in 0…255 RGB units counts 0…1). The face colour is the per-channel median of the
    /// band between the nose and the mouth (0.45…0.3 R above the mouth centre) and the box's upper half (an open
    /// mouth covers under half of that; an animal's snout reaches below it).
    public static func openness(_ frame: RGBImage, pose: PoseFrame) -> Double {
        let m = mouthRegion(pose)
        let (x0, y0, x1, y1) = mouthBox(pose, width: frame.width, height: frame.height)
        let (_, b0, _, b1) = box(m.cx, m.cy - 0.3 * m.radius, hx: 0.32 * m.radius, top: 0.15 * m.radius, bottom: 0,
                                 width: frame.width, height: frame.height)
        var rs: [Int] = [], gs: [Int] = [], bs: [Int] = []
        for y in b0...max(b1, Int(m.cy.rounded()).clamped(y0, y1)) { for x in x0...x1 { let p = frame[x, y]; rs.append(Int(p.r)); gs.append(Int(p.g)); bs.append(Int(p.b)) } }
        func median(_ v: [Int]) -> Double { let s = v.sorted(); return Double(s[s.count / 2]) }
        let fr = median(rs), fg = median(gs), fb = median(bs)
        var area = 0.0
        for y in y0...y1 {
            for x in x0...x1 {
                let p = frame[x, y]
                let dr = Double(p.r) - fr, dg = Double(p.g) - fg, db = Double(p.b) - fb
                let d = (dr * dr + dg * dg + db * db).squareRoot()
                area += min(1, max(0, (d - 30) / 60))
            }
        }
        return area / Double(m.radius * m.radius)
    }

    /// Frames of silence: runs of at least `minimumFrames` frames (0.2 s at 25 fps) whose truth mouth is closed
    /// (≤ 0.01 of fully open) — pauses between phrases and the silence before and after speech.
    public static func silentSpans(_ truthMouth: [Float], minimumFrames: Int = 5) -> [Range<Int>] {
        var spans: [Range<Int>] = []
        var start: Int?
        // A sentinel open mouth after the end closes a final span.
        for (i, m) in (truthMouth + [1]).enumerated() {
            if m <= 0.01 { if start == nil { start = i } }
            else if let s = start { if i - s >= minimumFrames { spans.append(s..<i) }; start = nil }
        }
        return spans
    }

    /// How much the measured mouth opening moves during silence: the squared deviations of `openness` from each
    /// silent span's own mean, summed over the spans, per frame counted (R⁴ units). Nil without a silent span.
    public static func silentVariance(_ openness: [Double], spans: [Range<Int>]) -> Double? {
        var sum = 0.0, count = 0
        for span in spans where span.upperBound <= openness.count {
            let values = openness[span], mean = values.reduce(0, +) / Double(values.count)
            sum += values.reduce(0) { $0 + ($1 - mean) * ($1 - mean) }
            count += values.count
        }
        return count > 0 ? sum / Double(count) : nil
    }

    /// The truth's silent variance is floored here (R⁴ units) before dividing. The puppet's mouth is still in
    /// silence to measurement noise (measured: 1e-7 … 7e-6 on four head-framed speech clips), so in practice this
    /// floor is the scale: a standard deviation of 0.01 R² of openness; a mouth that keeps talking through the pauses
    /// measured 2e-3 … 6.5e-3 (MStill 21 … 65).
    public static let stillnessFloor = 1e-4

    /// MStill: the silent-span variance of the openness measured in `frames` ÷ the truth's (`truthVariance`,
    /// floored at `stillnessFloor`): 0 is frozen, at most 2 is the still mouth the issue asks for, tens is a mouth
    /// that talks when no one speaks. Nil when the clip has no silent span.
    public static func stillness(frames: [RGBImage], poses: [PoseFrame], truthMouth: [Float], truthVariance: Double) -> Double? {
        let spans = silentSpans(truthMouth)
        guard let v = silentVariance(zip(frames, poses).map { openness($0, pose: $1) }, spans: spans) else { return nil }
        return v / max(truthVariance, stillnessFloor)
    }

    /// The truth's own silent-span variance (the denominator of `stillness`), nil without a silent span.
    public static func truthSilentVariance(frames: [RGBImage], poses: [PoseFrame], truthMouth: [Float]) -> Double? {
        silentVariance(zip(frames, poses).map { openness($0, pose: $1) }, spans: silentSpans(truthMouth))
    }

    /// Sync: correlation between the ground-truth mouth track and the openness measured in `frames` (mouth region
    /// from the detector's joints `poses`). Nil when the truth track is constant (no speech: nothing to follow).
    public static func sync(frames: [RGBImage], poses: [PoseFrame], truthMouth: [Float]) -> Double? {
        guard isScorable(truthMouth) else { return nil }
        let measured = zip(frames, poses).map { openness($0, pose: $1) }
        return correlation(measured, truthMouth.map(Double.init))
    }
}

private extension Int {
    func clamped(_ lo: Int, _ hi: Int) -> Int { Swift.min(hi, Swift.max(lo, self)) }
}
