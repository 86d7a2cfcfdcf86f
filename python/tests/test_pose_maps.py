"""omnitorch.pose_maps against the Swift parity fixture and against a per-pixel transcription of
PoseRendering.maps (Sources/OmniMedia/PoseRendering.swift)."""
import json
import math
import os

import numpy as np
import torch
from safetensors import safe_open
from safetensors.torch import load_file

from omnitorch.pose_maps import LIMBS, default_sigma, pose_maps

FIXTURE = os.path.join(os.path.dirname(__file__), "..", "..", "Tests", "OmniModelTests", "Fixtures", "pose_maps.safetensors")


def test_pose_maps_reproduce_the_fixture():
    tensors = load_file(FIXTURE)
    cases = json.loads(safe_open(FIXTURE, "pt").metadata()["cases"])
    for i, c in enumerate(cases):
        maps = pose_maps(tensors[f"case{i}.keypoints"], *c["canvas"], *c["size"], c["joint_sigma"], c["limb_sigma"])
        assert maps.shape == tensors[f"case{i}.maps"].shape
        assert float((maps - tensors[f"case{i}.maps"]).abs().max()) <= 1e-5


def swift_maps(kp, canvas_w, canvas_h, w, h, sj=None, sl=None):
    """PoseRendering.maps, loop for loop: projection, bounding box grown by 4σ, squared distance to the segment."""
    sj = np.float32(sj) if sj is not None else np.float32(default_sigma(w, h))
    sl = np.float32(sl) if sl is not None else max(np.float32(0.5), sj / np.float32(2))
    out = np.zeros((h, w, 35), dtype=np.float32)
    sx, sy = w / canvas_w, h / canvas_h
    pts = [((float(x) + 0.5) * sx - 0.5, (float(y) + 0.5) * sy - 0.5) if c > 0 else None for x, y, c in kp.tolist()]

    def splat(ch, p, q, sigma):
        s = float(sigma)
        x0, x1 = max(0, math.floor(min(p[0], q[0]) - 4 * s)), min(w - 1, math.ceil(max(p[0], q[0]) + 4 * s))
        y0, y1 = max(0, math.floor(min(p[1], q[1]) - 4 * s)), min(h - 1, math.ceil(max(p[1], q[1]) + 4 * s))
        for y in range(y0, y1 + 1):
            for x in range(x0, x1 + 1):
                dx, dy = q[0] - p[0], q[1] - p[1]
                l2 = dx * dx + dy * dy
                t = min(1, max(0, ((x - p[0]) * dx + (y - p[1]) * dy) / l2)) if l2 > 0 else 0.0
                ex, ey = x - (p[0] + t * dx), y - (p[1] + t * dy)
                d2 = ex * ex + ey * ey
                if d2 <= 16 * s * s:
                    out[y, x, ch] = math.exp(-d2 / (2 * s * s))

    for c, p in enumerate(pts):
        if p is not None:
            splat(c, p, p, sj)
    for l, (a, b) in enumerate(LIMBS):
        if pts[a] is not None and pts[b] is not None:
            splat(18 + l, pts[a], pts[b], sl)
    return out


def test_pose_maps_equal_a_per_pixel_transcription():
    g = torch.Generator().manual_seed(1)
    kp = torch.cat([torch.rand(2, 18, 2, generator=g) * torch.tensor([30.0, 20.0]), 0.5 + torch.rand(2, 18, 1, generator=g)], -1)
    kp[0, 3] = 0
    kp[1, 14] = kp[1, 0]                      # a zero-length limb (nose–right eye)
    for size, sigmas in (((12, 10), (None, None)), ((9, 14), (1.3, 0.6))):
        maps = pose_maps(kp, 30, 20, *size, *sigmas)
        for n in range(2):
            ref = swift_maps(kp[n], 30, 20, *size, *sigmas)
            assert np.abs(maps[n].numpy() - ref).max() <= 1e-7
