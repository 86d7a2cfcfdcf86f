"""Writes the parity fixtures the Swift tests read (llm.c style: the reference computes, Swift must reproduce).

    python -m omnitorch.fixtures --out Tests/OmniModelTests/Fixtures

Each `vae_<name>.safetensors` holds, for one small VAE shape with seeded random weights: the weights (Swift
layout, `vae.…` keys), `fixture.video` `[T, H, W, 3]`, the posterior `fixture.mean` / `fixture.logvar`
`[T', h, w, z]`, the whole-sequence decode of the mean `fixture.decoded` `[T, H, W, 3]` (unclamped), and the
VAE config as JSON in the metadata key `vae_config`. Float64 is used for the reference computation, so the
fixture is the exact function, not PyTorch's float32 rounding.
"""
from __future__ import annotations

import argparse
import json
import os

import torch
from safetensors.torch import save_file

from .vae import CausalVAE, VAEConfig

SHAPES = {
    # The ÷4 shape (two down-sampling stages, both temporal): the new default.
    "d4": VAEConfig(8, [1, 2, 2], 1, [True, True], 4),
    # The ÷8 shape of the first bundled model (three stages, time halved in the last two), with mid attention.
    "d8": VAEConfig(8, [1, 2, 2, 2], 1, [False, True, True], 4, mid_attention=True),
}


def build(name: str, cfg: VAEConfig, seed: int = 7):
    g = torch.Generator().manual_seed(seed)
    vae = CausalVAE(cfg).double()
    with torch.no_grad():
        for _, p in vae.named_parameters():
            # Norm gains near 1, everything else small and signed, so every path contributes.
            if p.dim() == 1 and p.shape[0] > 0:
                p.copy_(1 + 0.2 * torch.randn(p.shape, generator=g, dtype=torch.float64))
            else:
                fan_in = p[0].numel() if p.dim() > 1 else 1
                p.copy_(torch.randn(p.shape, generator=g, dtype=torch.float64) / fan_in ** 0.5)
        # Biases signed around 0 (the loop set every 1-D tensor near 1).
        for n, p in vae.named_parameters():
            if n.endswith(".bias"):
                p.copy_(0.1 * torch.randn(p.shape, generator=g, dtype=torch.float64))
    frames, size = 1 + 2 * cfg.temporal_factor, 2 * cfg.spatial_factor
    video = torch.rand(1, 3, frames, size, size, generator=g, dtype=torch.float64) * 2 - 1
    with torch.no_grad():
        mean, logvar = vae.encode(video)
        decoded = vae.decode(mean)
    last = lambda t: t[0].permute(1, 2, 3, 0).contiguous().float()   # [C, T, H, W] → [T, H, W, C]
    tensors = {k: v for k, v in vae.float().swift_state().items()}
    tensors.update({"fixture.video": last(video), "fixture.mean": last(mean), "fixture.logvar": last(logvar),
                    "fixture.decoded": last(decoded)})
    return tensors, {"vae_config": json.dumps(cfg.to_json()), "generator": "python -m omnitorch.fixtures"}


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--out", default="Tests/OmniModelTests/Fixtures")
    args = ap.parse_args()
    os.makedirs(args.out, exist_ok=True)
    for name, cfg in SHAPES.items():
        tensors, meta = build(name, cfg)
        path = os.path.join(args.out, f"vae_{name}.safetensors")
        save_file(tensors, path + ".partial", metadata=meta)
        os.replace(path + ".partial", path)
        print(f"{path}: {sum(t.numel() for t in tensors.values())} values")


if __name__ == "__main__":
    main()
