import Foundation
import OmniMedia

/// A clip's conditions written as files a generator reads: `reference.png`, `audio.wav` (16 kHz), `pose.json`
/// (the project's pose clip format) and the caption.
public struct EvalInputs: Sendable {
    public let folder: String
    public let reference: String
    public let audio: String
    public let pose: String
    public let caption: String

    /// Writes the inputs of `clip` into `folder` (created if needed).
    public static func write(_ clip: Clip, into folder: String) throws -> EvalInputs {
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        let inputs = EvalInputs(folder: folder, reference: folder + "/reference.png", audio: folder + "/audio.wav",
                                pose: folder + "/pose.json", caption: clip.caption)
        try ImageFile.writePNG(clip.reference, to: inputs.reference)
        try clip.audio.writeWAV(to: inputs.audio)
        try clip.pose.write(to: inputs.pose)
        return inputs
    }

    /// The same files with another prompt.
    public func with(caption: String) -> EvalInputs {
        EvalInputs(folder: folder, reference: reference, audio: audio, pose: pose, caption: caption)
    }
}
