"""Segment-wise generation in PyTorch, as `omnistudio generate` does it (Sources/OmniModel/Pipeline/Generation.swift,
docs/ARCHITECTURE.md §3.4), so a model folder gives the same video in both.

What it mirrors, step for step: the segment plan (segments of `segment_frames`, each continuation starting from the
last `motion_frames` delivered 8-bit frames, re-encoded from scratch); the first segment continuing from the
reference held still when `starts_video` is on; noise from `RandomStream(seed).split(segment)` (the same Philox
normals, `omnitorch.random_stream`); the shifted σ grid and Euler steps with σ and step sizes rounded to float32;
classifier-free guidance passes weighted as `GuidancePlan` does (text scale constant, audio scale annealed linearly,
both given here as condition tensors); after every step the motion latents put back on the flow path
x_σ = (1 − σ)·m + σ·ε; and one causal decoder stream for the whole video, each segment adding its new latent frames.

Conditions come in as tensors (the reference picture as uint8 pixels at the output size, text token states, audio
feature rows per video frame, pose maps per video frame) — the encoders that make them (MiniLM, Whisper, pose
rendering) have their own parity checks. The DiT and VAE run in float64 on float32 weights.
"""
from __future__ import annotations

import argparse
import json
from dataclasses import dataclass

import numpy as np
import torch

from .dit import DiTConfig, MMDiT, PoseGuider, reference_channels
from .random_stream import RandomStream
from .train_dit import load_model_folder
from .vae import CausalVAE, VAEConfig


@dataclass
class Segment:
    index: int
    first_frame: int
    kept: range          # frames of the segment (indices within it) that go into the video
    has_motion: bool


def segment_plan(total_frames: int, segment_frames: int, motion_frames: int) -> list[Segment]:
    """Swift's `SegmentPlan`."""
    segments, written, start = [], 0, 0
    while written < total_frames:
        motion = bool(segments)
        first = motion_frames if motion else 0
        keep = min(segment_frames - first, total_frames - written)
        segments.append(Segment(len(segments), start, range(first, first + keep), motion))
        written += keep
        start += segment_frames - motion_frames
    return segments


def f32(v: float) -> float:
    return float(np.float32(v))


def flow_sigmas(steps: int, shift: float) -> list[float]:
    """`FlowSchedule.sigmas`: σ_i = shift·s / (1 + (shift − 1)·s), s = 1 − i/steps, i = 0 … steps (float64)."""
    return [shift * (1 - i / steps) / (1 + (shift - 1) * (1 - i / steps)) for i in range(steps + 1)]


class Generator:
    """A loaded model folder. `generate(...)` returns the video's frames, uint8 `[N, H, W, 3]`."""

    def __init__(self, folder: str):
        self.config, tensors = load_model_folder(folder)
        self.dcfg, self.vcfg = DiTConfig.from_json(self.config), VAEConfig.from_json(self.config["vae"])
        self.dit, self.vae, self.guider = MMDiT(self.dcfg), CausalVAE(self.vcfg), PoseGuider(self.dcfg)
        for module, prefix in ((self.dit, "dit."), (self.vae, "vae."), (self.guider, "poseGuider.")):
            module.load_swift_state({k: v.float() for k, v in tensors.items() if k.startswith(prefix)}, prefix)
            module.double().eval()
        z = self.vcfg.z_channels
        self.latent_mean = torch.tensor(np.asarray(self.vcfg.latent_mean or [0.0] * z, dtype=np.float32), dtype=torch.float64)
        # Swift multiplies by the float32 reciprocal of the std (`CausalVAE.normalize`).
        self.latent_scale = torch.tensor(1 / np.asarray(self.vcfg.latent_std or [1.0] * z, dtype=np.float32), dtype=torch.float64)
        self.latent_std = torch.tensor(np.asarray(self.vcfg.latent_std or [1.0] * z, dtype=np.float32), dtype=torch.float64)

    # -- the VAE as the pipeline uses it ---------------------------------------------------------------------

    def latents_of(self, frames_u8: np.ndarray) -> torch.Tensor:
        """Normalised posterior means `[T', h, w, z]` of uint8 frames `[T, H, W, 3]`, encoded from scratch."""
        x = torch.from_numpy(frames_u8.astype(np.float32) / np.float32(127.5) - np.float32(1)).double()
        mean, _ = self.vae.encode(x.permute(3, 0, 1, 2)[None])
        return (mean[0].permute(1, 2, 3, 0) - self.latent_mean) * self.latent_scale

    @staticmethod
    def to_u8(pixels: torch.Tensor) -> np.ndarray:
        """`FrameTensor.frames`: [−1, 1] clamped, (p + 1)·127.5 rounded half away from zero."""
        p = ((pixels.clamp(-1, 1).float() + 1) * 127.5).numpy()
        return np.clip(np.floor(p + 0.5), 0, 255).astype(np.uint8)

    # -- generation ------------------------------------------------------------------------------------------

    @torch.no_grad()
    def generate(self, total_frames: int, seed: int, reference: np.ndarray | None = None, starts_video: bool = True,
                 text_states: torch.Tensor | None = None, audio_rows: torch.Tensor | None = None,
                 pose_maps: torch.Tensor | None = None, steps: int | None = None, shift: float | None = None,
                 text_scale: float | None = None, audio_scale: tuple[float, float] | None = None,
                 motion_noise: float | None = None) -> np.ndarray:
        """`reference` uint8 `[H, W, 3]` at the output size; `text_states` `[L, text_width]`; `audio_rows`
        `[F, audio_feature_width]` and `pose_maps` `[F, H, W, map_channels]` with F covering the last segment whole
        (the plan's segments run past `total_frames` by up to a segment's stride). Unset sampling values take the
        folder's `sampling` defaults, as an unset recipe does; annealing is linear (the recipe default).
        `motion_noise` s: a continuation's motion latents are given as (1 − s)·m + s·ε, ε from
        `RandomStream(seed).split(segment).split(1)`; x's motion slot stays on the clean m's path."""
        cfg, video, sampling = self.config, self.config["video"], self.config["sampling"]
        steps = steps or sampling["steps"]
        shift = shift if shift is not None else sampling["shift"]
        text_scale = text_scale if text_scale is not None else sampling["text_guidance"]
        audio_scale = audio_scale or (sampling["audio_guidance"], sampling["audio_guidance_end"])
        motion_noise = motion_noise if motion_noise is not None else sampling.get("motion_noise", 0.0)
        seg_frames, motion_frames = video["segment_frames"], video["motion_frames"]
        s, tf, z = self.vcfg.spatial_factor, self.vcfg.temporal_factor, self.vcfg.z_channels
        if reference is None:
            raise ValueError("this generator needs the reference picture (the size comes from it)")
        plan = segment_plan(total_frames, seg_frames, motion_frames)
        covered = plan[-1].first_frame + seg_frames
        for name, rows in (("audio_rows", audio_rows), ("pose_maps", pose_maps)):
            if rows is not None and rows.shape[0] < covered:
                raise ValueError(f"{name} has {rows.shape[0]} frames; the segments cover {covered}")
        height, width = reference.shape[:2]
        h, w = height // s, width // s
        latent_frames, motion_latent_frames = 1 + (seg_frames - 1) // tf, 1 + (motion_frames - 1) // tf
        shape = (1, latent_frames, h, w, z)

        ref_latent = self.latents_of(reference[None])[None]                   # [1, 1, h, w, z]
        sigmas = flow_sigmas(steps, shift)
        frames: list[np.ndarray] = []      # delivered frames, in order
        motion: list[np.ndarray] = []      # the last motion_frames delivered frames
        decoder_cache: dict = {}
        for segment in plan:
            first = segment.first_frame
            text = text_states[None].double() if text_states is not None else None
            audio = audio_rows[first:first + seg_frames][None].double() if audio_rows is not None else None
            conditions = self.dit.condition_kv(ref_latent, text, audio, latent_frames)

            count = int(np.prod(shape))
            noise = torch.from_numpy(RandomStream(seed).split(segment.index).normals(count).reshape(shape)).double()
            motion_latents = torch.zeros(shape, dtype=torch.float64)
            mask = torch.zeros(shape[:-1] + (1,), dtype=torch.float64)
            starts_on_reference = segment.index == 0 and starts_video
            held = [reference] * motion_frames if starts_on_reference else motion
            has_motion = segment.has_motion or starts_on_reference
            if has_motion:
                motion_latents[0, :motion_latent_frames] = self.latents_of(np.stack(held))
                mask[0, :motion_latent_frames] = 1
            if pose_maps is not None:
                pose = self.guider(pose_maps[first:first + seg_frames][None].double())
            else:
                pose = torch.zeros(shape[:-1] + (self.dcfg.feature_channels,), dtype=torch.float64)
            given = motion_latents
            if segment.has_motion and motion_noise > 0:
                s_m = f32(motion_noise)
                eps = torch.from_numpy(RandomStream(seed).split(segment.index).split(1).normals(count).reshape(shape)).double()
                given = torch.zeros(shape, dtype=torch.float64)
                given[0, :motion_latent_frames] = ((1 - s_m) * motion_latents + s_m * eps)[0, :motion_latent_frames]
            aligned = reference_channels(self.dcfg, ref_latent, torch.tensor([True]), latent_frames)
            rest = [given, mask, pose] + ([aligned] if aligned is not None else [])

            def velocity(x, sigma, k):
                plan = self.guidance(text is not None, audio is not None, text_scale, audio_scale, k, steps)
                batch = torch.cat([torch.cat([x] + rest, dim=-1)] * len(plan))
                v = self.dit.velocity(batch, torch.full((len(plan),), sigma, dtype=torch.float64),
                                      [p for p, _ in plan], conditions)
                return sum(f32(weight) * v[i:i + 1] for i, (_, weight) in enumerate(plan))

            x = noise.clone()
            m = motion_latent_frames if has_motion else 0
            for k in range(steps):
                sigma, nxt = f32(sigmas[k]), f32(sigmas[k + 1])
                x = x + f32(nxt - sigma) * velocity(x, sigma, k)
                x[:, :m] = (1 - nxt) * motion_latents[:, :m] + nxt * noise[:, :m]

            raw = x * self.latent_std + self.latent_mean
            new = raw[:, motion_latent_frames if segment.has_motion else 0:].permute(0, 4, 1, 2, 3)
            pixels = self.vae.decode_stream(new, decoder_cache)[0].permute(1, 2, 3, 0)   # [T, H, W, 3]
            decoded = self.to_u8(pixels)
            index = first + (motion_frames if segment.has_motion else 0)
            kept = []
            for frame in decoded:
                if (index - first) in segment.kept:
                    kept.append(frame)
                index += 1
            frames += kept
            motion = (motion + kept)[-motion_frames:]
        return np.stack(frames)

    @staticmethod
    def guidance(has_text: bool, has_audio: bool, text_scale: float, audio_scale: tuple[float, float], k: int, steps: int):
        """`GuidancePlan.passes`: [((text_on, audio_on), weight)], zero weights dropped."""
        sx = text_scale if has_text else 1
        sa = audio_scale[0] + (audio_scale[1] - audio_scale[0]) * (k / (steps - 1) if steps > 1 else 0) if has_audio else 1
        if sx == 1 and sa == 1:
            plan = [((has_text, has_audio), 1.0)]
        elif sx == 1:
            plan = [((has_text, True), sa), ((has_text, False), 1 - sa)]
        elif sa == 1:
            plan = [((True, has_audio), sx), ((False, has_audio), 1 - sx)]
        else:
            plan = [((True, True), sa), ((True, False), sx - sa), ((False, False), 1 - sx)]
        return [p for p in plan if p[1] != 0]


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--model", required=True)
    parser.add_argument("--reference", required=True, help="a .npy of uint8 [H, W, 3] at the output size")
    parser.add_argument("--frames", type=int, required=True)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--out", required=True, help="a .npy of uint8 [N, H, W, 3]")
    args = parser.parse_args()
    frames = Generator(args.model).generate(args.frames, args.seed, np.load(args.reference))
    np.save(args.out, frames)
    print(json.dumps({"frames": int(frames.shape[0]), "out": args.out}))


if __name__ == "__main__":
    main()
