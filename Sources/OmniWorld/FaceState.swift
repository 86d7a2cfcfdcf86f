/// What the face does in one frame, on top of the pose.
public struct FaceState: Sendable, Equatable, Codable {
    /// 0 = closed … 1 = wide open.
    public var mouthOpen: Float
    /// Mouth width as a factor of the character's own (1 = as designed).
    public var mouthWidth: Float
    /// 0 = eyes open … 1 = closed.
    public var blink: Float
    /// 0…1, brows raised (emphasis).
    public var browRaise: Float
    /// Extra head roll in radians on top of the roll the pose's head joints show (0 when the motion already
    /// rolled the head joints, as clips do).
    public var headTilt: Float

    public init(mouthOpen: Float = 0, mouthWidth: Float = 1, blink: Float = 0, browRaise: Float = 0, headTilt: Float = 0) {
        self.mouthOpen = mouthOpen; self.mouthWidth = mouthWidth; self.blink = blink
        self.browRaise = browRaise; self.headTilt = headTilt
    }

    /// Mouth closed, eyes open.
    public static let neutral = FaceState()
}
