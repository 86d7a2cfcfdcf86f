import Foundation

/// Pose condition maps for one frame at some output grid size, channels-last.
///
/// Layout: `values[(y * width + x) * channelCount + c]`, `channelCount` = 35:
/// - c = 0 … 17: Gaussian heatmap of joint c (`PoseJoint` order), `exp(−d² / 2σ²)` with d the distance in output
///   pixels from the pixel centre to the joint, 1 at the joint; all zero for a missing joint.
/// - c = 18 … 34: limb `c − 18` of `PoseRendering.limbs`, `exp(−d² / 2σ²)` with d the distance to the line
///   segment between its two joints (an anti-aliased line with a Gaussian profile, 1 on the segment); all zero when
///   either joint is missing.
/// Values are cut to 0 beyond 4σ (where they are below 3.4e-4).
public struct PoseMaps: Sendable, Equatable {
    public static let channelCount = 35
    public static let jointChannels = 0..<18
    public static let limbChannels = 18..<35

    /// Output pixels.
    public let width: Int
    /// Output pixels.
    public let height: Int
    /// `[height, width, 35]`, row-major, channels last.
    public var values: [Float]

    public init(width: Int, height: Int, values: [Float]) {
        precondition(values.count == width * height * Self.channelCount, "PoseMaps \(width)×\(height) needs \(width * height * Self.channelCount) values, got \(values.count)")
        self.width = width
        self.height = height
        self.values = values
    }

    public subscript(x: Int, y: Int, channel: Int) -> Float {
        values[(y * width + x) * Self.channelCount + channel]
    }
}

/// Drawing a COCO-18 pose: condition maps for the pose guider and an OpenPose-style stick figure for previews.
///
/// Canvas → output: a pose's pixel coordinates on a `canvasWidth × canvasHeight` canvas are stretched onto the
/// `width × height` output with pixel centres kept (`x' = (x + 0.5)·width/canvasWidth − 0.5`). To keep the aspect
/// ratio, first bring the track to the output's aspect with `PoseTrack.normalized(toWidth:height:mode:)`.
public enum PoseRendering {
    /// OpenPose's 17 drawn limbs of COCO-18, in its order (neck–shoulders, arms, neck–hips, legs, neck–nose, face).
    public static let limbs: [(PoseJoint, PoseJoint)] = [
        (.neck, .rightShoulder), (.neck, .leftShoulder), (.rightShoulder, .rightElbow), (.rightElbow, .rightWrist),
        (.leftShoulder, .leftElbow), (.leftElbow, .leftWrist), (.neck, .rightHip), (.rightHip, .rightKnee),
        (.rightKnee, .rightAnkle), (.neck, .leftHip), (.leftHip, .leftKnee), (.leftKnee, .leftAnkle),
        (.neck, .nose), (.nose, .rightEye), (.rightEye, .rightEar), (.nose, .leftEye), (.leftEye, .leftEar),
    ]

    /// OpenPose's 18 colours: joint i and limb i are drawn in `colours[i]` (red → yellow → green → blue → magenta).
    public static let colours: [RGB] = [
        RGB(255, 0, 0), RGB(255, 85, 0), RGB(255, 170, 0), RGB(255, 255, 0), RGB(170, 255, 0), RGB(85, 255, 0),
        RGB(0, 255, 0), RGB(0, 255, 85), RGB(0, 255, 170), RGB(0, 255, 255), RGB(0, 170, 255), RGB(0, 85, 255),
        RGB(0, 0, 255), RGB(85, 0, 255), RGB(170, 0, 255), RGB(255, 0, 255), RGB(255, 0, 170), RGB(255, 0, 85),
    ]

    /// The default Gaussian σ for a grid, in output pixels: `max(0.5, min(width, height) / 32)` (2 px at 64×64).
    public static func defaultSigma(width: Int, height: Int) -> Float {
        max(0.5, Float(min(width, height)) / 32)
    }

    /// Joint heatmaps and limb maps of `pose` (on a `canvasWidth × canvasHeight` canvas) at `width × height` output
    /// pixels; σ values in output pixels (defaults: `defaultSigma` for joints, half of it, at least 0.5, for limbs).
    /// Layout on `PoseMaps`.
    public static func maps(_ pose: PoseFrame, canvasWidth: Int, canvasHeight: Int, width: Int, height: Int,
                            jointSigma: Float? = nil, limbSigma: Float? = nil) -> PoseMaps {
        precondition(width > 0 && height > 0 && canvasWidth > 0 && canvasHeight > 0, "pose maps need positive sizes")
        let sigmaJ = jointSigma ?? defaultSigma(width: width, height: height)
        let sigmaL = limbSigma ?? max(0.5, sigmaJ / 2)
        precondition(sigmaJ > 0 && sigmaL > 0, "pose map σ must be positive")
        let points = project(pose, canvasWidth: canvasWidth, canvasHeight: canvasHeight, width: width, height: height)
        var values = [Float](repeating: 0, count: width * height * PoseMaps.channelCount)
        values.withUnsafeMutableBufferPointer { out in
            for (c, point) in points.enumerated() {
                guard let p = point else { continue }
                splat(into: out, width: width, height: height, channel: c, from: p, to: p, sigma: sigmaJ)
            }
            for (l, (a, b)) in limbs.enumerated() {
                guard let p = points[a.rawValue], let q = points[b.rawValue] else { continue }
                splat(into: out, width: width, height: height, channel: PoseMaps.limbChannels.lowerBound + l, from: p, to: q, sigma: sigmaL)
            }
        }
        return PoseMaps(width: width, height: height, values: values)
    }

    /// An OpenPose-style stick figure of `pose` at `width × height` pixels on `background`: limbs as anti-aliased
    /// bars of `lineWidth` pixels in their colour at 60 % opacity, then joints as anti-aliased discs of `jointRadius`
    /// pixels, opaque. Defaults scale with the picture: `max(1.5, min(width, height) / 64)` and
    /// `max(1.5, min(width, height) / 128)` (OpenPose's 8 and 4 at 512 pixels).
    public static func stickFigure(_ pose: PoseFrame, canvasWidth: Int, canvasHeight: Int, width: Int, height: Int,
                                   background: RGB = RGB(0, 0, 0), lineWidth: Double? = nil, jointRadius: Double? = nil) -> RGBImage {
        precondition(width > 0 && height > 0 && canvasWidth > 0 && canvasHeight > 0, "a stick figure needs positive sizes")
        let side = Double(min(width, height))
        let halfWidth = (lineWidth ?? max(1.5, side / 64)) / 2
        let radius = jointRadius ?? max(1.5, side / 128)
        let points = project(pose, canvasWidth: canvasWidth, canvasHeight: canvasHeight, width: width, height: height)
        var image = RGBImage(width: width, height: height, fill: background)
        for (l, (a, b)) in limbs.enumerated() {
            guard let p = points[a.rawValue], let q = points[b.rawValue] else { continue }
            paint(&image, from: p, to: q, radius: halfWidth, colour: colours[l], opacity: 0.6)
        }
        for (c, point) in points.enumerated() {
            guard let p = point else { continue }
            paint(&image, from: p, to: p, radius: radius, colour: colours[c], opacity: 1)
        }
        return image
    }

    // MARK: - Helpers

    /// Joint positions in output pixels, nil for missing joints.
    static func project(_ pose: PoseFrame, canvasWidth: Int, canvasHeight: Int, width: Int, height: Int) -> [(x: Double, y: Double)?] {
        let sx = Double(width) / Double(canvasWidth), sy = Double(height) / Double(canvasHeight)
        return pose.keypoints.map { k in
            k.isPresent ? ((Double(k.x) + 0.5) * sx - 0.5, (Double(k.y) + 0.5) * sy - 0.5) : nil
        }
    }

    /// Squared distance from (x, y) to the segment p–q (a point when p == q).
    static func squaredDistance(_ x: Double, _ y: Double, _ p: (x: Double, y: Double), _ q: (x: Double, y: Double)) -> Double {
        let dx = q.x - p.x, dy = q.y - p.y
        let length2 = dx * dx + dy * dy
        var t = 0.0
        if length2 > 0 { t = min(1, max(0, ((x - p.x) * dx + (y - p.y) * dy) / length2)) }
        let ex = x - (p.x + t * dx), ey = y - (p.y + t * dy)
        return ex * ex + ey * ey
    }

    /// Integer pixel bounds of the segment p–q grown by `margin`, clipped to the grid; nil when nothing is inside.
    private static func bounds(_ p: (x: Double, y: Double), _ q: (x: Double, y: Double), margin: Double,
                               width: Int, height: Int) -> (x: ClosedRange<Int>, y: ClosedRange<Int>)? {
        let x0 = max(0, Int((min(p.x, q.x) - margin).rounded(.down))), x1 = min(width - 1, Int((max(p.x, q.x) + margin).rounded(.up)))
        let y0 = max(0, Int((min(p.y, q.y) - margin).rounded(.down))), y1 = min(height - 1, Int((max(p.y, q.y) + margin).rounded(.up)))
        guard x0 <= x1 && y0 <= y1 else { return nil }
        return (x0...x1, y0...y1)
    }

    /// Writes `exp(−d²/2σ²)` of the distance to segment p–q into one channel (within 4σ).
    private static func splat(into out: UnsafeMutableBufferPointer<Float>, width: Int, height: Int, channel: Int,
                              from p: (x: Double, y: Double), to q: (x: Double, y: Double), sigma: Float) {
        let s = Double(sigma), cutoff = 16 * s * s
        guard let box = bounds(p, q, margin: 4 * s, width: width, height: height) else { return }
        for y in box.y {
            for x in box.x {
                let d2 = squaredDistance(Double(x), Double(y), p, q)
                if d2 <= cutoff {
                    out[(y * width + x) * PoseMaps.channelCount + channel] = Float(exp(-d2 / (2 * s * s)))
                }
            }
        }
    }

    /// Blends `colour` over the pixels within `radius` of segment p–q, with a one-pixel anti-aliased edge.
    private static func paint(_ image: inout RGBImage, from p: (x: Double, y: Double), to q: (x: Double, y: Double),
                              radius: Double, colour: RGB, opacity: Double) {
        guard let box = bounds(p, q, margin: radius + 1, width: image.width, height: image.height) else { return }
        for y in box.y {
            for x in box.x {
                let d = squaredDistance(Double(x), Double(y), p, q).squareRoot()
                let coverage = min(1, max(0, radius + 0.5 - d))
                guard coverage > 0 else { continue }
                let alpha = coverage * opacity
                let old = image[x, y]
                func mix(_ a: UInt8, _ b: UInt8) -> UInt8 { UInt8((Double(a) * (1 - alpha) + Double(b) * alpha).rounded()) }
                image[x, y] = RGB(mix(old.r, colour.r), mix(old.g, colour.g), mix(old.b, colour.b))
            }
        }
    }
}

extension PoseTrack {
    /// `PoseRendering.maps` of frame `index` on this track's canvas.
    public func maps(frame index: Int, width: Int, height: Int, jointSigma: Float? = nil, limbSigma: Float? = nil) -> PoseMaps {
        PoseRendering.maps(frames[index], canvasWidth: self.width, canvasHeight: self.height, width: width, height: height,
                           jointSigma: jointSigma, limbSigma: limbSigma)
    }

    /// `PoseRendering.stickFigure` of frame `index` on this track's canvas.
    public func stickFigure(frame index: Int, width: Int, height: Int, background: RGB = RGB(0, 0, 0)) -> RGBImage {
        PoseRendering.stickFigure(frames[index], canvasWidth: self.width, canvasHeight: self.height, width: width, height: height,
                                  background: background)
    }
}
