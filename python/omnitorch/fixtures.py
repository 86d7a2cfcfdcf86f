"""Writes the parity fixtures the Swift tests read (llm.c style: the reference computes, Swift must reproduce).

    python -m omnitorch.fixtures --out Tests/OmniModelTests/Fixtures

Each `vae_<name>.safetensors` holds, for one small VAE shape with seeded random weights: the weights (Swift
layout, `vae.…` keys), `fixture.video` `[T, H, W, 3]`, the posterior `fixture.mean` / `fixture.logvar`
`[T', h, w, z]`, the whole-sequence decode of the mean `fixture.decoded` `[T, H, W, 3]` (unclamped), and the
VAE config as JSON in the metadata key `vae_config`. Float64 is used for the reference computation, so the
fixture is the exact function, not PyTorch's float32 rounding.

`dit_tiny.safetensors` holds the MMDiT (`dit.…`) and pose guider (`poseGuider.…`) of the `random:tiny` shape
(audio features narrowed to keep the file small) with seeded weights, the whole model config as JSON in the
metadata key `model_config`, and one guided forward (`build_dit` documents the `fixture.…` tensors).

`pose_maps.safetensors` holds pose condition maps (`omnitorch.pose_maps`, Swift's `PoseRendering.maps`) of a few
seeded poses with missing joints, on canvases other than the output size (`build_pose_maps` documents it).
"""
from __future__ import annotations

import argparse
import json
import os

import numpy as np
import torch
from safetensors.torch import save_file

from .dit import MMDiT, DiTConfig, PoseGuider, reference_channels
from .generate import Generator, f32, flow_sigmas
from .pose_maps import pose_maps
from .vae import CausalVAE, VAEConfig, to_swift_layout

SHAPES = {
    # The ÷4 shape (two down-sampling stages, both temporal): the new default.
    "d4": VAEConfig(8, [1, 2, 2], 1, [True, True], 4),
    # The ÷8 shape of the first bundled model (three stages, time halved in the last two), with mid attention.
    "d8": VAEConfig(8, [1, 2, 2, 2], 1, [False, True, True], 4, mid_attention=True),
    # The ÷4 shape with its encoder grown to two residual blocks a stage (`train_vae --encoder-res-blocks`).
    "d4e2": VAEConfig(8, [1, 2, 2], 1, [True, True], 4, encoder_res_blocks=2),
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


# ModelConfig.tiny (Sources/OmniModel/ModelPresets.swift) in config.json form, except for the audio features: one
# log-mel row of 80 bins ± 1 neighbour (240 wide) a video frame instead of 4 rows ± 2 (1600), which would be half
# the file.
TINY_MODEL = {
    "format": 1, "architecture": "omni",
    "vae": {"base_channels": 8, "channel_multipliers": [1, 2, 2], "res_blocks": 1, "temporal_downsample": [True, True],
            "z_channels": 4, "mid_attention": False, "latent_mean": [0.0] * 4, "latent_std": [1.0] * 4},
    "dit": {"width": 32, "depth": 2, "heads": 2, "mlp_ratio": 2, "rope_base": 10000, "time_embedding_width": 32,
            "patch_size": 2},
    "audio": {"mel_bins": 80, "mel_frames_per_video_frame": 1, "neighbours": 1, "hidden": 32, "band": 1,
              "encoder": "logmel"},
    "pose": {"map_channels": 35, "guider_channels": [8, 8], "feature_channels": 4},
    "text": {"encoder_width": 384, "max_tokens": 16},
    "video": {"fps": 25, "segment_frames": 9, "motion_frames": 5, "sizes": [[32, 32], [24, 32], [32, 24]]},
    "sampling": {"steps": 4, "shift": 3, "audio_guidance": 2.5, "audio_guidance_end": 1.5, "text_guidance": 3},
}


def build_dit(model: dict, seed: int = 11):
    """One segment of 9 video frames (3 latent frames) at 24×16 pixels: a 6×4 latent grid, 3×2 tokens a latent
    frame (non-square, so rows and columns cannot be confused), four guidance passes (text, audio on/off in every
    combination) at four σ. Tensors, channels-last like the Swift API:
    - `fixture.noisy` `[4, 3, 4, 6, z]`, `fixture.motion` `[1, 3, 4, 6, z]` (first 2 latent frames set),
      `fixture.motion_mask` `[1, 3, 4, 6, 1]`, `fixture.sigmas` `[4]`, `fixture.passes` `[4, 2]` (text_on, audio_on);
    - `fixture.pose_maps` `[9, 16, 24, 35]` in [0, 1] → `fixture.pose_features` `[3, 4, 6, feature_channels]`;
    - `fixture.inputs` `[4, 3, 4, 6, 2z + 1 + feature_channels]`: noisy, motion, mask, pose features concatenated;
    - `fixture.reference` `[1, 1, 4, 6, z]`, `fixture.text` `[1, 5, 384]`, `fixture.audio` `[1, 9, 240]`;
    - `fixture.velocity` `[4, 3, 4, 6, z]` and the reference tokens' final states `fixture.reference_states` `[4, 6, d]`;
    - one training step: `fixture.target` `[4, 3, 4, 6, z]`, `fixture.loss` `[1]` (the MSE of the uncached velocity
      against it over the latent frames after the 2 motion frames) and `grad.dit.<key>` for every DiT parameter
      (float64 gradients rounded to float32, in the Swift layout);
    - three guided Euler steps on the cached path (`sample_three_steps`, not for students): `fixture.sampler_noise`
      `[1, 3, 4, 6, z]` → `fixture.sampled`;
    - for a distilled student (`dit.guidance_embedding` and `dit.step_embedding`, fixture `dit_tiny_student`),
      `fixture.controls` `[4, 3]`: each pass's audio scale, text scale and step size, which the velocities above read;
      the student fixture also has `dit.reference_input`: its inputs end with the reference latent and a presence
      channel in passes 0 and 2 and zeros in passes 1 and 3; and `audio.band_positions` (A band by band, each token
      plus its slot's `audioPositions` row) and `audio.frame_input` (each latent frame's V tokens plus a projection of
      its own video frames' audio, in the passes with audio on).
    Weights and inputs are rounded to float32 before the float64 computation, so the outputs are the exact
    function of what the file stores."""
    cfg = DiTConfig.from_json(model)
    g = torch.Generator().manual_seed(seed)
    randn = lambda *shape: torch.randn(shape, generator=g, dtype=torch.float64)
    f32 = lambda t: t.float().double()
    dit, guider = MMDiT(cfg).double(), PoseGuider(cfg).double()
    with torch.no_grad():
        for module in (dit, guider):
            for name, p in module.named_parameters():
                if name.split(".")[-1] in ("modulation", "finalModulation"):   # adaLN offsets: signed, so every row acts
                    p.copy_(0.2 * randn(*p.shape))
                elif p.dim() == 1 and name.endswith(".bias"):
                    p.copy_(0.1 * randn(*p.shape))
                elif p.dim() == 1:                          # RMS-norm gains near 1
                    p.copy_(1 + 0.2 * randn(*p.shape))
                else:
                    p.copy_(randn(*p.shape) / p[0].numel() ** 0.5)
                p.copy_(f32(p))
    z, s, tf = cfg.z_channels, cfg.spatial_factor, cfg.temporal_factor
    frames, latent_frames, motion_latent_frames, hh, ww = 9, 3, 2, 4, 6
    noisy = f32(randn(4, latent_frames, hh, ww, z))
    motion = torch.zeros(1, latent_frames, hh, ww, z, dtype=torch.float64)
    motion[:, :motion_latent_frames] = f32(randn(1, motion_latent_frames, hh, ww, z))
    mask = torch.zeros(1, latent_frames, hh, ww, 1, dtype=torch.float64)
    mask[:, :motion_latent_frames] = 1
    sigmas = f32(torch.rand(4, generator=g, dtype=torch.float64))
    passes = [(True, True), (True, False), (False, True), (False, False)]
    controls = None
    if cfg.guidance_embedding:
        scales = 1 + 5 * torch.rand(4, 2, generator=g, dtype=torch.float64)
        steps = torch.tensor([[1 / 4], [1 / 8], [1], [0]], dtype=torch.float64)
        controls = f32(torch.cat([scales, steps], dim=1))
    pose_maps = f32(torch.rand(1, frames, hh * s, ww * s, cfg.map_channels, generator=g, dtype=torch.float64))
    reference = f32(randn(1, 1, hh, ww, z))
    text = f32(randn(1, 5, cfg.text_width))
    audio = f32(randn(1, frames, cfg.audio_feature_width))
    assert frames == 1 + tf * (latent_frames - 1)
    with torch.no_grad():
        pose = guider(pose_maps)
        parts = [noisy, motion.expand(4, -1, -1, -1, -1), mask.expand(4, -1, -1, -1, -1), pose.expand(4, -1, -1, -1, -1)]
        # With reference_input: the reference in every frame of passes 0 and 2, zeros (reference off) in 1 and 3.
        aligned = reference_channels(cfg, reference.expand(4, -1, -1, -1, -1), torch.tensor([True, False, True, False]), latent_frames)
        inputs = torch.cat(parts + ([aligned] if aligned is not None else []), dim=-1)
        velocity, reference_states = dit(inputs, sigmas, passes, reference, text, audio, controls=controls)
        cached = dit.velocity(inputs, sigmas, passes, dit.condition_kv(reference, text, audio, latent_frames), controls=controls)
    # The two Python paths agree (to float64 rounding) before Swift is asked to match either.
    assert (cached - velocity).norm() / velocity.norm() < 1e-12
    # One training step of the DiT: the trainer's loss (MSE against a target over the latent frames after the
    # motion frames, every pass) and every DiT parameter's gradient, in float64.
    target = f32(randn(4, latent_frames, hh, ww, z))
    v, _ = dit(inputs, sigmas, passes, reference, text, audio, controls=controls)
    loss = (v[:, motion_latent_frames:] - target[:, motion_latent_frames:]).pow(2).mean()
    dit.zero_grad(set_to_none=True)
    loss.backward()
    missing = [n for n, p in dit.named_parameters() if p.grad is None]
    assert not missing, f"parameters without a gradient: {missing}"
    grads = {"grad.dit." + n: to_swift_layout(p.grad.float()) for n, p in dit.named_parameters()}
    sampled = sample_three_steps(dit, f32(randn(1, latent_frames, hh, ww, z)), inputs[:1, ..., z:],
                                 (reference, text, audio)) if not cfg.guidance_embedding else None
    tensors = {**dit.float().swift_state(), **guider.float().swift_state(), **grads}
    c = lambda t: t.float().contiguous()
    tensors.update({
        "fixture.noisy": c(noisy), "fixture.motion": c(motion), "fixture.motion_mask": c(mask),
        "fixture.sigmas": c(sigmas), "fixture.passes": torch.tensor(passes, dtype=torch.float32),
        "fixture.pose_maps": c(pose_maps[0]), "fixture.pose_features": c(pose[0]), "fixture.inputs": c(inputs),
        "fixture.reference": c(reference), "fixture.text": c(text), "fixture.audio": c(audio),
        "fixture.velocity": c(velocity), "fixture.reference_states": c(reference_states),
        "fixture.target": c(target), "fixture.loss": c(loss.detach().reshape(1))})
    if sampled is not None:
        tensors.update({"fixture.sampler_noise": c(sampled[0]), "fixture.sampled": c(sampled[1])})
    if controls is not None:
        tensors["fixture.controls"] = c(controls)
    return tensors, {"model_config": json.dumps(model), "generator": "python -m omnitorch.fixtures"}


def sample_three_steps(dit, noise, rest, conditions, steps=3, shift=3.0, text_scale=4.0, audio=(2.5, 1.5)):
    """Swift's sampler on the cached path, op for op: the shifted σ grid, classifier-free guidance on text (constant)
    and audio (annealed linearly), passes (all on, audio off, both off) weighted (s_a, s_x − s_a, 1 − s_x), Euler
    steps x += (σ_{k+1} − σ_k)·v; σ and the step rounded to float32 as Swift feeds them. `rest`: the input channels
    after the noisy latent (motion, mask, pose, …). Returns (noise, x after the last step)."""
    sigmas = [f32(s) for s in flow_sigmas(steps, shift)]
    with torch.no_grad():
        cond = dit.condition_kv(*conditions, latent_frames=noise.shape[1])
        x = noise.clone()
        for k in range(steps):
            plan = Generator.guidance(True, True, text_scale, audio, k, steps)
            batch = torch.cat([torch.cat([x, rest], dim=-1)] * len(plan))
            v_all = dit.velocity(batch, torch.full((len(plan),), sigmas[k], dtype=torch.float64), [p for p, _ in plan], cond)
            v = sum(w * v_all[i:i + 1] for i, (_, w) in enumerate(plan))
            x = x + (sigmas[k + 1] - sigmas[k]) * v
    return noise, x


def build_pose_maps(seed: int = 5):
    """Cases (listed as JSON in the metadata key `cases`: `canvas` [w, h], `size` [w, h] of the output, `joint_sigma`
    and `limb_sigma`, null for the defaults), each with `caseN.keypoints` `[N, 18, 3]` (x, y on the canvas,
    confidence) and the maps `caseN.maps` `[N, h, w, 35]`:
    - case 0: a 40×30 canvas onto 32×24 output (non-square, not the canvas), default σ (0.75 and 0.5 px); three
      poses: joints missing at random, one with a zero-length limb (an eye on the nose) and joints off the canvas,
      one with no joint at all;
    - case 1: a 64×64 canvas onto 20×24 output (a portrait grid), σ 1.7 and 0.9 px; two poses.
    Keypoints are float32 (what Swift reads); the maps are the float64 computation rounded to float32."""
    g = torch.Generator().manual_seed(seed)
    cases, tensors = [], {}

    def poses(n, cw, ch):
        xy = torch.rand(n, 18, 2, generator=g, dtype=torch.float64) * torch.tensor([cw * 1.2, ch * 1.2]) - torch.tensor([cw * 0.1, ch * 0.1])
        conf = 0.2 + 0.8 * torch.rand(n, 18, 1, generator=g, dtype=torch.float64)
        kp = torch.cat([xy, conf], dim=-1).float()
        kp[torch.rand(n, 18, generator=g) < 0.2] = 0     # missing joints are (0, 0, 0), as in a pack
        return kp

    for cw, ch, w, h, sj, sl, n in [(40, 30, 32, 24, None, None, 3), (64, 64, 20, 24, 1.7, 0.9, 2)]:
        kp = poses(n, cw, ch)
        if len(cases) == 0:
            kp[0, 15] = kp[0, 0]                            # left eye on the nose: limb 15 has length 0
            kp[0, 0, 2] = kp[0, 15, 2] = 0.9
            kp[1, 4] = torch.tensor([-7.5, 12.25, 0.5])     # a wrist left of the canvas
            kp[1, 3] = torch.tensor([3.0, 11.0, 0.7])
            kp[2] = 0                                      # nobody
        i = len(cases)
        tensors[f"case{i}.keypoints"] = kp.contiguous()
        tensors[f"case{i}.maps"] = pose_maps(kp, cw, ch, w, h, sj, sl).contiguous()
        cases.append({"canvas": [cw, ch], "size": [w, h], "joint_sigma": sj, "limb_sigma": sl})
    return tensors, {"cases": json.dumps(cases), "generator": "python -m omnitorch.fixtures"}


def build_generation(out: str, seed: int = 13):
    """A model folder written by omnitorch (`generation_tiny/`: config.json, model.safetensors — the `random:tiny`
    shape with the pixel-aligned reference input, non-trivial latent statistics, seeded weights) and
    `generation_tiny/expected.safetensors`: `fixture.reference` `[32, 32, 3]` (uint8 values as float32) and
    `fixture.frames` `[17, 32, 32, 3]`, the video `omnitorch.generate` makes from that reference with seed 5 — three
    segments (9 frames, then two continuations of 4), the first continuing from the reference held still, 4 Euler
    steps; and `fixture.frames_motion_noise`, the same with `motion_noise` 0.3. Swift's `Generation` must make the
    same frames from the same folder (TorchParityTests)."""
    g = torch.Generator().manual_seed(seed)
    z = TINY_MODEL["vae"]["z_channels"]
    model = {**TINY_MODEL,
             "vae": {**TINY_MODEL["vae"], "latent_mean": [round(0.1 * float(v), 4) for v in torch.randn(z, generator=g)],
                     "latent_std": [round(0.6 + 0.8 * float(v), 4) for v in torch.rand(z, generator=g)]},
             "dit": {**TINY_MODEL["dit"], "reference_input": True}}
    vae_tensors, _ = build("generation", VAEConfig.from_json(model["vae"]), seed=seed)
    dit_tensors, _ = build_dit(model, seed=seed + 1)
    tensors = {k: v for k, v in {**vae_tensors, **dit_tensors}.items() if not k.startswith(("fixture.", "grad."))}
    folder = os.path.join(out, "generation_tiny")
    os.makedirs(folder, exist_ok=True)
    write(os.path.join(folder, "model.safetensors"), tensors, {"format": "omni", "source": "python -m omnitorch.fixtures"})
    with open(os.path.join(folder, "config.json.partial"), "w") as f:
        json.dump(model, f, indent=2, sort_keys=True)
    os.replace(os.path.join(folder, "config.json.partial"), os.path.join(folder, "config.json"))
    # A reference with structure (a gradient and a bright square), so every latent carries something.
    yy, xx = torch.meshgrid(torch.arange(32), torch.arange(32), indexing="ij")
    reference = torch.stack([xx * 8, yy * 8, (xx + yy) * 4], dim=-1).clamp(0, 255)
    reference[10:20, 12:22] = torch.tensor([230, 200, 40])
    reference = reference.to(torch.uint8).numpy()
    frames = Generator(folder).generate(17, 5, reference)
    noisy = Generator(folder).generate(17, 5, reference, motion_noise=0.3)
    return {"fixture.reference": torch.from_numpy(np.ascontiguousarray(reference)).float(),
            "fixture.frames": torch.from_numpy(np.ascontiguousarray(frames)).float(),
            "fixture.frames_motion_noise": torch.from_numpy(np.ascontiguousarray(noisy)).float()}


def write(path: str, tensors, meta):
    save_file(tensors, path + ".partial", metadata=meta)
    os.replace(path + ".partial", path)
    print(f"{path}: {sum(t.numel() for t in tensors.values())} values, {os.path.getsize(path)} bytes")


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--out", default="Tests/OmniModelTests/Fixtures")
    ap.add_argument("--only", help="comma-separated fixture names (vae_d4, vae_d8, vae_d4e2, dit_tiny, dit_tiny_student, pose_maps, generation_tiny/expected); default all")
    args = ap.parse_args()
    os.makedirs(args.out, exist_ok=True)
    builders = {f"vae_{name}": (lambda name=name, cfg=cfg: build(name, cfg)) for name, cfg in SHAPES.items()}
    builders["dit_tiny"] = lambda: build_dit(TINY_MODEL)
    builders["dit_tiny_student"] = lambda: build_dit(
        {**TINY_MODEL, "dit": {**TINY_MODEL["dit"], "guidance_embedding": True, "step_embedding": True,
                               "reference_input": True},
         "audio": {**TINY_MODEL["audio"], "band_positions": True, "frame_input": True}}, seed=12)
    builders["pose_maps"] = build_pose_maps

    builders["generation_tiny/expected"] = lambda: (build_generation(args.out), {"generator": "python -m omnitorch.fixtures"})
    chosen = args.only.split(",") if args.only else list(builders)
    for name in chosen:
        if name not in builders:
            raise SystemExit(f"--only: unknown fixture {name!r} (known: {', '.join(builders)})")
        write(os.path.join(args.out, f"{name}.safetensors"), *builders[name]())


if __name__ == "__main__":
    main()
