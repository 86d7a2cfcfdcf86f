import Foundation
import OmniMedia
import OmniTensor

/// The decoded, validated inputs of one generation: output geometry and length, the audio clip and its
/// per-frame features, the pose track fitted to the output size, the reference picture. Everything that can
/// fail on a bad file fails here, before any output exists.
struct GenerationInputs {
    let request: GenerationRequest          // resolved
    let width: Int
    let height: Int
    let fps: Int
    let totalFrames: Int
    let duration: Double
    let audio: AudioClip?
    let audioFeatures: AudioFeatures?
    /// Seconds spent making `audioFeatures` (the audio encoder's share of a generation).
    let audioFeatureSeconds: Double
    let pose: PoseTrack?
    let reference: RGBImage?
    /// What the user should know about how the inputs were read (an inferred pose canvas, joints off the frame,
    /// the retargeting): written to run.log and reported as `GenerationEvent.note`s.
    let notes: [String]

    init(request raw: GenerationRequest, config: ModelConfig) throws(ModelError) {
        try raw.validate()
        if raw.speed == .fast && raw.steps == nil && config.sampling.fastSteps == nil {
            throw .invalidRequest(setting: "speed", reason: "this model has no fast sampler (no sampling.fast_steps): distil one with omnistudio train distill --method shortcut, or set steps")
        }
        let request = raw.resolved(for: config)
        self.request = request
        width = request.width!
        height = request.height!
        fps = request.fps!
        let s = config.vae.spatialFactor * config.dit.patchSize
        guard width % s == 0, height % s == 0 else {
            throw .invalidRequest(setting: "size", reason: "\(width)×\(height) must be a multiple of \(s) for this model")
        }

        var audio: AudioClip?
        if request.audio.enabled {
            let clip: AudioClip
            // Lengths taken from inputs are capped like --duration: a damaged header cannot ask for hours.
            do {
                clip = try AudioFile.decode(request.audio.path, maxSeconds: GenerationRequest.maxDuration,
                                            stopAfter: request.duration.map { $0 + 1 })
            } catch { throw .media(error) }
            let peak = clip.samples.reduce(Float(0)) { max($0, abs($1)) }
            if peak < 1e-4 {
                throw .invalidRequest(setting: "audio.path", reason: "\(request.audio.path): the audio is silent (peak below −80 dBFS): nothing to drive the video")
            }
            audio = clip
        }
        var notes: [String] = []
        var referenceImage: RGBImage?
        var pose: PoseTrack?
        if request.pose.enabled {
            let track: PoseTrack
            do {
                track = try PoseTrack.load(request.pose.path, fps: Double(fps), canvasWidth: request.pose.canvasWidth,
                                           canvasHeight: request.pose.canvasHeight, inferCanvas: true)
            } catch { throw .media(error) }
            if track.canvasInferred {
                notes.append("pose: \(Clipped(request.pose.path)) does not say its canvas; took \(track.width)×\(track.height), the smallest common video size holding every joint (pose.canvas / --pose-canvas WxH sets it)")
            }
            if track.fractionOutsideCanvas > 0.02 {
                notes.append(String(format: "pose: %.0f %% of the joints lie outside the %d×%d canvas — the poses were probably taken on a larger frame (pose.canvas / --pose-canvas WxH)",
                                    100 * track.fractionOutsideCanvas, track.width, track.height))
            }
            // Lengths taken from inputs are capped like --duration, before resampling multiplies the frames.
            if request.duration == nil, audio == nil, track.duration > GenerationRequest.maxDuration {
                throw .invalidRequest(setting: "pose.path", reason: String(format: "%@: the pose clip lasts %.0f s, more than the %.0f s a video may; pass --duration to use its start",
                                                                          "\(Clipped(request.pose.path))", track.duration, GenerationRequest.maxDuration))
            }
            let resampled = track.resampled(toFPS: Double(fps))
            var fitted = resampled.normalized(toWidth: width, height: height, mode: request.fit)
            if request.pose.retarget && request.reference.enabled {
                let picture = try Self.fittedReference(request, width: width, height: height)
                referenceImage = picture
                switch PoseRetarget.plan(fitted, onto: picture) {
                case .moved(let t):
                    fitted = fitted.moved(by: t)
                    notes.append(String(format: "pose retargeted onto the person in the reference: scale %.2f, shift %+.1f, %+.1f px (pose.retarget = false / --no-retarget keeps it as drawn)",
                                        t.scale, t.dx, t.dy))
                case .cropped:
                    notes.append("pose kept as drawn: the person in the reference or the pose is cut off below, so their sizes cannot be compared")
                case nil:
                    notes.append("pose not retargeted: no person found against the reference's background")
                }
            }
            // Joints lost on the way to the output frame (cropped away, or moved off it).
            let given = Double(resampled.presentJoints), lost = given > 0 ? 1 - Double(fitted.presentJoints) / given : 0
            if lost > 0.1 {
                notes.append(String(format: "pose: %.0f %% of the joints fall outside the %d×%d video (fit %@)", 100 * lost, width, height,
                                    request.fit.rawValue))
            }
            pose = fitted
        }
        self.notes = notes

        let duration = request.duration ?? audio?.duration ?? pose?.duration ?? 0
        let frames = max(1, Int((duration * Double(fps)).rounded()))
        if let pose, pose.frameCount < frames {
            throw .invalidRequest(setting: "pose.path", reason: String(format:
                "%@: the pose clip covers %.2f s (%d frames at %d fps) but the video needs %.2f s (%d frames); pass --duration %.2f or a longer pose clip",
                request.pose.path, pose.duration, pose.frameCount, fps, duration, frames, pose.duration))
        }
        // A --duration longer than the audio is allowed: the video goes on after the audio ends, and the
        // features of those frames repeat the audio's last frame.
        self.duration = duration
        totalFrames = frames
        let clip = audio.map { $0.slice(from: 0, to: duration) }
        self.audio = clip
        self.pose = pose
        let rate = Double(fps)
        let featureStart = DispatchTime.now().uptimeNanoseconds
        audioFeatures = try clip.map { (c: AudioClip) throws(ModelError) -> AudioFeatures in
            try AudioConditioning.features(of: c, fps: rate, config: config.audio)
        }
        audioFeatureSeconds = Double(DispatchTime.now().uptimeNanoseconds - featureStart) / 1e9

        if referenceImage == nil && request.reference.enabled {
            referenceImage = try Self.fittedReference(request, width: width, height: height)
        }
        reference = referenceImage
    }

    static func fittedReference(_ request: GenerationRequest, width: Int, height: Int) throws(ModelError) -> RGBImage {
        do {
            return try ImageFile.decode(request.reference.path).fitted(width: width, height: height, mode: request.fit)
        } catch { throw .media(error) }
    }

    /// Audio features `[1, frames, featureWidth]` of the segment's video frames `first ..< first + count`;
    /// frames past the end repeat the last row.
    func audioRows(first: Int, count: Int) -> Tensor? {
        guard let f = audioFeatures, f.videoFrameCount > 0 else { return nil }
        let width = f.featureWidth
        let t = Tensor(uninitialized: [1, count, width])
        for i in 0..<count {
            let row = min(first + i, f.videoFrameCount - 1)
            f.values.withUnsafeBufferPointer { src in
                (t.data + i * width).update(from: src.baseAddress! + row * width, count: width)
            }
        }
        return t
    }

    /// Pose maps `[count, H, W, 35]` of frames `first ..< first + count` (past the end: the last frame).
    func poseMaps(first: Int, count: Int) -> Tensor? {
        guard let pose, pose.frameCount > 0 else { return nil }
        return PoseGuider.input((0..<count).map { pose.maps(frame: min(first + $0, pose.frameCount - 1), width: width, height: height) })
    }
}
