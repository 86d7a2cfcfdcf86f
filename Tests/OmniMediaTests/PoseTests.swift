import Foundation
import XCTest
@testable import OmniMedia

/// Pose files (OpenPose folders, pose clips, BODY_25), their errors, resampling, canvas changes and rendering.
final class PoseTests: XCTestCase {
    var dir: URL!
    override func setUpWithError() throws { dir = try MediaFixtures.temporaryDirectory() }
    override func tearDownWithError() throws { try? FileManager.default.removeItem(at: dir) }

    private func path(_ name: String) -> String { dir.appendingPathComponent(name).path }

    /// A standing figure on a 64×64 canvas, shifted right by `dx` pixels; `hidden` joints are missing.
    static func figure(dx: Float = 0, hidden: Set<PoseJoint> = []) -> PoseFrame {
        let xy: [(Float, Float)] = [
            (32, 10), (32, 18), (26, 18), (24, 27), (23, 35), (38, 18), (40, 27), (41, 35.5),
            (28, 36), (28, 47), (28, 58), (36, 36), (36, 47), (36, 58), (30, 8.5), (34, 8.5), (28, 10), (36, 10),
        ]
        var frame = PoseFrame.missing
        for joint in PoseJoint.allCases where !hidden.contains(joint) {
            let (x, y) = xy[joint.rawValue]
            frame[joint] = PoseKeypoint(x: x + dx, y: y, confidence: 0.5 + Float(joint.rawValue) / 40)
        }
        return frame
    }

    /// OpenPose's per-frame JSON for `numbers` (nil: no person), with optional canvas keys.
    private func openPoseJSON(_ numbers: [Float]?, canvas: (Int, Int)? = nil) -> String {
        let people = numbers.map { "[{\"person_id\": [-1], \"pose_keypoints_2d\": [\($0.map { "\($0)" }.joined(separator: ","))], \"face_keypoints_2d\": []}]" } ?? "[]"
        let size = canvas.map { ", \"canvas_width\": \($0.0), \"canvas_height\": \($0.1)" } ?? ""
        return "{\"version\": 1.3\(size), \"people\": \(people)}"
    }

    private func numbers(_ frame: PoseFrame) -> [Float] { frame.keypoints.flatMap { [$0.x, $0.y, $0.confidence] } }

    private func write(_ text: String, _ name: String) throws {
        try text.write(toFile: path(name), atomically: true, encoding: .utf8)
    }

    private func assertPoseError(_ expression: @autoclosure () throws -> Any, path expected: String, contains fragment: String,
                                 file: StaticString = #filePath, line: UInt = #line) {
        do {
            _ = try expression()
            XCTFail("expected an error", file: file, line: line)
        } catch let error as MediaError {
            XCTAssertEqual(error.path, expected, file: file, line: line)
            XCTAssertTrue(error.description.hasPrefix(expected + ": "), "message must start with the file: \(error)", file: file, line: line)
            XCTAssertTrue(error.description.contains(fragment), "\(error) lacks “\(fragment)”", file: file, line: line)
        } catch {
            XCTFail("not a MediaError: \(error)", file: file, line: line)
        }
    }

    // MARK: Reading and writing

    func testOpenPoseFolderIsOrderedByFrameNumber() throws {
        let folder = dir.appendingPathComponent("openpose")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        let frames = [Self.figure(dx: 0), Self.figure(dx: 1), nil, Self.figure(dx: 3, hidden: [.leftWrist])]
        // Written out of order, with numbers whose text order differs from their numeric order.
        for (i, number) in [(2, 9), (0, 7), (3, 12), (1, 8)] {
            let name = "openpose/take1_\(String(repeating: "0", count: 12 - String(number).count))\(number)_keypoints.json"
            try write(openPoseJSON(frames[i].map(numbers)), name)
        }
        try write("ignored", "openpose/.hidden.json")
        let track = try PoseTrack.load(folder.path, canvasWidth: 64, canvasHeight: 64)
        XCTAssertEqual(track.fps, 25)
        XCTAssertEqual([track.width, track.height], [64, 64])
        XCTAssertEqual(track.frameCount, 4)
        XCTAssertEqual(track.frames[0], Self.figure(dx: 0))
        XCTAssertEqual(track.frames[1], Self.figure(dx: 1))
        XCTAssertEqual(track.frames[2], .missing, "a file with no person is an all-missing frame")
        XCTAssertEqual(track.frames[3], Self.figure(dx: 3, hidden: [.leftWrist]))
        XCTAssertFalse(track.frames[3][.leftWrist].isPresent)
        XCTAssertEqual(track.duration, 4.0 / 25, accuracy: 1e-12)
        XCTAssertEqual(PoseTrack.frameNumber(in: "take1_000000000012_keypoints.json"), 12)
        XCTAssertNil(PoseTrack.frameNumber(in: "keypoints.json"))
    }

    func testCanvasSizeFromTheFilesAndFPSFromTheCaller() throws {
        let folder = dir.appendingPathComponent("sized")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        for f in 0..<2 { try write(openPoseJSON(numbers(Self.figure()), canvas: (640, 360)), "sized/f_\(f).json") }
        let track = try PoseTrack.load(folder.path, fps: 30, canvasWidth: 64, canvasHeight: 64)
        XCTAssertEqual([track.width, track.height], [640, 360])
        XCTAssertEqual(track.fps, 30)
        // One OpenPose file alone is a one-frame track.
        let single = try PoseTrack.load(path("sized/f_0.json"))
        XCTAssertEqual(single.frameCount, 1)
        XCTAssertEqual(single.frames[0], Self.figure())
        // Without canvas keys or a caller's size it is an error naming the folder.
        let bare = dir.appendingPathComponent("bare")
        try FileManager.default.createDirectory(at: bare, withIntermediateDirectories: true)
        try write(openPoseJSON(numbers(Self.figure())), "bare/f_0.json")
        assertPoseError(try PoseTrack.load(bare.path), path: bare.path, contains: "canvas size is unknown")
    }

    /// Files from other tools often carry no canvas: `inferCanvas` takes the smallest common video size holding
    /// every joint and says so; a size from the caller or the files wins.
    func testAnUnknownCanvasIsInferredFromTheJoints() throws {
        let folder = dir.appendingPathComponent("hd")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        // The figure scaled ×18 and moved right: joints up to x ≈ 1138, y ≈ 1044 — a 1920×1080 video.
        let big = PoseFrame(keypoints: Self.figure().keypoints.map { PoseKeypoint(x: 18 * $0.x + 400, y: 18 * $0.y, confidence: $0.confidence) })
        for f in 0..<3 { try write(openPoseJSON(numbers(big)), "hd/f_\(f).json") }
        let track = try PoseTrack.load(folder.path, inferCanvas: true)
        XCTAssertEqual([track.width, track.height], [1920, 1080])
        XCTAssertTrue(track.canvasInferred)
        XCTAssertEqual(track.frames[0], big, "the joints are as in the files")
        XCTAssertEqual(track.fractionOutsideCanvas, 0)
        let given = try PoseTrack.load(folder.path, canvasWidth: 1280, canvasHeight: 720, inferCanvas: true)
        XCTAssertEqual([given.width, given.height], [1280, 720])
        XCTAssertFalse(given.canvasInferred)
        XCTAssertEqual(given.fractionOutsideCanvas, 4.0 / 18, accuracy: 1e-9, "below y 720: the knees and ankles")
        // Small joints: the smallest common size that holds them; past every common size, the extent rounded up.
        XCTAssertEqual(PoseTrack.inferredCanvas([Self.figure()]).width, 256)
        let huge = PoseFrame(keypoints: big.keypoints.map { PoseKeypoint(x: 4 * $0.x, y: 4 * $0.y, confidence: $0.confidence) })
        let canvas = PoseTrack.inferredCanvas([huge])
        XCTAssertEqual(canvas.width % 2, 0)
        XCTAssertGreaterThan(Float(canvas.width), huge.keypoints.map(\.x).max()!)
        XCTAssertGreaterThan(Float(canvas.height), huge.keypoints.map(\.y).max()!)
    }

    /// The silhouette's box in a picture on a background that changes down the rows, the pose's body box, and the
    /// transform between them.
    func testRetargetingMatchesTheBodyToThePersonInThePicture() {
        // 64×64: a vertical gradient, a floor band, and a 12×40 "person" at x 30…41, y 14…53.
        let picture = RGBImage(width: 64, height: 64) { x, y in
            if (30...41).contains(x) && (14...53).contains(y) { return RGB(200, 40, 60) }
            return y > 56 ? RGB(90, 70, 50) : RGB(UInt8(100 + y), UInt8(140 + y / 2), 220)
        }
        let person = try! XCTUnwrap(PoseRetarget.personBox(in: picture))
        XCTAssertEqual(person.minX, 30, accuracy: 1); XCTAssertEqual(person.maxX, 41, accuracy: 1)
        XCTAssertEqual(person.minY, 14, accuracy: 1); XCTAssertEqual(person.maxY, 53, accuracy: 1)
        XCTAssertNil(PoseRetarget.personBox(in: RGBImage(width: 64, height: 64) { _, y in RGB(UInt8(y), 80, 80) }), "nobody")

        let body = try! XCTUnwrap(PoseRetarget.bodyBox(Self.figure()))
        XCTAssertLessThan(body.minY, 8.5, "the head's top is above the eyes")
        XCTAssertGreaterThan(body.maxY, 58, "below the ankles")
        let t = PoseRetarget.transform(from: body, to: person)
        XCTAssertEqual(t.scale * body.height, person.height, accuracy: 1e-3)
        XCTAssertEqual(t.scale * body.centreX + t.dx, person.centreX, accuracy: 1e-3)
        XCTAssertEqual(t.scale * body.centreY + t.dy, person.centreY, accuracy: 1e-3)

        let track = PoseTrack(fps: 25, width: 64, height: 64, frames: [Self.figure(), Self.figure(dx: 2)])
        let moved = track.moved(by: t)
        let neck = moved.frames[0][.neck]
        XCTAssertEqual(neck.x, t.scale * 32 + t.dx, accuracy: 1e-4)
        XCTAssertEqual(neck.confidence, Self.figure()[.neck].confidence)
        XCTAssertEqual(PoseRetarget.bodyBox(moved)!.height, person.height, accuracy: 0.5)
        // Joints pushed off the canvas become missing.
        let off = track.moved(by: .init(scale: 1, dx: 40, dy: 0))
        XCTAssertFalse(off.frames[0][.leftWrist].isPresent)
        XCTAssertTrue(off.frames[0][.rightWrist].isPresent)
    }

    /// Two whole bodies are matched; a person cut off by the picture's bottom edge, or a pose without feet, keeps the
    /// pose as drawn (box heights then measure the crop, and at a close-up's size their error moves the whole face).
    func testRetargetingKeepsACroppedBodyAsDrawn() {
        func picture(top: Int, bottom: Int) -> RGBImage {
            RGBImage(width: 64, height: 64) { x, y in (26...37).contains(x) && (top...bottom).contains(y) ? RGB(200, 40, 60) : RGB(90, 140, 220) }
        }
        let whole = PoseTrack(fps: 25, width: 64, height: 64, frames: [Self.figure(), Self.figure(dx: 1)])
        let expected = PoseRetarget.transform(from: PoseRetarget.bodyBox(whole)!, to: PoseRetarget.personBox(in: picture(top: 10, bottom: 50))!)
        XCTAssertNotEqual(expected, .identity)
        XCTAssertEqual(PoseRetarget.plan(whole, onto: picture(top: 10, bottom: 50)), .moved(expected))
        XCTAssertEqual(PoseRetarget.plan(whole, onto: picture(top: 10, bottom: 63)), .cropped, "the person runs off the bottom edge")
        let noFeet = PoseTrack(fps: 25, width: 64, height: 64, frames: [Self.figure(hidden: [.leftAnkle, .rightAnkle, .leftKnee, .rightKnee])])
        XCTAssertFalse(PoseRetarget.showsFeet(noFeet))
        XCTAssertTrue(PoseRetarget.showsFeet(whole))
        XCTAssertEqual(PoseRetarget.plan(noFeet, onto: picture(top: 10, bottom: 50)), .cropped, "a half-body pose")
        XCTAssertNil(PoseRetarget.plan(whole, onto: RGBImage(width: 64, height: 64) { _, _ in RGB(90, 140, 220) }), "nobody")
    }

    func testPoseClipRoundTripIsExact() throws {
        let frames = (0..<7).map { Self.figure(dx: Float($0) * 0.37, hidden: $0 == 2 ? [.nose, .rightEar] : []) } + [.missing]
        let track = PoseTrack(fps: 24, width: 96, height: 64, frames: frames)
        let p = path("clip.pose.json")
        try track.write(to: p)
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: dir.path), ["clip.pose.json"], "no temporary file left")
        let back = try PoseTrack.load(p)
        XCTAssertEqual(back, track)
        // The clip format also takes OpenPose-style frames.
        let mixed = "{\"fps\": 25, \"width\": 64, \"height\": 64, \"frames\": [\(openPoseJSON(numbers(Self.figure()))), {\"people\": []}, {\"pose_keypoints_2d\": [\(numbers(Self.figure(dx: 2)).map { "\($0)" }.joined(separator: ","))]}]}"
        try write(mixed, "mixed.json")
        let loaded = try PoseTrack.load(path("mixed.json"))
        XCTAssertEqual(loaded.frames, [Self.figure(), .missing, Self.figure(dx: 2)])
    }

    func testBody25IsConvertedToCOCO18() throws {
        // BODY_25 joint j at x = j, y = 100 + j, confidence 0.9.
        let body25 = (0..<25).flatMap { j -> [Float] in [Float(j), Float(100 + j), 0.9] }
        try write(openPoseJSON(body25), "body25_000000000000_keypoints.json")
        let track = try PoseTrack.load(path("body25_000000000000_keypoints.json"), canvasWidth: 200, canvasHeight: 200)
        let expectedSources = [0, 1, 2, 3, 4, 5, 6, 7, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18]
        for joint in PoseJoint.allCases {
            XCTAssertEqual(track.frames[0][joint].x, Float(expectedSources[joint.rawValue]), "\(joint)")
            XCTAssertEqual(track.frames[0][joint].y, Float(100 + expectedSources[joint.rawValue]), "\(joint)")
        }
        XCTAssertEqual(track.frames[0][.rightHip].x, 9, "MidHip (8) is dropped")
        XCTAssertEqual(track.frames[0][.leftEar].x, 18, "the foot joints (19–24) are dropped")
    }

    func testSeventeenJointFileIsRejectedNamingTheFile() throws {
        let folder = dir.appendingPathComponent("short")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        try write(openPoseJSON(numbers(Self.figure())), "short/a_000000000000_keypoints.json")
        let bad = folder.appendingPathComponent("a_000000000001_keypoints.json").path
        try openPoseJSON(Array(numbers(Self.figure()).prefix(51))).write(toFile: bad, atomically: true, encoding: .utf8)
        assertPoseError(try PoseTrack.load(folder.path, canvasWidth: 64, canvasHeight: 64), path: bad,
                        contains: "pose_keypoints_2d has 51 numbers: expected 54 for 18 COCO joints")
        // The same in a clip names the frame.
        try write("{\"fps\": 25, \"width\": 64, \"height\": 64, \"frames\": [{\"pose_keypoints_2d\": [\(Array(repeating: "1", count: 54).joined(separator: ","))]}, {\"pose_keypoints_2d\": [1, 2, 3]}]}", "c.json")
        assertPoseError(try PoseTrack.load(path("c.json")), path: path("c.json"), contains: "frame 1: pose_keypoints_2d has 3 numbers")
    }

    func testBadFilesGiveErrorsNamingTheFileAndTheReason() throws {
        let missing = path("nowhere.json")
        XCTAssertThrowsError(try PoseTrack.load(missing)) { XCTAssertEqual($0 as? MediaError, .notFound(path: missing)) }

        try write("this is not { json", "text.json")
        assertPoseError(try PoseTrack.load(path("text.json")), path: path("text.json"), contains: "not JSON")

        try write("{\"fps\": 25, \"width\": 64, \"height\": 64, \"frames\": []}", "empty.json")
        assertPoseError(try PoseTrack.load(path("empty.json")), path: path("empty.json"), contains: "\"frames\" is empty")

        var negative = numbers(Self.figure())
        negative[3 * 4 + 2] = -0.5
        try write("{\"fps\": 25, \"width\": 64, \"height\": 64, \"frames\": [{\"pose_keypoints_2d\": [\(negative.map { "\($0)" }.joined(separator: ","))]}]}", "neg.json")
        assertPoseError(try PoseTrack.load(path("neg.json")), path: path("neg.json"), contains: "frame 0: joint 4 (RWrist) has a negative confidence")

        try write("{\"fps\": 0, \"width\": 64, \"height\": 64, \"frames\": [{\"people\": []}]}", "fps.json")
        assertPoseError(try PoseTrack.load(path("fps.json")), path: path("fps.json"), contains: "\"fps\" must be a number in 1 … 240")

        try write("[1, 2, 3]", "list.json")
        assertPoseError(try PoseTrack.load(path("list.json")), path: path("list.json"), contains: "not an object")

        let emptyFolder = dir.appendingPathComponent("nothing")
        try FileManager.default.createDirectory(at: emptyFolder, withIntermediateDirectories: true)
        assertPoseError(try PoseTrack.load(emptyFolder.path, canvasWidth: 8, canvasHeight: 8), path: emptyFolder.path, contains: "no .json files")

        let twice = dir.appendingPathComponent("twice")
        try FileManager.default.createDirectory(at: twice, withIntermediateDirectories: true)
        try write(openPoseJSON(nil), "twice/a_3.json")
        try write(openPoseJSON(nil), "twice/b_3.json")
        assertPoseError(try PoseTrack.load(twice.path, canvasWidth: 8, canvasHeight: 8), path: twice.path, contains: "two files for frame 3")

        // Writing refuses NaN and negative confidences and an empty track, and leaves nothing behind.
        var nanFrame = Self.figure()
        nanFrame[.neck] = PoseKeypoint(x: .nan, y: 1, confidence: 1)
        let out = path("out.json")
        assertPoseError(try PoseTrack(fps: 25, width: 64, height: 64, frames: [nanFrame]).write(to: out), path: out, contains: "joint 1 (Neck) has a non-finite value")
        assertPoseError(try PoseTrack(fps: 25, width: 64, height: 64, frames: []).write(to: out), path: out, contains: "no frames")
        XCTAssertFalse(FileManager.default.fileExists(atPath: out))
        XCTAssertFalse(try FileManager.default.contentsOfDirectory(atPath: dir.path).contains { $0.contains("out.json") })
    }

    // MARK: Time and canvas

    func testResamplingThirtyToTwentyFiveFPSPicksTheNearestFrames() {
        // Frame i carries nose.x = i.
        let frames = (0..<30).map { i -> PoseFrame in
            var f = PoseFrame.missing
            f[.nose] = PoseKeypoint(x: Float(i), y: 0, confidence: 1)
            return f
        }
        let track = PoseTrack(fps: 30, width: 64, height: 64, frames: frames)
        let slower = track.resampled(toFPS: 25)
        XCTAssertEqual(slower.fps, 25)
        XCTAssertEqual(slower.frameCount, 25)
        XCTAssertEqual(slower.duration, track.duration, accuracy: 1e-12)
        XCTAssertEqual(slower.frames.prefix(11).map { Int($0[.nose].x) }, [0, 1, 2, 4, 5, 6, 7, 8, 10, 11, 12])
        XCTAssertEqual(Int(slower.frames.last![.nose].x), 29)
        let faster = track.resampled(toFPS: 60)
        XCTAssertEqual(faster.frameCount, 60)
        XCTAssertEqual(faster.frames.prefix(6).map { Int($0[.nose].x) }, [0, 1, 1, 2, 2, 3])
        XCTAssertEqual(track.frame(at: 0.5)[.nose].x, 15)
        XCTAssertEqual(track.frame(at: 99)[.nose].x, 29)
    }

    /// `normalized` moves joints exactly as `RGBImage.fitted` moves the pixels under them.
    func testNormalizedCanvasFollowsFittedPictures() throws {
        var frame = PoseFrame.missing
        frame[.nose] = PoseKeypoint(x: 100, y: 50, confidence: 1)
        frame[.neck] = PoseKeypoint(x: 10, y: 50, confidence: 1)     // cropped away by a centre crop
        frame[.rightWrist] = PoseKeypoint(x: 150, y: 20, confidence: 0.7)
        let track = PoseTrack(fps: 25, width: 200, height: 100, frames: [frame])

        let cropped = track.normalized(toWidth: 100, height: 100, mode: .crop)
        XCTAssertEqual([cropped.width, cropped.height], [100, 100])
        XCTAssertEqual(cropped.frames[0][.nose], PoseKeypoint(x: 50, y: 50, confidence: 1))
        XCTAssertEqual(cropped.frames[0][.neck], .missing)
        XCTAssertEqual(cropped.frames[0][.leftEar], .missing)

        let boxed = track.normalized(toWidth: 100, height: 100, mode: .letterbox)
        XCTAssertEqual(boxed.frames[0][.nose].x, 49.75, accuracy: 1e-5)
        XCTAssertEqual(boxed.frames[0][.nose].y, 49.75, accuracy: 1e-5)
        XCTAssertTrue(boxed.frames[0][.neck].isPresent)

        // A white 5×5 dot under the wrist: after fitting the picture, the dot's centroid is where the wrist went.
        for mode in FitMode.allCases {
            let picture = RGBImage(width: 200, height: 100) { x, y in abs(x - 150) <= 2 && abs(y - 20) <= 2 ? RGB(255, 255, 255) : RGB(0, 0, 0) }
            let fitted = try picture.fitted(width: 80, height: 60, mode: mode)
            var sx = 0.0, sy = 0.0, total = 0.0
            for y in 0..<fitted.height {
                for x in 0..<fitted.width {
                    let v = Double(fitted[x, y].r)
                    if v > 20 { sx += v * Double(x); sy += v * Double(y); total += v }
                }
            }
            let moved = track.normalized(toWidth: 80, height: 60, mode: mode).frames[0][.rightWrist]
            XCTAssertEqual(Double(moved.x), sx / total, accuracy: 0.1, "\(mode)")
            XCTAssertEqual(Double(moved.y), sy / total, accuracy: 0.1, "\(mode)")
        }
    }

    // MARK: Rendering

    func testHeatmapPeaksAtTheJointAndIsZeroForMissingJoints() {
        let pose = Self.figure(hidden: [.leftEar])
        let maps = PoseRendering.maps(pose, canvasWidth: 64, canvasHeight: 64, width: 64, height: 64, jointSigma: 2, limbSigma: 1)
        XCTAssertEqual(maps.values.count, 64 * 64 * 35)
        XCTAssertTrue(maps.values.allSatisfy { $0 >= 0 && $0 <= 1 })
        for joint in [PoseJoint.nose, .neck, .rightElbow, .leftAnkle] {
            var best = (x: -1, y: -1, v: Float(-1))
            for y in 0..<64 { for x in 0..<64 where maps[x, y, joint.rawValue] > best.v { best = (x, y, maps[x, y, joint.rawValue]) } }
            XCTAssertEqual(best.x, Int(pose[joint].x), "\(joint)")
            XCTAssertEqual(best.y, Int(pose[joint].y), "\(joint)")
            XCTAssertEqual(best.v, 1, accuracy: 1e-6)
            // One σ away: exp(−1/2).
            XCTAssertEqual(maps[best.x + 2, best.y, joint.rawValue], exp(-0.5), accuracy: 1e-5)
        }
        // The left wrist sits at y = 35.5: a pixel centre 0.5 px away.
        XCTAssertEqual(maps[41, 35, PoseJoint.leftWrist.rawValue], exp(-0.25 / 8), accuracy: 1e-5)
        XCTAssertTrue((0..<(64 * 64)).allSatisfy { maps.values[$0 * 35 + PoseJoint.leftEar.rawValue] == 0 })
        // The limb ending at the missing ear is empty; the other limbs are not.
        let earLimb = PoseRendering.limbs.firstIndex { $0 == (.leftEye, .leftEar) }!
        XCTAssertTrue((0..<(64 * 64)).allSatisfy { maps.values[$0 * 35 + 18 + earLimb] == 0 })
        XCTAssertEqual(PoseRendering.limbs.count, 17)
    }

    func testLimbMapIsHighAlongTheSegment() {
        let pose = Self.figure()
        let maps = PoseRendering.maps(pose, canvasWidth: 64, canvasHeight: 64, width: 64, height: 64, jointSigma: 2, limbSigma: 1)
        for (l, (a, b)) in PoseRendering.limbs.enumerated() {
            let mx = (pose[a].x + pose[b].x) / 2, my = (pose[a].y + pose[b].y) / 2
            let value = maps[Int(mx.rounded()), Int(my.rounded()), 18 + l]
            XCTAssertGreaterThan(value, 0.6, "limb \(l) \(a)–\(b) at its midpoint")
            XCTAssertEqual(maps[0, 63, 18 + l], 0, "limb \(l) far away")
        }
        // Neck (32, 18) – right hip (28, 36): its midpoint pixel (30, 27) is on the segment.
        let neckHip = PoseRendering.limbs.firstIndex { $0 == (.neck, .rightHip) }!
        XCTAssertEqual(maps[30, 27, 18 + neckHip], 1, accuracy: 1e-6)

        // Half-size output: the same joints land at half the coordinates (pixel centres kept).
        let small = PoseRendering.maps(pose, canvasWidth: 64, canvasHeight: 64, width: 32, height: 32, jointSigma: 1)
        XCTAssertEqual(small[16, 9, PoseJoint.neck.rawValue], exp(-0.125 / 2), accuracy: 1e-5)   // neck at (15.75, 8.75)
        XCTAssertEqual(PoseRendering.defaultSigma(width: 64, height: 64), 2)
        let track = PoseTrack(fps: 25, width: 64, height: 64, frames: [pose])
        XCTAssertEqual(track.maps(frame: 0, width: 64, height: 64, jointSigma: 2, limbSigma: 1), maps)
    }

    func testStickFigureDrawsNearTheJointsInOpenPoseColours() {
        let pose = Self.figure(hidden: [.leftAnkle])
        let background = RGB(10, 20, 30)
        let image = PoseRendering.stickFigure(pose, canvasWidth: 64, canvasHeight: 64, width: 128, height: 128, background: background)
        XCTAssertEqual([image.width, image.height], [128, 128])
        for joint in PoseJoint.allCases where joint != .leftAnkle {
            let x = Int((pose[joint].x + 0.5) * 2 - 0.5), y = Int((pose[joint].y + 0.5) * 2 - 0.5)
            XCTAssertNotEqual(image[x, y], background, "\(joint)")
        }
        // The right wrist is a disc of its own colour (not covered by a later limb).
        XCTAssertEqual(image[Int(23.5 * 2 - 0.5), Int(35.5 * 2 - 0.5)], PoseRendering.colours[PoseJoint.rightWrist.rawValue])
        // The missing ankle and its limb leave the background.
        let ankle = Self.figure()[.leftAnkle]
        XCTAssertEqual(image[Int((ankle.x + 0.5) * 2), Int((ankle.y + 0.5) * 2)], background)
        XCTAssertEqual(image[2, 2], background)
        XCTAssertEqual(image[125, 125], background)
        let drawn = stride(from: 0, to: image.pixels.count, by: 3).filter { image.pixels[$0] != 10 || image.pixels[$0 + 1] != 20 || image.pixels[$0 + 2] != 30 }.count
        XCTAssertGreaterThan(drawn, 300)
        XCTAssertLessThan(drawn, 128 * 128 / 4)
        XCTAssertEqual(PoseTrack(fps: 25, width: 64, height: 64, frames: [pose]).stickFigure(frame: 0, width: 128, height: 128, background: background), image)
    }
}
