"""Shared helpers of the omnitorch tests: a tiny model folder with seeded weights and a synthetic DiT pack that
follows `omnistudio train pack`'s contract (Sources/OmniTrain/DiTPack.swift), small enough for a CPU.

    cd python && python -m pytest tests
"""
from __future__ import annotations

import copy
import json
import os
import sys

import pytest
import torch
from safetensors.torch import save_file

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))

from omnitorch.dit import DiTConfig, MMDiT, PoseGuider  # noqa: E402
from omnitorch.fixtures import TINY_MODEL  # noqa: E402
from omnitorch.vae import CausalVAE, VAEConfig  # noqa: E402

torch.set_num_threads(1)

# The fixtures' tiny shape (VAE ÷4 in space and time, DiT width 32 with 2×2 patches, log-mel audio of 80 bins a
# video frame ± 1 neighbour), with latent statistics that are not the identity, so normalisation is exercised.
TINY = copy.deepcopy(TINY_MODEL)
TINY["vae"]["latent_mean"] = [0.1, -0.2, 0.05, 0.0]
TINY["vae"]["latent_std"] = [0.9, 1.1, 0.8, 1.25]
SIZES = [(24, 16), (16, 16)]     # (width, height): multiples of 4 (VAE) × 2 (patch)
FRAMES = 12                       # a clip's frames: windows of 9 start at 0…3
CAPTION_LENGTHS = [2, 6, 4]


def write_model_folder(folder: str, config: dict = TINY, seed: int = 3, dtype=torch.float16) -> dict[str, torch.Tensor]:
    """A model folder (config.json + model.safetensors with every `vae.…` (preview too), `dit.…` and
    `poseGuider.…` key, Swift layout, `dtype`) with seeded weights; returns the tensors as written."""
    torch.manual_seed(seed)
    vae, cfg = CausalVAE(VAEConfig.from_json(config["vae"])), DiTConfig.from_json(config)
    dit, guider = MMDiT(cfg), PoseGuider(cfg)
    g = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for module in (dit, guider):
            for name, p in module.named_parameters():
                if p.dim() >= 2 and not name.endswith(("modulation", "Modulation")):
                    p.copy_(torch.randn(p.shape, generator=g) / p[0].numel() ** 0.5)
                else:
                    p.copy_((1.0 if p.dim() == 1 and name.endswith(".weight") else 0.0) + 0.1 * torch.randn(p.shape, generator=g))
        vae.preview.weight.copy_(torch.randn(vae.preview.weight.shape, generator=g))
        vae.preview.bias.copy_(torch.randn(vae.preview.bias.shape, generator=g))
    tensors = {k: v.to(dtype).contiguous() for k, v in {**vae.swift_state(), **dit.swift_state(), **guider.swift_state()}.items()}
    os.makedirs(folder, exist_ok=True)
    save_file(tensors, os.path.join(folder, "model.safetensors"), metadata={"format": "omni"})
    with open(os.path.join(folder, "config.json"), "w") as f:
        json.dump(config, f, indent=2)
    return tensors


def write_pack(folder: str, config: dict = TINY, clips: int = 3, frames: int = FRAMES, seed: int = 9,
               sizes=SIZES, caption_lengths=CAPTION_LENGTHS):
    """A synthetic DiT pack: per size `clips` clips of `frames` frames of random pixels, a random reference, poses
    with some joints missing (0, 0, 0), random F16 audio rows and F16 caption states zero-padded to the longest."""
    g = torch.Generator().manual_seed(seed)
    os.makedirs(folder, exist_ok=True)
    a = config["audio"]
    fw = a["mel_frames_per_video_frame"] * a["mel_bins"]
    width = config["text"]["encoder_width"]
    longest = max(caption_lengths)
    states = torch.zeros(len(caption_lengths), longest, width)
    for i, n in enumerate(caption_lengths):
        states[i, :n] = torch.randn(n, width, generator=g)
    save_file({"states": states.half(), "lengths": torch.tensor(caption_lengths, dtype=torch.int64)},
              os.path.join(folder, "captions.safetensors"))
    buckets = []
    for b, (w, h) in enumerate(sizes):
        pose = torch.rand(clips, frames, 18, 3, generator=g) * torch.tensor([w, h, 1.0])
        pose[torch.rand(clips, frames, 18, generator=g) < 0.25] = 0
        name = f"{w}x{h}.safetensors"
        save_file({
            "video": torch.randint(0, 256, (clips, frames, h, w, 3), generator=g, dtype=torch.uint8),
            "reference": torch.randint(0, 256, (clips, h, w, 3), generator=g, dtype=torch.uint8),
            "pose": pose.contiguous(),
            "audio": torch.randn(clips, frames, fw, generator=g).half(),
            "caption": torch.randint(0, len(caption_lengths), (clips,), generator=g, dtype=torch.int64),
        }, os.path.join(folder, name))
        buckets.append({"width": w, "height": h, "file": name, "clips": [(seed << 32) | (b * clips + i) for i in range(clips)]})
    manifest = {"format": 1, "model_config": config, "fps": config["video"]["fps"], "seconds": frames / config["video"]["fps"],
                "seed": seed, "real_speech": False, "audio_encoder": a.get("encoder", "logmel"), "audio_frame_width": fw,
                "captions": [f"caption {i}" for i in range(len(caption_lengths))], "buckets": buckets}
    with open(os.path.join(folder, "pack.json"), "w") as f:
        json.dump(manifest, f, indent=1)


@pytest.fixture(scope="session")
def tiny_data(tmp_path_factory):
    """(model folder, pack folder) shared by the tests (read-only)."""
    root = tmp_path_factory.mktemp("tiny")
    model, pack = str(root / "model"), str(root / "pack")
    write_model_folder(model)
    write_pack(pack)
    return model, pack
