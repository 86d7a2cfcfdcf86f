import Foundation
import OmniMedia

/// Writes a clip as inspectable files into a folder: `video.mp4` (H.264 + AAC), `reference.png`, `pose.json` (the
/// pose clip format `PoseTrack.load` reads), `caption.txt` and `truth.json`. Every file goes through a temporary
/// name and is renamed when complete.
public enum ClipFiles {
    public static let names = ["video.mp4", "reference.png", "pose.json", "caption.txt", "truth.json"]

    public static func write(_ clip: Clip, to folder: String) throws {
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        func path(_ name: String) -> String { (folder as NSString).appendingPathComponent(name) }
        let writer = try VideoWriter(path: path("video.mp4"), width: clip.spec.size.width, height: clip.spec.size.height,
                                     fps: clip.spec.fps, audio: clip.audio)
        do {
            for frame in clip.frames { try writer.append(frame) }
            _ = try writer.finish()
        } catch {
            writer.cancel()
            throw error
        }
        try ImageFile.writePNG(clip.reference, to: path("reference.png"))
        try clip.pose.write(to: path("pose.json"))
        try PendingFile.write(Data((clip.caption + "\n").utf8), to: path("caption.txt"))
        try PendingFile.write(try truthJSON(clip), to: path("truth.json"))
    }

    /// `truth.json`'s bytes: sorted keys, pretty-printed.
    public static func truthJSON(_ clip: Clip) throws -> Data {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        return try encoder.encode(ClipTruth(clip: clip))
    }
}
