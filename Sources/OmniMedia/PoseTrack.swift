import Foundation

/// The 18 body joints of COCO-18 (OpenPose's COCO / BODY_18 model), in its order. `rawValue` is the index in
/// a `PoseFrame` and in OpenPose's `pose_keypoints_2d` triples.
public enum PoseJoint: Int, CaseIterable, Sendable, Codable, CustomStringConvertible {
    case nose, neck
    case rightShoulder, rightElbow, rightWrist
    case leftShoulder, leftElbow, leftWrist
    case rightHip, rightKnee, rightAnkle
    case leftHip, leftKnee, leftAnkle
    case rightEye, leftEye, rightEar, leftEar

    /// OpenPose's names: "Nose", "Neck", "RShoulder", … "LEar".
    public var description: String {
        ["Nose", "Neck", "RShoulder", "RElbow", "RWrist", "LShoulder", "LElbow", "LWrist", "RHip", "RKnee",
         "RAnkle", "LHip", "LKnee", "LAnkle", "REye", "LEye", "REar", "LEar"][rawValue]
    }
}

/// One joint in one frame: a position in pixels of the track's canvas (x to the right, y down, (0, 0) the
/// centre of the top-left pixel, as OpenPose writes them) and a detection confidence. Confidence 0 means the
/// joint is missing; its position is then meaningless (0, 0 by convention).
public struct PoseKeypoint: Sendable, Equatable {
    /// Pixels.
    public var x: Float
    /// Pixels.
    public var y: Float
    /// ≥ 0; 0 = missing.
    public var confidence: Float

    public init(x: Float, y: Float, confidence: Float) {
        self.x = x; self.y = y; self.confidence = confidence
    }

    public static let missing = PoseKeypoint(x: 0, y: 0, confidence: 0)

    public var isPresent: Bool { confidence > 0 }
}

/// The 18 COCO-18 keypoints of one person in one frame, indexed by `PoseJoint`.
public struct PoseFrame: Sendable, Equatable {
    /// Exactly 18, in `PoseJoint` order.
    public private(set) var keypoints: [PoseKeypoint]

    public init(keypoints: [PoseKeypoint]) {
        precondition(keypoints.count == PoseJoint.allCases.count, "a COCO-18 pose needs 18 keypoints, got \(keypoints.count)")
        self.keypoints = keypoints
    }

    /// A frame with every joint missing (no person).
    public static let missing = PoseFrame(keypoints: Array(repeating: .missing, count: 18))

    public subscript(joint: PoseJoint) -> PoseKeypoint {
        get { keypoints[joint.rawValue] }
        set { keypoints[joint.rawValue] = newValue }
    }

    /// True when no joint is present.
    public var isEmpty: Bool { !keypoints.contains { $0.isPresent } }
}

/// A COCO-18 pose track: one person's 18 joints per frame at `fps` frames per second, positions in pixels of a
/// `width × height` canvas (the size of the video the poses belong to).
///
/// Files it reads (`PoseTrack.load`, see OpenPoseJSON.swift) and writes (`write(to:)`):
/// - a folder of OpenPose JSON files, one per frame, ordered by the frame number in their names;
/// - one pose clip JSON file `{"fps", "width", "height", "frames": […]}`, the project's own format;
/// - one OpenPose JSON file (a one-frame track).
public struct PoseTrack: Sendable, Equatable {
    /// Frames per second.
    public var fps: Double
    /// Canvas width in pixels.
    public var width: Int
    /// Canvas height in pixels.
    public var height: Int
    public var frames: [PoseFrame]
    /// True when no file and no caller said the canvas size and `load(inferCanvas: true)` guessed it from the
    /// joints (`inferredCanvas`).
    public var canvasInferred = false

    public init(fps: Double, width: Int, height: Int, frames: [PoseFrame]) {
        precondition(fps > 0 && fps.isFinite, "a pose track needs a positive frame rate, got \(fps)")
        precondition(width > 0 && height > 0, "a pose track needs a positive canvas size, got \(width)×\(height)")
        self.fps = fps
        self.width = width
        self.height = height
        self.frames = frames
    }

    public var frameCount: Int { frames.count }

    /// Seconds: `frameCount / fps`.
    public var duration: Double { Double(frames.count) / fps }

    /// The frame shown at `time` seconds (frame f covers `[f / fps, (f + 1) / fps)`), clamped to the track.
    public func frame(at time: Double) -> PoseFrame {
        precondition(!frames.isEmpty, "an empty pose track has no frames")
        let f = Int((time * fps + 1e-9).rounded(.down))
        return frames[min(max(f, 0), frames.count - 1)]
    }

    /// The track at `newFPS` by nearest-frame sampling in time: `round(duration · newFPS)` frames (at least one
    /// when the track has any), frame j taken from source frame `round(j · fps / newFPS)` (halves round up,
    /// clamped to the last frame). 30 fps → 25 fps picks source frames 0, 1, 2, 4, 5, 6, 7, 8, 10, ….
    public func resampled(toFPS newFPS: Double) -> PoseTrack {
        precondition(newFPS > 0 && newFPS.isFinite, "resampling needs a positive frame rate, got \(newFPS)")
        guard !frames.isEmpty else { return PoseTrack(fps: newFPS, width: width, height: height, frames: []) }
        let count = max(1, Int((duration * newFPS).rounded()))
        let picked = (0..<count).map { j -> PoseFrame in
            let source = Int((Double(j) * fps / newFPS + 0.5 + 1e-9).rounded(.down))
            return frames[min(source, frames.count - 1)]
        }
        return PoseTrack(fps: newFPS, width: width, height: height, frames: picked)
    }

    /// The track moved onto a `newWidth × newHeight` canvas the way `RGBImage.fitted(width:height:mode:)` moves
    /// the picture, so poses stay on the body after the reference or video is fitted:
    /// - scale s = max (`.crop`) or min (`.letterbox`) of newWidth/width and newHeight/height; the scaled canvas is
    ///   `round(width·s) × round(height·s)` and is centred with integer offsets `(newWidth − scaledWidth) / 2`
    ///   (truncated toward zero, as `fitted` does); the aspect ratio is kept.
    /// - pixel centres map to pixel centres: `x' = (x + 0.5)·scaledWidth/width − 0.5 + offsetX`, likewise y.
    /// - joints that land outside the new canvas (cropped away) become missing (0, 0, confidence 0); missing
    ///   joints stay missing. Confidences are kept.
    public func normalized(toWidth newWidth: Int, height newHeight: Int, mode: FitMode = .crop) -> PoseTrack {
        precondition(newWidth > 0 && newHeight > 0, "a pose canvas needs a positive size, got \(newWidth)×\(newHeight)")
        let scaleX = Double(newWidth) / Double(width), scaleY = Double(newHeight) / Double(height)
        let scale = mode == .crop ? max(scaleX, scaleY) : min(scaleX, scaleY)
        let scaledW = max(1, Int((Double(width) * scale).rounded()))
        let scaledH = max(1, Int((Double(height) * scale).rounded()))
        let offsetX = Double((newWidth - scaledW) / 2), offsetY = Double((newHeight - scaledH) / 2)
        let sx = Double(scaledW) / Double(width), sy = Double(scaledH) / Double(height)
        let moved = frames.map { frame in
            PoseFrame(keypoints: frame.keypoints.map { k in
                guard k.isPresent else { return .missing }
                let x = (Double(k.x) + 0.5) * sx - 0.5 + offsetX, y = (Double(k.y) + 0.5) * sy - 0.5 + offsetY
                guard x >= -0.5 && x < Double(newWidth) - 0.5 && y >= -0.5 && y < Double(newHeight) - 0.5 else { return .missing }
                return PoseKeypoint(x: Float(x), y: Float(y), confidence: k.confidence)
            })
        }
        return PoseTrack(fps: fps, width: newWidth, height: newHeight, frames: moved)
    }

    /// Why this track cannot be written or used, or nil: no frames, or a non-finite number or negative confidence.
    func problem() -> String? {
        if frames.isEmpty { return "the track has no frames" }
        for (f, frame) in frames.enumerated() {
            for joint in PoseJoint.allCases {
                if let reason = Self.problem(frame[joint]) { return "frame \(f): joint \(joint.rawValue) (\(joint)) \(reason)" }
            }
        }
        return nil
    }

    /// Why one keypoint is unusable, or nil.
    static func problem(_ k: PoseKeypoint) -> String? {
        if !k.x.isFinite || !k.y.isFinite || !k.confidence.isFinite { return "has a non-finite value (\(k.x), \(k.y), \(k.confidence))" }
        if k.confidence < 0 { return "has a negative confidence \(k.confidence)" }
        return nil
    }
}
