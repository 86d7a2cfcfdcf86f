"""Pose condition maps, mirroring `PoseRendering.maps` (Sources/OmniMedia/PoseRendering.swift) for any batch of frames.

Input: COCO-18 keypoints `[..., 18, 3]` (x, y in pixels of a `canvas_width × canvas_height` canvas, confidence; a
joint is present when its confidence is > 0). Output: `[..., height, width, 35]` float32, channels-last like the
Swift `PoseMaps`:
- channels 0 … 17: joint c's Gaussian heatmap exp(−d²/2σ_j²), d the distance in output pixels from the pixel
  centre (x, y) (integer coordinates) to the joint; all zero for a missing joint;
- channels 18 … 34: limb c − 18 of `LIMBS`, exp(−d²/2σ_l²) with d the distance to the segment between its joints;
  all zero when either joint is missing;
- 0 beyond 4σ (d² > 16σ²).
Canvas → output keeps pixel centres: x' = (x + 0.5)·width/canvas_width − 0.5 (likewise y). σ in output pixels;
defaults σ_j = max(0.5, min(width, height)/32), σ_l = max(0.5, σ_j/2), both float32 as in Swift.

Swift computes each value in float64 and rounds it to float32; so does this module (float64 inside, on the
keypoints' device), which makes the two agree to float32 rounding (the parity fixture checks ≤ 1e-5).
"""
from __future__ import annotations

import numpy as np
import torch

CHANNELS = 35
JOINTS = 18

# OpenPose's 17 drawn limbs of COCO-18 (joint indices in PoseJoint order: nose, neck, right shoulder, elbow, wrist,
# left shoulder, elbow, wrist, right hip, knee, ankle, left hip, knee, ankle, right eye, left eye, right ear, left ear).
LIMBS = [(1, 2), (1, 5), (2, 3), (3, 4), (5, 6), (6, 7), (1, 8), (8, 9), (9, 10), (1, 11), (11, 12), (12, 13),
         (1, 0), (0, 14), (14, 16), (0, 15), (15, 17)]


def default_sigma(width: int, height: int) -> float:
    """`max(0.5, min(width, height) / 32)` in float32 (2 px at 64×64), output pixels."""
    return float(max(np.float32(0.5), np.float32(min(width, height)) / np.float32(32)))


def pose_maps(keypoints: torch.Tensor, canvas_width: int, canvas_height: int, width: int, height: int,
              joint_sigma: float | None = None, limb_sigma: float | None = None,
              max_elements: int = 1 << 24) -> torch.Tensor:
    """Maps `[..., height, width, 35]` float32 of keypoints `[..., 18, 3]` (see the module docstring).
    `max_elements` bounds the float64 working set: frames are done in chunks of about that many map values."""
    if min(width, height, canvas_width, canvas_height) <= 0:
        raise ValueError("pose maps need positive sizes")
    if keypoints.shape[-2:] != (JOINTS, 3):
        raise ValueError(f"keypoints must be [..., 18, 3], got {tuple(keypoints.shape)}")
    # σ as Swift's Float, then widened to Double for the arithmetic.
    sj = np.float32(joint_sigma) if joint_sigma is not None else np.float32(default_sigma(width, height))
    sl = np.float32(limb_sigma) if limb_sigma is not None else max(np.float32(0.5), sj / np.float32(2))
    if not (sj > 0 and sl > 0):
        raise ValueError("pose map σ must be positive")
    lead = keypoints.shape[:-2]
    kp = keypoints.reshape(-1, JOINTS, 3)
    n, device = kp.shape[0], kp.device
    out = torch.empty(n, height, width, CHANNELS, dtype=torch.float32, device=device)
    if n == 0:
        return out.reshape(*lead, height, width, CHANNELS)
    a = torch.tensor([p for p, _ in LIMBS], device=device)
    b = torch.tensor([q for _, q in LIMBS], device=device)
    sigma = torch.tensor([float(sj)] * JOINTS + [float(sl)] * len(LIMBS), dtype=torch.float64, device=device)
    sigma = sigma[None, :, None, None]
    cutoff, spread = 16 * sigma * sigma, 2 * sigma * sigma
    xs = torch.arange(width, dtype=torch.float64, device=device)[None, None, None, :]
    ys = torch.arange(height, dtype=torch.float64, device=device)[None, None, :, None]
    sx, sy = float(width) / float(canvas_width), float(height) / float(canvas_height)
    chunk = max(1, max_elements // (CHANNELS * height * width))
    for s in range(0, n, chunk):
        k = kp[s:s + chunk].to(torch.float64)
        present = k[..., 2] > 0
        px, py = (k[..., 0] + 0.5) * sx - 0.5, (k[..., 1] + 0.5) * sy - 0.5       # [m, 18] output pixels
        # Every channel is a segment p–q (a joint: p = q), so one formula draws both kinds.
        p_x = torch.cat([px, px[:, a]], dim=1)[..., None, None]
        p_y = torch.cat([py, py[:, a]], dim=1)[..., None, None]
        q_x = torch.cat([px, px[:, b]], dim=1)[..., None, None]
        q_y = torch.cat([py, py[:, b]], dim=1)[..., None, None]
        on = torch.cat([present, present[:, a] & present[:, b]], dim=1)[..., None, None]
        dx, dy = q_x - p_x, q_y - p_y
        length2 = dx * dx + dy * dy
        # Swift's squaredDistance, operation for operation: t = clamp(((x−px)·dx + (y−py)·dy) / |pq|², 0, 1),
        # 0 for a point; e = (x, y) − (p + t·(q − p)).
        t = ((xs - p_x) * dx + (ys - p_y) * dy) / torch.where(length2 > 0, length2, torch.ones_like(length2))
        t = torch.where(length2 > 0, t.clamp(0, 1), torch.zeros_like(t))
        ex, ey = xs - (p_x + t * dx), ys - (p_y + t * dy)
        d2 = ex * ex + ey * ey                                                   # [m, 35, H, W]
        values = torch.where((d2 <= cutoff) & on, torch.exp(-d2 / spread), torch.zeros_like(d2))
        out[s:s + chunk] = values.permute(0, 2, 3, 1).to(torch.float32)
    return out.reshape(*lead, height, width, CHANNELS)
