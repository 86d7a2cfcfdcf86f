import OmniMedia
import OmniTensor
import OmniWorld

/// Per-latent-position loss weights `[1, T', h, w, 1]` that favour the mouth (`ConditionRatios.mouthWeight`): 1 + λ
/// on the latent positions the eval's mouth box (`SyncMetric.mouthBox`) touches in any of the frames a latent frame
/// covers, 1 elsewhere. The causal VAE's latent frame 0 covers frame 0 and latent frame k the frames
/// `temporalFactor·(k − 1) + 1 … temporalFactor·k`; latent position (i, j) covers pixels `spatialFactor` wide. A frame
/// missing any joint the mouth box is placed from (nose, eyes, ears: a head at the frame's edge) adds nothing.
public enum MouthLossWeights {
    public static func weights(poses: [PoseFrame], width: Int, height: Int, latentFrames: Int, temporalFactor: Int,
                               spatialFactor: Int, weight: Float) -> Tensor {
        let gh = height / spatialFactor, gw = width / spatialFactor
        let out = Tensor(uninitialized: [1, latentFrames, gh, gw, 1])
        out.data.update(repeating: 1, count: out.count)
        for k in 0..<latentFrames {
            let frames = k == 0 ? 0...0 : (temporalFactor * (k - 1) + 1)...(temporalFactor * k)
            for f in frames where f < poses.count {
                let pose = poses[f]
                let face: [PoseJoint] = [.nose, .rightEye, .leftEye, .rightEar, .leftEar]
                guard face.allSatisfy({ pose[$0].isPresent }) else { continue }
                let (x0, y0, x1, y1) = SyncMetric.mouthBox(pose, width: width, height: height)
                for i in (y0 / spatialFactor)...(y1 / spatialFactor) where i < gh {
                    for j in (x0 / spatialFactor)...(x1 / spatialFactor) where j < gw {
                        out.data[(k * gh + i) * gw + j] = 1 + weight
                    }
                }
            }
        }
        return out
    }
}
