import XCTest
import OmniMedia
@testable import OmniWorld

final class RenderingTests: XCTestCase {
    let background = Colour(hex: 0x10E040)
    let size = FrameSize(width: 96, height: 96)

    /// A pose in pixels for `params`, framed full body in a 96×96 frame.
    func pose(_ params: PoseParams, character: Character, shift: Point2 = .zero) -> (PoseFrame, Float) {
        let camera = Camera.framing(.full, character: character, size: size)
        let joints = Skeleton.joints(params, proportions: character.proportions)
        return (PoseFrame(keypoints: joints.map { let p = camera.toPixels($0) + shift; return PoseKeypoint(x: p.x, y: p.y, confidence: 1) }), camera.scale)
    }

    func pixel(_ image: RGBImage, _ k: PoseKeypoint) -> RGB { image[Int(k.x.rounded()), Int(k.y.rounded())] }

    func testHandIsDrawnAtTheWristAndMovesWithIt() {
        let character = WorldFixtures.plainCharacter
        let renderer = PuppetRenderer(character: character)
        let bg = background.rgb
        var raised = PoseParams.neutral
        raised.armRaise[0] = 2.6; raised.armBend[0] = 0.3
        let (down, scale) = pose(.neutral, character: character)
        let (up, _) = pose(raised, character: character)
        let a = renderer.render(pose: down, scale: scale, size: size, background: background)
        let b = renderer.render(pose: up, scale: scale, size: size, background: background)
        let wristDown = down[.rightWrist], wristUp = up[.rightWrist]
        XCTAssertGreaterThan((Point2(wristDown.x, wristDown.y) - Point2(wristUp.x, wristUp.y)).length, 20)
        XCTAssertNotEqual(pixel(a, wristDown), bg, "hand at the hanging wrist")
        XCTAssertNotEqual(pixel(b, wristUp), bg, "hand at the raised wrist")
        XCTAssertEqual(pixel(a, wristUp), bg, "nothing where the raised hand will be")
        XCTAssertEqual(pixel(b, wristDown), bg, "the hand left its old place")
        // The hand is skin-coloured at the wrist (short sleeves).
        let hand = pixel(a, wristDown)
        let skin = character.skin.rgb
        XCTAssertLessThan(abs(Int(hand.r) - Int(skin.r)) + abs(Int(hand.g) - Int(skin.g)) + abs(Int(hand.b) - Int(skin.b)), 60, "hand \(hand) skin \(skin)")
    }

    /// The head's drawn pixels (above the neck) are centred on the nose joint, and follow a shifted pose.
    func testHeadIsCentredOnTheNose() {
        let character = WorldFixtures.plainCharacter
        let renderer = PuppetRenderer(character: character)
        for shift in [Point2(0, 0), Point2(11, 4)] {
            let (p, scale) = pose(.neutral, character: character, shift: shift)
            let image = renderer.render(pose: p, scale: scale, size: size, background: background)
            let neckY = Int(p[.neck].y) - 2
            var sumX: Float = 0, count: Float = 0
            for y in 0..<neckY { for x in 0..<size.width where image[x, y] != background.rgb { sumX += Float(x); count += 1 } }
            XCTAssertGreaterThan(count, 50)
            XCTAssertEqual(sumX / count, p[.nose].x, accuracy: 1.0, "head centre vs nose at shift \(shift)")
        }
    }

    func testMissingJointsAreSkippedNotDrawnAtTheOrigin() {
        let character = WorldFixtures.plainCharacter
        let (p, scale) = pose(.neutral, character: character)
        var partial = p
        for j in [PoseJoint.rightElbow, .rightWrist, .leftKnee, .leftAnkle] { partial[j] = .missing }
        let image = PuppetRenderer(character: character).render(pose: partial, scale: scale, size: size, background: background)
        XCTAssertEqual(image[0, 0], background.rgb)
        XCTAssertEqual(pixel(image, p[.rightWrist]), background.rgb)
        XCTAssertEqual(PuppetRenderer(character: character).render(pose: .missing, size: size, background: background),
                       RGBImage(width: 96, height: 96, fill: background.rgb))
    }

    func testEveryStyleAndBackgroundRenders() {
        for (i, kind) in Background.Kind.allCases.enumerated() {
            var spec = ClipSpec.random(seed: UInt64(100 + i), style: CharacterStyle.allCases[i % 3], duration: 0.12)
            spec.background.kind = kind
            let clip = Clip.render(spec)
            let distinct = Set(stride(from: 0, to: clip.frames[0].pixels.count, by: 3).map { clip.frames[0].pixels[$0] })
            XCTAssertGreaterThan(distinct.count, 12, "\(kind) frame has detail")
        }
    }

    /// The trainer reads a cached window's audio and poses from `ClipTracks`, which skips the pictures: they must be
    /// the rendered clip's, for every framing.
    func testClipTracksAreTheRenderedClipsSoundAndPoses() {
        for (i, framing) in Framing.allCases.enumerated() {
            var spec = ClipSpec.random(seed: UInt64(300 + i), duration: 0.5)
            spec.framing = framing
            let clip = Clip.render(spec), tracks = ClipTracks.render(spec)
            XCTAssertEqual(tracks.pose, clip.pose, "\(framing) poses")
            XCTAssertEqual(tracks.audio, clip.audio, "\(framing) audio")
            XCTAssertEqual(tracks.pose.frames.count, clip.frames.count)
        }
    }

    func testBlinkClosesTheEyes() {
        var character = WorldFixtures.plainCharacter
        character.eyes = .big
        let (p, scale) = pose(.neutral, character: character)
        let renderer = PuppetRenderer(character: character)
        let open = renderer.render(pose: p, face: FaceState(blink: 0), scale: scale, size: size, background: background)
        let shut = renderer.render(pose: p, face: FaceState(blink: 1), scale: scale, size: size, background: background)
        let talk = renderer.render(pose: p, face: FaceState(mouthOpen: 1), scale: scale, size: size, background: background)
        XCTAssertNotEqual(open, shut)
        XCTAssertNotEqual(open, talk)
    }
}
