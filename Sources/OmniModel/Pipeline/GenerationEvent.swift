import Foundation
import OmniMedia

/// What a running generation reports, in order: `loading` and `encodingConditions` while it prepares, a `step`
/// after every denoising step (with a cheap preview of the predicted clean frame; `segment` is 1-based of `segments`), `segmentDone` with the
/// decoded new frames of each segment, then exactly one of `finished`, `failed` or `cancelled`.
/// Counters are 1-based (`step(1, of: 20, …)` is the first step).
public enum GenerationEvent: Sendable {
    case loading(String)
    case encodingConditions(String)
    /// Something about the inputs the user should know (an inferred pose canvas, joints off the frame, the pose
    /// retargeted); also in run.log.
    case note(String)
    case step(Int, of: Int, segment: Int, segments: Int, preview: RGBImage?)
    /// Video frame `index` (0-based) of `of`, as soon as it is decoded, in order.
    case frame(Int, of: Int, image: RGBImage)
    case segmentDone(Int, of: Int, frames: [RGBImage])
    /// The run folder holding `video.mp4`, `recipe.toml`, `poster.png`, `run.log`.
    case finished(URL)
    case failed(ModelError)
    /// `partial` is the kept `video.partial.mp4` when the run asked to keep partial output.
    case cancelled(partial: URL?)
}
