import Dispatch
import Foundation
import OmniMedia

/// The work of `omnistudio synth`: render `clips` random clips (seeds `seed`, `seed + 1`, …) and write each as
/// inspectable files (`clip_NNN/`, see `ClipFiles`), all of them into one training shard `clips.shard`, and
/// optionally `contact_sheet.png`.
public struct SynthJob: Sendable {
    public var clips: Int
    public var seed: UInt64
    /// nil = mixed.
    public var style: CharacterStyle?
    /// nil = mixed.
    public var framing: Framing?
    public var size: FrameSize
    /// Seconds per clip.
    public var duration: Double
    public var fps: Int
    /// Use espeak-ng for some talking clips where it is installed.
    public var realSpeech: Bool
    public var sheet: Bool
    /// Skip the per-clip folders.
    public var shardOnly: Bool

    public init(clips: Int, seed: UInt64, style: CharacterStyle? = nil, framing: Framing? = nil, size: FrameSize = .square,
                duration: Double = 3, fps: Int = 25, realSpeech: Bool = false, sheet: Bool = false, shardOnly: Bool = false) {
        self.clips = clips; self.seed = seed; self.style = style; self.framing = framing; self.size = size
        self.duration = duration; self.fps = fps; self.realSpeech = realSpeech; self.sheet = sheet; self.shardOnly = shardOnly
    }

    /// What a run did: clips written, wall seconds in all and spent rendering.
    public struct Summary: Sendable {
        public var clips: Int
        public var seconds: Double
        public var renderSeconds: Double
    }

    public static let shardName = "clips.shard"
    public static let sheetName = "contact_sheet.png"

    /// The folder name of clip `index`: "clip_000".
    public static func clipFolder(_ index: Int) -> String { String(format: "clip_%03d", index) }

    /// Renders and writes everything into `folder` (created if missing); `progress(done, total)` after each clip.
    public func run(into folder: String, progress: (Int, Int) -> Void = { _, _ in }) throws -> Summary {
        guard clips > 0 else { throw WorldError.invalidInput("synth needs at least one clip") }
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        func path(_ name: String) -> String { (folder as NSString).appendingPathComponent(name) }
        let start = DispatchTime.now().uptimeNanoseconds
        var renderNanos: UInt64 = 0
        let shard = try ShardWriter(path: path(Self.shardName))
        do {
            for i in 0..<clips {
                let spec = ClipSpec.random(seed: seed &+ UInt64(i), style: style, framing: framing, size: size,
                                           duration: duration, fps: fps, realSpeech: realSpeech)
                let t0 = DispatchTime.now().uptimeNanoseconds
                let clip = Clip.render(spec)
                renderNanos += DispatchTime.now().uptimeNanoseconds - t0
                if !shardOnly { try ClipFiles.write(clip, to: path(Self.clipFolder(i))) }
                try shard.append(ShardRecord(clip: clip))
                progress(i + 1, clips)
            }
            try shard.finish()
        } catch {
            shard.cancel()
            throw error
        }
        if sheet {
            let image = ContactSheet.clips(seed: seed, style: style, framing: framing, size: size == .square ? nil : size)
            try ImageFile.writePNG(image, to: path(Self.sheetName))
        }
        return Summary(clips: clips, seconds: Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9,
                       renderSeconds: Double(renderNanos) / 1e9)
    }
}
