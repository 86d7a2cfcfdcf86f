import Foundation

/// Reading and writing pose tracks as JSON: OpenPose's per-frame output and the project's pose clip files.
///
/// Accepted inputs of `PoseTrack.load(_:)`:
/// - **A folder of OpenPose JSON files**, one per frame, e.g. `clip_000000000012_keypoints.json`. Every
///   non-hidden `*.json` file in it is a frame; they are ordered by the last number in the file name (a name
///   without a number, or two files with the same number, is an error). Each file is
///   `{"people": [{"pose_keypoints_2d": [x0, y0, c0, x1, y1, c1, …]}, …]}`; the first person is used, a file with
///   no person is a frame with every joint missing. The frame rate is the caller's (`fps`, default 25). The canvas
///   size comes from `canvas_width` / `canvas_height` keys in the files where present (they must agree), otherwise
///   from the caller (`canvasWidth`, `canvasHeight`), otherwise — with `inferCanvas` — from the joints'
///   extent (`inferredCanvas`), otherwise it is an error.
/// - **A pose clip file**: `{"fps": 25, "width": W, "height": H, "frames": [F, …]}`, where each frame F is either an
///   OpenPose frame `{"people": […]}` or `{"pose_keypoints_2d": […]}`. `fps`, `width`, `height` fall back to the
///   caller's values when absent. This is what `write(to:)` produces.
/// - **One OpenPose JSON file** (top-level `"people"`): a one-frame track, fps and canvas as for a folder.
///
/// Keypoint arrays must hold 54 numbers (18 COCO joints × (x, y, confidence)) or 75 (OpenPose BODY_25, converted
/// to COCO-18 by dropping MidHip (8) and the foot joints (19 – 24)). Positions are pixels, confidence ≥ 0 with 0 =
/// missing. Anything else — not JSON, another count, a non-number, a non-finite value, a negative confidence,
/// no frames — is a `MediaError` naming the file and the reason.
extension PoseTrack {
    /// The frame rate given to OpenPose folders and files, which do not record one.
    public static let defaultFPS = 25.0
    /// Frame rates a pose clip may declare: cameras run at 1 … 240 fps; outside that the file is damaged (and a
    /// rate near 0 would stretch a few frames over hours).
    public static let fpsRange = 1.0...240.0

    /// BODY_25 index of each COCO-18 joint.
    static let body25ToCOCO18 = [0, 1, 2, 3, 4, 5, 6, 7, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18]

    /// Reads a pose track from a folder of OpenPose JSON files, a pose clip file, or one OpenPose JSON file (see the
    /// forms above). `fps`, `canvasWidth` and `canvasHeight` (pixels) are used only where the input does not say;
    /// with neither and `inferCanvas`, the canvas is `inferredCanvas(frames)` and `canvasInferred` is set.
    public static func load(_ path: String, fps: Double = PoseTrack.defaultFPS, canvasWidth: Int? = nil, canvasHeight: Int? = nil,
                            inferCanvas: Bool = false) throws(MediaError) -> PoseTrack {
        let fallback = CanvasFallback(width: canvasWidth, height: canvasHeight, infer: inferCanvas)
        precondition(fps > 0 && fps.isFinite, "PoseTrack.load needs a positive default frame rate, got \(fps)")
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) else { throw .notFound(path: path) }
        if isDirectory.boolValue {
            return try loadFolder(path, fps: fps, fallback: fallback)
        }
        let object = try readJSON(path)
        if object["frames"] != nil {
            return try parseClip(object, path: path, fps: fps, fallback: fallback)
        }
        if object["people"] != nil {
            let canvas = try canvasSize(object, path: path)
            let frame = try parseFrame(object, path: path, label: nil)
            return try track(fps: fps, width: canvas?.width, height: canvas?.height, frames: [frame], fallback: fallback,
                             path: path, missing: missingCanvas)
        }
        throw .invalidPose(path: path, reason: "expected an object with \"frames\" (a pose clip) or \"people\" (an OpenPose frame)")
    }

    /// Writes this track as a pose clip file (the format `load` reads back exactly), through a temporary file
    /// renamed into place when complete. A track with no frames, a non-finite number or a negative confidence is
    /// refused with `.invalidPose` and nothing is written.
    public func write(to path: String) throws(MediaError) {
        try PendingFile.write(try jsonData(path: path), to: path)
    }

    /// The pose clip JSON of this track, one frame a line (`path` only names the destination in errors).
    public func jsonData(path: String = "<pose clip>") throws(MediaError) -> Data {
        if let reason = problem() { throw .invalidPose(path: path, reason: reason) }
        var text = "{\"fps\": \(fps), \"width\": \(width), \"height\": \(height), \"joints\": \"COCO-18\", \"frames\": [\n"
        for (f, frame) in frames.enumerated() {
            let numbers = frame.keypoints.map { k in
                k.isPresent ? "\(Self.json(k.x)), \(Self.json(k.y)), \(Self.json(k.confidence))" : "0, 0, 0"
            }
            text += "{\"pose_keypoints_2d\": [" + numbers.joined(separator: ", ") + "]}"
            text += f + 1 < frames.count ? ",\n" : "\n"
        }
        text += "]}\n"
        return Data(text.utf8)
    }

    /// Where the canvas comes from when the files do not say: the caller's size, else (with `infer`) the joints.
    private struct CanvasFallback { var width: Int?, height: Int?, infer: Bool }

    /// The track on the canvas the files declare, else the fallback's size, else the one the joints imply
    /// (`canvasInferred`), else the error `missing`.
    private static func track(fps: Double, width: Int?, height: Int?, frames: [PoseFrame], fallback: CanvasFallback,
                              path: String, missing: String) throws(MediaError) -> PoseTrack {
        if let w = width ?? fallback.width, let h = height ?? fallback.height {
            return PoseTrack(fps: fps, width: w, height: h, frames: frames)
        }
        guard fallback.infer else { throw .invalidPose(path: path, reason: missing) }
        let canvas = inferredCanvas(frames)
        var track = PoseTrack(fps: fps, width: canvas.width, height: canvas.height, frames: frames)
        track.canvasInferred = true
        return track
    }

    /// Common video frame sizes (landscape and portrait), smallest first: the canvases `inferredCanvas` picks from.
    public static let commonCanvases: [(width: Int, height: Int)] = {
        let landscape = [(256, 256), (512, 512), (640, 360), (640, 480), (720, 480), (720, 576), (768, 768), (960, 540),
                         (1024, 1024), (1080, 1080), (1280, 720), (1920, 1080), (2560, 1440), (3840, 2160)]
        let all = landscape + landscape.filter { $0.0 != $0.1 }.map { ($0.1, $0.0) }
        return all.sorted { ($0.0 * $0.1, $0.0) < ($1.0 * $1.1, $1.0) }.map { (width: $0.0, height: $0.1) }
    }()

    /// A canvas for joints whose files do not say one: the smallest common video size (`commonCanvases`) that holds
    /// every present joint, else the joints' extent rounded up to even sides. A guess — the pose may have come from
    /// a larger frame — so callers say where it came from.
    public static func inferredCanvas(_ frames: [PoseFrame]) -> (width: Int, height: Int) {
        var maxX: Float = 0, maxY: Float = 0
        for frame in frames { for k in frame.keypoints where k.isPresent { maxX = max(maxX, k.x); maxY = max(maxY, k.y) } }
        if let fit = commonCanvases.first(where: { Float($0.width) > maxX + 0.5 && Float($0.height) > maxY + 0.5 }) { return fit }
        func even(_ v: Float) -> Int { let n = Int((v + 1.5).rounded(.up)); return n + n % 2 }
        return (even(maxX), even(maxY))
    }

    // MARK: - Reading

    private static let missingCanvas = "the canvas size is unknown: the file has no canvas_width/canvas_height, so pass the size of the video the poses were taken from"

    /// A Float as a JSON number: the shortest text that reads back to the same Float; integers without ".0".
    private static func json(_ value: Float) -> String {
        if value == value.rounded() && abs(value) < 1e7 { return String(Int(value)) }
        return "\(value)"
    }

    private static func loadFolder(_ folder: String, fps: Double, fallback: CanvasFallback) throws(MediaError) -> PoseTrack {
        let names: [String]
        do {
            names = try FileManager.default.contentsOfDirectory(atPath: folder)
        } catch {
            throw .notReadable(path: folder, reason: "cannot list the folder")
        }
        let jsonNames = names.filter { !$0.hasPrefix(".") && $0.lowercased().hasSuffix(".json") }
        if jsonNames.isEmpty {
            throw .invalidPose(path: folder, reason: "the folder holds no .json files: expected one OpenPose JSON file per frame")
        }
        var numbered: [(number: Int, name: String)] = []
        for name in jsonNames {
            guard let number = frameNumber(in: name) else {
                throw .invalidPose(path: join(folder, name), reason: "cannot tell the frame number: the file name holds no number")
            }
            numbered.append((number, name))
        }
        numbered.sort { $0.number != $1.number ? $0.number < $1.number : $0.name < $1.name }
        for (a, b) in zip(numbered, numbered.dropFirst()) where a.number == b.number {
            throw .invalidPose(path: folder, reason: "two files for frame \(a.number): \(a.name) and \(b.name)")
        }

        var frames: [PoseFrame] = []
        var canvas: (width: Int, height: Int, file: String)?
        for entry in numbered {
            let path = join(folder, entry.name)
            let object = try readJSON(path)
            if let size = try canvasSize(object, path: path) {
                if let known = canvas, known.width != size.width || known.height != size.height {
                    throw .invalidPose(path: path, reason: "canvas \(size.width)×\(size.height) differs from \(known.width)×\(known.height) in \(known.file)")
                }
                if canvas == nil { canvas = (size.width, size.height, entry.name) }
            }
            guard object["people"] != nil else {
                throw .invalidPose(path: path, reason: "no \"people\" key: not an OpenPose frame")
            }
            frames.append(try parseFrame(object, path: path, label: nil))
        }
        return try track(fps: fps, width: canvas?.width, height: canvas?.height, frames: frames, fallback: fallback,
                         path: folder, missing: missingCanvas)
    }

    private static func parseClip(_ object: [String: Any], path: String, fps defaultFPS: Double,
                                  fallback: CanvasFallback) throws(MediaError) -> PoseTrack {
        var fps = defaultFPS
        if let value = object["fps"] {
            guard let number = number(value), PoseTrack.fpsRange.contains(number) else {
                throw .invalidPose(path: path, reason: "\"fps\" must be a number in \(Int(PoseTrack.fpsRange.lowerBound)) … \(Int(PoseTrack.fpsRange.upperBound))")
            }
            fps = number
        }
        let width = try positiveInteger(object["width"], key: "width", path: path)
        let height = try positiveInteger(object["height"], key: "height", path: path)
        guard let list = object["frames"] as? [Any] else { throw .invalidPose(path: path, reason: "\"frames\" must be a list") }
        if list.isEmpty { throw .invalidPose(path: path, reason: "\"frames\" is empty: a pose clip needs at least one frame") }
        var frames: [PoseFrame] = []
        frames.reserveCapacity(list.count)
        for (f, item) in list.enumerated() {
            guard let frame = item as? [String: Any] else { throw .invalidPose(path: path, reason: "frame \(f) is not an object") }
            frames.append(try parseFrame(frame, path: path, label: "frame \(f)"))
        }
        return try track(fps: fps, width: width, height: height, frames: frames, fallback: fallback, path: path,
                         missing: "no \"width\"/\"height\": the canvas size is unknown")
    }

    /// One frame: `{"people": [...]}` (first person, or all missing when empty) or `{"pose_keypoints_2d": [...]}`.
    private static func parseFrame(_ object: [String: Any], path: String, label: String?) throws(MediaError) -> PoseFrame {
        let prefix = label.map { "\($0): " } ?? ""
        let keypoints: Any
        if let people = object["people"] {
            guard let list = people as? [Any] else { throw .invalidPose(path: path, reason: prefix + "\"people\" must be a list") }
            guard let first = list.first else { return .missing }
            guard let person = first as? [String: Any], let values = person["pose_keypoints_2d"] else {
                throw .invalidPose(path: path, reason: prefix + "people[0] has no \"pose_keypoints_2d\"")
            }
            keypoints = values
        } else if let values = object["pose_keypoints_2d"] {
            keypoints = values
        } else {
            throw .invalidPose(path: path, reason: prefix + "neither \"people\" nor \"pose_keypoints_2d\"")
        }
        guard let list = keypoints as? [Any] else { throw .invalidPose(path: path, reason: prefix + "\"pose_keypoints_2d\" must be a list of numbers") }
        var numbers: [Float] = []
        numbers.reserveCapacity(list.count)
        for value in list {
            guard let n = number(value) else { throw .invalidPose(path: path, reason: prefix + "\"pose_keypoints_2d\" holds something that is not a number") }
            numbers.append(Float(n))
        }
        let jointIndices: [Int]
        switch numbers.count {
        case 54: jointIndices = Array(0..<18)
        case 75: jointIndices = body25ToCOCO18
        default:
            throw .invalidPose(path: path, reason: prefix + "pose_keypoints_2d has \(numbers.count) numbers: expected 54 for 18 COCO joints (or 75 for OpenPose BODY_25)")
        }
        var frame = PoseFrame.missing
        for (joint, source) in zip(PoseJoint.allCases, jointIndices) {
            let k = PoseKeypoint(x: numbers[3 * source], y: numbers[3 * source + 1], confidence: numbers[3 * source + 2])
            if let reason = PoseTrack.problem(k) {
                throw .invalidPose(path: path, reason: prefix + "joint \(joint.rawValue) (\(joint)) \(reason)")
            }
            frame[joint] = k.isPresent ? k : .missing
        }
        return frame
    }

    private static func readJSON(_ path: String) throws(MediaError) -> [String: Any] {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) else { throw .notFound(path: path) }
        if isDirectory.boolValue { throw .isDirectory(path: path) }
        guard let data = FileManager.default.contents(atPath: path) else { throw .notReadable(path: path, reason: "cannot read the file") }
        if data.isEmpty { throw .empty(path: path) }
        let object: Any
        do {
            object = try JSONSerialization.jsonObject(with: data)
        } catch {
            throw .invalidPose(path: path, reason: "not JSON")
        }
        guard let dictionary = object as? [String: Any] else { throw .invalidPose(path: path, reason: "the JSON is not an object") }
        return dictionary
    }

    /// `canvas_width` / `canvas_height` when both are present.
    private static func canvasSize(_ object: [String: Any], path: String) throws(MediaError) -> (width: Int, height: Int)? {
        let w = try positiveInteger(object["canvas_width"], key: "canvas_width", path: path)
        let h = try positiveInteger(object["canvas_height"], key: "canvas_height", path: path)
        guard let w, let h else { return nil }
        return (w, h)
    }

    private static func positiveInteger(_ value: Any?, key: String, path: String) throws(MediaError) -> Int? {
        guard let value else { return nil }
        guard let n = number(value), n >= 1, n <= 1_048_576, n == n.rounded() else {
            throw .invalidPose(path: path, reason: "\"\(key)\" must be a positive whole number of pixels")
        }
        return Int(n)
    }

    /// A JSON number as Double (JSONSerialization gives NSNumber, Int or Double depending on the platform; true/false read as 1/0).
    private static func number(_ value: Any) -> Double? {
        if let n = value as? NSNumber { return n.doubleValue }
        if let d = value as? Double { return d }
        if let i = value as? Int { return Double(i) }
        return nil
    }

    /// The last run of digits in a file name (without its extension).
    static func frameNumber(in name: String) -> Int? {
        let stem = (name as NSString).deletingPathExtension
        var digits = ""
        var found: String?
        for ch in stem {
            if ch.isASCII && ch.isNumber { digits.append(ch) } else if !digits.isEmpty { found = digits; digits = "" }
        }
        if !digits.isEmpty { found = digits }
        return found.flatMap { Int($0.suffix(18)) }
    }

    private static func join(_ folder: String, _ name: String) -> String {
        URL(fileURLWithPath: folder).appendingPathComponent(name).path
    }
}
