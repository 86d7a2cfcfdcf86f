/// Retargeting a driving pose to the person in the reference picture, as pose-driven animation tools do: one scale
/// and one shift for the whole track, chosen so the pose's body box (from its joints, widened to the head's top and
/// the feet) matches the person's box in the reference (where its pixels differ from the background at the picture's
/// left and right edges). When either body is cut off below — the person runs off the picture's bottom edge, or
/// the pose has no feet — the boxes' heights measure the crops, not the bodies, and the pose stays as drawn
/// (`plan`): at a close-up's size a few pixels of error move the whole face. Pure; pixels throughout, on the output
/// canvas.
public enum PoseRetarget {
    /// A box in pixels: `minX…maxX` × `minY…maxY`.
    public struct Box: Equatable, Sendable {
        public var minX: Float, minY: Float, maxX: Float, maxY: Float
        public init(minX: Float, minY: Float, maxX: Float, maxY: Float) { self.minX = minX; self.minY = minY; self.maxX = maxX; self.maxY = maxY }
        public var width: Float { maxX - minX }
        public var height: Float { maxY - minY }
        public var centreX: Float { (minX + maxX) / 2 }
        public var centreY: Float { (minY + maxY) / 2 }
    }

    /// A similarity without rotation: p' = scale·p + (dx, dy).
    public struct Transform: Equatable, Sendable {
        public var scale: Float, dx: Float, dy: Float
        public static let identity = Transform(scale: 1, dx: 0, dy: 0)
    }

    /// The person's box in `image`: pixels whose colour is more than `threshold` (0…255 RGB distance) from both
    /// edge colours of their row (the median of the two outermost pixels on each side), trimmed to the 1st…99th
    /// percentile of their positions so stray pixels do not stretch it. Nil when under 1 % of the picture differs
    /// (no one to find). A background that changes along a row reads as person: the box is then too wide.
    public static func personBox(in image: RGBImage, threshold: Float = 40) -> Box? {
        let w = image.width, h = image.height
        guard w >= 8, h >= 8 else { return nil }
        var xs: [Int] = [], ys: [Int] = []
        for y in 0..<h {
            func edge(_ columns: [Int]) -> (Float, Float, Float) {
                let p = columns.map { image[$0, y] }
                return ((Float(p[0].r) + Float(p[1].r)) / 2, (Float(p[0].g) + Float(p[1].g)) / 2, (Float(p[0].b) + Float(p[1].b)) / 2)
            }
            let left = edge([0, 1]), right = edge([w - 1, w - 2])
            for x in 0..<w {
                let p = image[x, y]
                func distance(_ c: (Float, Float, Float)) -> Float {
                    let dr = Float(p.r) - c.0, dg = Float(p.g) - c.1, db = Float(p.b) - c.2
                    return (dr * dr + dg * dg + db * db).squareRoot()
                }
                if distance(left) > threshold && distance(right) > threshold { xs.append(x); ys.append(y) }
            }
        }
        guard xs.count * 100 >= w * h else { return nil }
        xs.sort(); ys.sort()
        func percentile(_ v: [Int], _ q: Double) -> Float { Float(v[min(v.count - 1, Int(Double(v.count - 1) * q))]) }
        return Box(minX: percentile(xs, 0.01), minY: percentile(ys, 0.01), maxX: percentile(xs, 0.99), maxY: percentile(ys, 0.99))
    }

    /// The body box of a pose: its present joints' extent, widened by a head's worth above the eyes, a little
    /// below the lowest joint and beside the outermost ones (the joints sit inside the silhouette). The head size
    /// is the nose–neck distance, or a tenth of the joints' height without them. Nil with fewer than 3 joints.
    public static func bodyBox(_ frame: PoseFrame) -> Box? {
        let present = frame.keypoints.filter(\.isPresent)
        guard present.count >= 3 else { return nil }
        var box = Box(minX: present.map(\.x).min()!, minY: present.map(\.y).min()!, maxX: present.map(\.x).max()!, maxY: present.map(\.y).max()!)
        let nose = frame[.nose], neck = frame[.neck]
        let head = nose.isPresent && neck.isPresent
            ? ((nose.x - neck.x) * (nose.x - neck.x) + (nose.y - neck.y) * (nose.y - neck.y)).squareRoot()
            : box.height / 10
        box.minY -= 0.8 * head; box.maxY += 0.3 * head
        box.minX -= 0.4 * head; box.maxX += 0.4 * head
        return box
    }

    /// The body box over the first frames of `track` (up to `frames`): the median of each side, so one odd frame
    /// does not decide. Nil when no frame has a body.
    public static func bodyBox(_ track: PoseTrack, frames: Int = 25) -> Box? {
        let boxes = track.frames.prefix(frames).compactMap(bodyBox)
        guard !boxes.isEmpty else { return nil }
        func median(_ v: [Float]) -> Float { let s = v.sorted(); return s[s.count / 2] }
        return Box(minX: median(boxes.map(\.minX)), minY: median(boxes.map(\.minY)), maxX: median(boxes.map(\.maxX)), maxY: median(boxes.map(\.maxY)))
    }

    /// The transform taking `pose` onto `person`: heights matched (the scale kept within 0.25…4), centres aligned.
    public static func transform(from pose: Box, to person: Box) -> Transform {
        let scale = min(4, max(0.25, person.height / max(pose.height, 1)))
        return Transform(scale: scale, dx: person.centreX - scale * pose.centreX, dy: person.centreY - scale * pose.centreY)
    }

    /// Whether most of a pose's first frames (up to `frames`) show an ankle: its body box then ends at the feet.
    public static func showsFeet(_ track: PoseTrack, frames: Int = 25) -> Bool {
        let first = track.frames.prefix(frames)
        let withFeet = first.filter { $0[.leftAnkle].isPresent || $0[.rightAnkle].isPresent }.count
        return !first.isEmpty && 2 * withFeet > first.count
    }

    /// How a track is put onto the person in a picture.
    public enum Plan: Equatable, Sendable {
        /// Two whole bodies: heights matched, centres aligned.
        case moved(Transform)
        /// A body cut off below (`PoseRetarget`): the track stays as drawn.
        case cropped
    }

    /// The retargeting of `track` onto the person in `picture` (both on the same canvas). Nil when the picture has no
    /// person or the track no body.
    public static func plan(_ track: PoseTrack, onto picture: RGBImage) -> Plan? {
        guard let person = personBox(in: picture), let body = bodyBox(track) else { return nil }
        // The box's 99th-percentile bottom sits on the last row or the one above it when the person runs off the edge.
        let personCut = person.maxY >= Float(picture.height) - 2
        return personCut || !showsFeet(track) ? .cropped : .moved(transform(from: body, to: person))
    }
}

extension PoseTrack {
    /// Every joint moved by `t` (p' = scale·p + shift); joints that leave the canvas become missing, as in
    /// `normalized`.
    public func moved(by t: PoseRetarget.Transform) -> PoseTrack {
        var out = self
        out.frames = frames.map { frame in
            PoseFrame(keypoints: frame.keypoints.map { k in
                guard k.isPresent else { return .missing }
                let x = t.scale * k.x + t.dx, y = t.scale * k.y + t.dy
                guard x >= -0.5 && x < Float(width) - 0.5 && y >= -0.5 && y < Float(height) - 0.5 else { return .missing }
                return PoseKeypoint(x: x, y: y, confidence: k.confidence)
            })
        }
        return out
    }

    /// The fraction of present joints (over all frames) outside this track's canvas.
    public var fractionOutsideCanvas: Double {
        var present = 0, outside = 0
        for frame in frames {
            for k in frame.keypoints where k.isPresent {
                present += 1
                if k.x < -0.5 || k.y < -0.5 || k.x >= Float(width) - 0.5 || k.y >= Float(height) - 0.5 { outside += 1 }
            }
        }
        return present > 0 ? Double(outside) / Double(present) : 0
    }

    /// Present joints over all frames.
    public var presentJoints: Int { frames.reduce(0) { $0 + $1.keypoints.filter(\.isPresent).count } }
}
