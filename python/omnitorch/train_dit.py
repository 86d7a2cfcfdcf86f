"""DiT stages 1–3 on an accelerator: the Swift trainer's objective (`omnistudio train dit`) on a DiT pack.

    python -m omnitorch.train_dit --pack DIR[,DIR…] --model MODEL_FOLDER --stage 1|2|3 --out OUT \\
        (--seconds N | --steps N) [--batch B] [--lr LR] [--warmup N] [--seed S] [--resume OUT] [--checkpoint-seconds S]
    torchrun --nproc_per_node N -m omnitorch.train_dit … [--fsdp]   (DDP, or FSDP with --fsdp; one process a GPU)

What it mirrors (Sources/OmniTrain/DiTObjective.swift, Curriculum.swift, TrainingRun.swift, Sources/OmniTensor/Optim,
Sources/omnistudio/TrainModelCommands.swift):
- a sample: a clip of the step's aspect bucket, a window of `video.segment_frames` frames at a uniform start; target
  x₀ = the frozen VAE's normalised latent mean of the window `[T', h, w, z]`, (mean − latent_mean)/latent_std; the
  reference picture's latent `[1, h, w, z]`; the caption's MiniLM states; the window's audio rows (each frame's own
  features joined with those of its ±`audio.neighbours` frames, indices clamped to the clip); its pose maps (stage 3);
- conditions kept with probability reference 0.7, text 0.9, audio 0.5 (stage ≥ 2, else 0), pose 0.5 (stage 3, else
  0), motion 0.5 (`ConditionRatios.forStage`); a dropped condition is absent (no R / X / A tokens, zero pose
  features); with motion, the first 1 + (motion_frames − 1)/tf latent frames are given (motion latents, mask 1) and
  left out of the loss;
- σ = sigmoid(n), n ~ N(0, 1); x_σ = (1 − σ)·x₀ + σ·ε; loss = mean over the non-motion latent frames of
  (v − (ε − x₀))², averaged over the batch;
- trained: the DiT (its audio projections only from stage 2), the pose guider from stage 3; the VAE is frozen;
  stage 1 re-initialises the DiT and the guider (`TrainingInitialization.dit`: the same distributions, not the
  same random numbers);
- AdamW β = (0.9, 0.999), ε = 1e-8, weight decay 0.01 on tensors of rank ≥ 2 only; global-norm clipping at 1;
  linear warm-up over `--warmup` steps (with `--steps`: min(warmup, max(1, steps/5)), as the Swift command), then a
  cosine to 0.1 of the peak at the end (`--steps`: at the last step; `--seconds`: at the time budget); EMA 0.999
  with warm-up min(0.999, (1 + step)/(10 + step)); defaults batch 4, lr 3e-4, warm-up 200.

One step runs its samples as one batched forward. Samples with different conditions share it through the attention
mask (`dit.attention_mask`: a dropped R, X or A group, and a caption's padding beyond its own length, are keys that
sample's rows cannot read, which is exactly the Swift per-sample sequence without them). The randomness of step s
is a function of (seed, s) and the sample's index in the global batch, so a resumed run equals an uninterrupted one,
and N processes of B/N samples each equal one process of B (gradients averaged by DDP, or reduce-scattered by FSDP).

`--fsdp` (FSDP2, `torch.distributed.fsdp.fully_shard`) shards the DiT block by block and the rest of the trained
model, with the optimiser's moments and the EMA, over the processes, for models that outgrow one device; each
checkpoint gathers the full tensors (a collective every rank joins) and rank 0 writes them, so a run resumes with any
number of processes — with the same `--fsdp` setting, since the optimiser's state is stored by parameter name under
FSDP and by index without. On a cluster, torchrun's rendezvous sets RANK, WORLD_SIZE, LOCAL_RANK, MASTER_ADDR and
MASTER_PORT; NCCL is the backend on CUDA devices (gloo on CPUs): README "Training on a GPU cluster".

Run folder OUT: `checkpoint.pt` (weights, AdamW, EMA, step; written under a temporary name and renamed),
`state.json` (written last: names the checkpoint's step), `train.jsonl` (one line a step: step, loss,
loss_average, lr, grad_norm, seconds, terms — Swift's `TrainingLog` format), `train.log`, and `model/`: a model
folder (config.json + model.safetensors, every key of the input model folder in the Swift layout, F32, the EMA
weights) that `omnistudio eval --model OUT/model` opens. `--export-parts` also writes `OUT/parts/model_partN.safetensors`
(the DiT and pose-guider keys only, ≤ 12 MB each: what an accelerator machine can hand back), which
`python -m omnitorch.join_parts OUT/parts --base MODEL_FOLDER --out DIR` turns back into a model folder.
"""
from __future__ import annotations

import argparse
import contextlib
import json
import math
import os
import signal
import time
from dataclasses import asdict, dataclass, field

import numpy as np
import torch
import torch.distributed as dist
import torch.nn as nn
from safetensors import safe_open
from safetensors.torch import load_file, save_file

from .dit import DiTConfig, MMDiT, PoseGuider, reference_channels
from .pack import Packs, check_against_model, load_packs
from .pose_maps import pose_maps
from .vae import CausalVAE, VAEConfig, to_swift_layout

# `omnistudio train dit`'s defaults (the same for every stage).
DEFAULT_BATCH, DEFAULT_LR, DEFAULT_WARMUP = 4, 3e-4, 200
PART_BYTES = 12_000_000


@dataclass
class Hyper:
    """A run's settings (kept in its checkpoint; a resumed run keeps them, only how far it goes may change)."""
    stage: int
    seed: int = 1
    batch: int = DEFAULT_BATCH
    lr: float = DEFAULT_LR
    warmup: int = DEFAULT_WARMUP
    final_fraction: float = 0.1
    weight_decay: float = 0.01
    clip_norm: float = 1.0
    ema_decay: float = 0.999
    reference_ratio: float = 0.7
    text_ratio: float = 0.9
    audio_ratio: float = 0.5
    pose_ratio: float = 0.5
    motion_ratio: float = 0.5

    def ratios(self) -> tuple[float, float, float, float, float]:
        """(reference, text, audio, pose, motion) of this stage (`ConditionRatios.forStage`)."""
        return (self.reference_ratio, self.text_ratio, self.audio_ratio if self.stage >= 2 else 0.0,
                self.pose_ratio if self.stage >= 3 else 0.0, self.motion_ratio)


@dataclass
class StepBatch:
    """One process's samples of one step, on its device (b samples; t latent frames of h × w; F video frames).

    x0 `[b, t, h, w, z]` normalised latents; reference `[b, 1, h, w, z]`; text `[b, L, 384]` zero-padded to the
    longest caption here, `text_lengths` `[b]`; audio `[b, F, featureWidth]`; pose_maps `[b, F, H, W, 35]` (stage 3,
    else None); flags `[b, 5]` bools (reference, text, audio, pose, motion kept); sigma `[b]` float32; noise like x0."""
    x0: torch.Tensor
    reference: torch.Tensor
    text: torch.Tensor
    text_lengths: torch.Tensor
    audio: torch.Tensor
    pose_maps: torch.Tensor | None
    flags: torch.Tensor
    sigma: torch.Tensor
    noise: torch.Tensor
    clips: list = field(default_factory=list)   # (bucket, clip, start) of each sample, for logs and tests


# -- Model folders --------------------------------------------------------------------------------------------

def load_model_folder(folder: str) -> tuple[dict, dict[str, torch.Tensor]]:
    """(config.json as a dict, every tensor of model.safetensors as stored)."""
    config_path, weights_path = os.path.join(folder, "config.json"), os.path.join(folder, "model.safetensors")
    for p in (config_path, weights_path):
        if not os.path.exists(p):
            raise SystemExit(f"{folder}: not a model folder ({os.path.basename(p)} missing)")
    return json.load(open(config_path)), load_file(weights_path)


def init_dit(dit: MMDiT, guider: PoseGuider, seed: int):
    """`TrainingInitialization.dit` + `RandomWeights.fill`: matrices and kernels N(0, 1/fan-in) (fan-in = all but the
    output dimension), 1-D `.weight` tensors (norm gains) 1 + N(0, 0.02²), biases and adaLN modulations N(0, 0.02²);
    then a zero time projection, a zero velocity head and a zero pose-guider output."""
    for module, offset in ((dit, 1), (guider, 2)):
        g = torch.Generator().manual_seed(seed + offset)
        with torch.no_grad():
            for name, p in module.named_parameters():
                if p.dim() >= 2 and not name.endswith(("modulation", "Modulation")):
                    p.copy_(torch.randn(p.shape, generator=g) / math.sqrt(max(p[0].numel(), 1)))
                elif p.dim() == 1 and name.endswith(".weight"):
                    p.copy_(1 + 0.02 * torch.randn(p.shape, generator=g))
                else:
                    p.copy_(0.02 * torch.randn(p.shape, generator=g))
    with torch.no_grad():
        for p in (dit.timeProjection.weight, dit.timeProjection.bias, dit.head.weight, dit.head.bias,
                  guider.convOut.weight, guider.convOut.bias):
            p.zero_()


def trained_parameters(dit: MMDiT, guider: PoseGuider, stage: int) -> list[tuple[str, nn.Parameter]]:
    """The (Swift key, parameter) pairs a stage trains (and sets `requires_grad` accordingly): the DiT, without its
    audio projections before stage 2 (they get no gradient, and stay out of weight decay), the guider from stage 3."""
    out = []
    for prefix, module, on in (("dit.", dit, True), ("poseGuider.", guider, stage >= 3)):
        for name, p in module.named_parameters():
            key = prefix + name
            p.requires_grad_(on and not (stage < 2 and "audio" in key))
            if p.requires_grad:
                out.append((key, p))
    return out


# -- The objective --------------------------------------------------------------------------------------------

def motion_latent_frames(config: dict) -> int:
    """Latent frames the `video.motion_frames` motion frames cover: 1 + (motion_frames − 1) / tf."""
    return 1 + (config["video"]["motion_frames"] - 1) // VAEConfig.from_json(config["vae"]).temporal_factor


def sample_losses(dit: MMDiT, guider: PoseGuider, batch: StepBatch, motion_frames: int, with_audio: bool,
                  with_pose: bool) -> torch.Tensor:
    """Each sample's flow-matching loss `[b]` (float32): MSE of the velocity against ε − x₀ over its latent frames
    after the motion ones (all frames without motion). `with_audio` / `with_pose`: whether the stage has the
    audio tokens and the pose guider at all (a sample's own flags then say whether it reads them)."""
    x0, noise = batch.x0, batch.noise
    b, t, h, w, _ = x0.shape
    ref_on, text_on, audio_on, pose_on, motion_on = batch.flags.unbind(1)
    s = batch.sigma.to(x0.dtype).view(b, 1, 1, 1, 1)
    noisy = (1 - s) * x0 + s * noise
    given = motion_on[:, None] & (torch.arange(t, device=x0.device)[None] < motion_frames)   # [b, t]
    g = given[:, :, None, None, None]
    motion = torch.where(g, x0, torch.zeros_like(x0))
    mask = g.to(x0.dtype).expand(b, t, h, w, 1)
    fc = dit.cfg.feature_channels
    if with_pose:
        # Pose-off samples get zero features (and no guider gradient): Swift's `Tensor(zeros:)` for them.
        features = guider(batch.pose_maps)
        pose = torch.where(pose_on[:, None, None, None, None], features, torch.zeros_like(features))
    else:
        pose = x0.new_zeros(b, t, h, w, fc)
    parts = [noisy, motion, mask, pose.to(noisy.dtype)]
    pixel_aligned = reference_channels(dit.cfg, batch.reference.to(noisy.dtype), ref_on, t)
    if pixel_aligned is not None:
        parts.append(pixel_aligned)
    inputs = torch.cat(parts, dim=-1)
    passes = list(zip(text_on.tolist(), (audio_on & with_audio).tolist()))
    v, _ = dit(inputs, batch.sigma.to(torch.float64), passes, reference_latent=batch.reference,
               text_states=batch.text, audio_features=batch.audio if with_audio else None,
               reference_on=ref_on, text_lengths=batch.text_lengths)
    err = (v.float() - (noise - x0).float()).pow(2).mean(dim=(2, 3, 4))                      # [b, t] per frame
    keep = (~given).float()
    return (err * keep).sum(dim=1) / keep.sum(dim=1)


class TrainModule(nn.Module):
    """What DDP wraps: the DiT and the pose guider; `forward(batch)` gives the per-sample losses `[b]`. Every group
    whose parameters train this stage is in every forward (masked for the samples that drop it), so each step's
    graph reaches every trained parameter and DDP needs no unused-parameter search."""

    def __init__(self, dit: MMDiT, guider: PoseGuider, stage: int, motion_frames: int):
        super().__init__()
        self.dit, self.guider, self.stage, self.motion_frames = dit, guider, stage, motion_frames

    def forward(self, batch: StepBatch) -> torch.Tensor:
        return sample_losses(self.dit, self.guider, batch, self.motion_frames, self.stage >= 2, self.stage >= 3)


# -- Data -----------------------------------------------------------------------------------------------------

def seed_of(*words: int) -> int:
    """A 63-bit seed from integers (numpy's SeedSequence hashing), for torch generators."""
    return int(np.random.SeedSequence([int(w) for w in words]).generate_state(1, np.uint64)[0] >> np.uint64(1))


class Sampler:
    """Step batches from packs on `device`. Step s draws, from (seed, s): the bucket (uniform, as Swift's
    `PuppetSamples.bucket`), then per sample of the global batch a clip (uniform), a window start (uniform), the
    five condition draws (uniform < ratio) and σ; the noise comes from a device generator seeded by (seed, s). A
    process takes its slice of the global batch. Targets are encoded by the frozen VAE in one batch a step; each
    window's latent is kept (on the device, up to `cache_bytes`), since a pack has few distinct windows."""

    def __init__(self, packs: Packs, vae: CausalVAE, config: dict, hyper: Hyper, device, cache_bytes: int = 8 << 30):
        self.packs, self.vae, self.hyper, self.device = packs, vae, hyper, device
        self.buckets = [b.to(device) for b in packs.buckets]
        self.states = packs.states.to(device)
        self.lengths = packs.lengths.to(device)
        self.frames = config["video"]["segment_frames"]
        self.neighbours = config["audio"]["neighbours"]
        vcfg = VAEConfig.from_json(config["vae"])
        self.latent_mean = torch.tensor(vcfg.latent_mean or [0.0] * vcfg.z_channels, dtype=torch.float32, device=device)
        # Swift multiplies by the reciprocal (`normalize`), so the same rounding here.
        self.latent_scale = 1 / torch.tensor(vcfg.latent_std or [1.0] * vcfg.z_channels, dtype=torch.float32, device=device)
        self.temporal_factor, self.spatial_factor, self.z_channels = vcfg.temporal_factor, vcfg.spatial_factor, vcfg.z_channels
        self.cache: dict[tuple[int, int, int], torch.Tensor] = {}
        self.cache_bytes, self.cached_bytes = cache_bytes, 0
        self.references = [self.encode(b.reference[:, None]) for b in self.buckets]    # [K, 1, h, w, z] each
        self.encoded_windows = 0

    @torch.no_grad()
    def encode(self, frames_u8: torch.Tensor, chunk: int = 32) -> torch.Tensor:
        """Normalised latent means `[m, T', h, w, z]` of uint8 windows `[m, F, H, W, 3]` (pixels /127.5 − 1, as
        `FrameTensor`), `chunk` windows a VAE call; float32 (the targets' precision is Swift's)."""
        out = []
        for i in range(0, frames_u8.shape[0], chunk):
            x = frames_u8[i:i + chunk].float().div(127.5).sub(1).permute(0, 4, 1, 2, 3)
            mean, _ = self.vae.encode(x)
            out.append((mean.permute(0, 2, 3, 4, 1).float() - self.latent_mean) * self.latent_scale)
        return torch.cat(out)

    def targets(self, bucket: int, clips: list[int], starts: list[int]) -> torch.Tensor:
        """Targets `[b, T', h, w, z]` of the windows (clip, start) of a bucket. A cache miss encodes every window of
        that clip in one go (while the cache has room): a window's encoding then never depends on which other
        windows shared its VAE batch (convolutions round differently for other batch shapes), so a resumed run,
        whose cache starts empty, sees bit for bit the targets of an uninterrupted one."""
        b = self.buckets[bucket]
        keys = [(bucket, c, s) for c, s in zip(clips, starts)]
        per_clip = b.frames - self.frames + 1
        span = torch.arange(self.frames, device=self.device)
        rest = []   # windows without room in the cache: encoded together, for this step only
        for c in sorted({k[1] for k in keys if k not in self.cache}):
            if self.cached_bytes + per_clip * self.window_bytes(b) > self.cache_bytes:
                rest += sorted({k for k in keys if k[1] == c})
                continue
            latents = self.encode(b.video[c, torch.arange(per_clip, device=self.device)[:, None] + span])
            self.encoded_windows += per_clip
            for s, z in enumerate(latents):
                self.cache[(bucket, c, s)] = z
            self.cached_bytes += latents.numel() * 4
        fresh = {}
        if rest:
            idx = torch.tensor([c for _, c, _ in rest], device=self.device)
            first = torch.tensor([s for _, _, s in rest], device=self.device)
            fresh = dict(zip(rest, self.encode(b.video[idx[:, None], first[:, None] + span])))
            self.encoded_windows += len(rest)
        return torch.stack([self.cache[k] if k in self.cache else fresh[k] for k in keys])

    def window_bytes(self, b) -> int:
        """Bytes of one window's latent in bucket `b` (float32)."""
        t = 1 + (self.frames - 1) // self.temporal_factor
        return 4 * t * (b.height // self.spatial_factor) * (b.width // self.spatial_factor) * self.z_channels

    def draws(self, step: int):
        """The global batch's draws of `step`: (bucket, clips [B], starts [B], flags [B, 5] bool, σ [B] float32)."""
        h = self.hyper
        rng = np.random.default_rng([h.seed, step])
        bucket = int(rng.integers(len(self.buckets)))
        b = self.buckets[bucket]
        ratios = np.array(h.ratios())
        clips, starts, flags, sigmas = [], [], [], []
        for _ in range(h.batch):
            clips.append(int(rng.integers(b.clips)))
            starts.append(int(rng.integers(b.frames - self.frames + 1)))
            flags.append(rng.random(5) < ratios)
            sigmas.append(np.float32(1) / (np.float32(1) + np.exp(-np.float32(rng.standard_normal()))))
        return bucket, clips, starts, np.array(flags), np.array(sigmas, dtype=np.float32)

    def batch(self, step: int, rank: int = 0, world: int = 1) -> StepBatch:
        """This process's share (samples rank·B/N … (rank + 1)·B/N − 1) of step `step`'s batch."""
        bucket, clips, starts, flags, sigmas = self.draws(step)
        n = self.hyper.batch // world
        lo, hi = rank * n, (rank + 1) * n
        x0 = self.targets(bucket, clips[lo:hi], starts[lo:hi])
        g = torch.Generator(device=self.device).manual_seed(seed_of(self.hyper.seed, step, 7))
        noise = torch.randn((self.hyper.batch,) + tuple(x0.shape[1:]), generator=g, device=self.device)[lo:hi]
        b = self.buckets[bucket]
        c = torch.tensor(clips[lo:hi], device=self.device)
        frames = torch.tensor(starts[lo:hi], device=self.device)[:, None] + torch.arange(self.frames, device=self.device)
        # Row f of the DiT's audio: own rows f − N … f + N of the clip, clamped to its ends (`.edge`).
        span = torch.arange(-self.neighbours, self.neighbours + 1, device=self.device)
        rows = (frames[:, :, None] + span).clamp(0, b.frames - 1)                          # [b, F, 2N+1]
        audio = b.audio[c[:, None, None], rows].float().flatten(2)                          # [b, F, (2N+1)·w]
        caps = b.caption[c]
        lengths = self.lengths[caps]
        longest = int(lengths.max())
        text = self.states[caps, :longest].float()
        maps = None
        if self.hyper.stage >= 3:
            maps = pose_maps(b.pose[c[:, None], frames], b.width, b.height, b.width, b.height)
        return StepBatch(x0=x0, reference=self.references[bucket][c], text=text, text_lengths=lengths, audio=audio,
                         pose_maps=maps, flags=torch.as_tensor(flags[lo:hi], device=self.device),
                         sigma=torch.as_tensor(sigmas[lo:hi], device=self.device), noise=noise,
                         clips=[(bucket, clips[i], starts[i]) for i in range(lo, hi)])


# -- Optimisation ---------------------------------------------------------------------------------------------

def learning_rate(h: Hyper, step: int, total_steps: int | None, progress: float | None) -> float:
    """Step `step`'s rate (0-based): linear warm-up, then a cosine to `final_fraction` of the peak, over the steps
    (`total_steps`) or over the time budget (`progress` ∈ [0, 1] since the warm-up ended)."""
    if step < h.warmup:
        return h.lr * (step + 1) / h.warmup
    if total_steps is not None:
        t = min(1.0, (step - h.warmup) / max(1, total_steps - h.warmup))
    else:
        t = min(1.0, max(0.0, progress or 0.0))
    return h.lr * (h.final_fraction + (1 - h.final_fraction) * 0.5 * (1 + math.cos(math.pi * t)))


def clip_gradients(params: list[torch.Tensor], max_norm: float) -> float:
    """Swift's `GradientClipping.clip`: the global L2 norm (accumulated in float64); gradients scaled by
    max_norm/norm when it is larger. Returns the norm before clipping."""
    from torch.distributed.tensor import DTensor
    grads = [p.grad for p in params if p.grad is not None]
    if not grads:
        return 0.0
    # A sharded gradient's squares are summed over its own shard, then over the processes.
    total = torch.stack([(g.to_local() if isinstance(g, DTensor) else g).double().pow(2).sum() for g in grads]).sum()
    if any(isinstance(g, DTensor) for g in grads):
        dist.all_reduce(total)
    norm = float(total.sqrt())
    if norm > max_norm and norm > 0:
        k = max_norm / norm
        for g in grads:
            g.mul_(k)
    return norm


# -- The run --------------------------------------------------------------------------------------------------

def atomic_write(path: str, data: bytes):
    with open(path + ".tmp", "wb") as f:
        f.write(data)
    os.replace(path + ".tmp", path)


class Run:
    """A training run: models, optimiser, EMA, sampler, and the folder it writes (rank 0)."""

    def __init__(self, args, rank: int = 0, world: int = 1, device=None):
        self.args, self.rank, self.world = args, rank, world
        self.device = torch.device(device or ("cuda" if torch.cuda.is_available() else "cpu"))
        resume = None
        if args.resume:
            resume = self.read_checkpoint(args.resume)
            if resume["hyper"]["stage"] != args.stage:
                raise SystemExit(f"{args.resume}: holds a stage {resume['hyper']['stage']} run, not stage {args.stage}")
        elif os.path.exists(os.path.join(args.out, "state.json")):
            raise SystemExit(f"{args.out}: holds a run already; continue it with --resume {args.out}, or use a new folder")

        self.packs = load_packs(args.pack)
        if resume:
            self.hyper = Hyper(**resume["hyper"])
            config, base, self.input_keys = resume["config"], resume["base"], resume["input_keys"]
            self.model_source = resume.get("model_source")
        else:
            if not args.model:
                raise SystemExit("--model MODEL_FOLDER is needed to start a run")
            config, tensors = load_model_folder(args.model)
            self.model_source = args.model
            self.input_keys = sorted(tensors)
            pack_audio = self.packs.model_config["audio"]
            if config["audio"] != pack_audio:
                if args.stage != 1:
                    raise SystemExit(f"{args.pack}: the pack's audio features ({pack_audio}) are not the model's "
                                     f"({config['audio']}); only stage 1, which starts the DiT afresh, may change them")
                config = {**config, "audio": pack_audio}   # stage 1 re-initialises the DiT for the pack's features
            base = {k: v for k, v in tensors.items() if not k.startswith(("dit.", "poseGuider."))}
            warmup = args.warmup
            if args.steps is not None:
                warmup = min(warmup, max(1, args.steps // 5))   # as `omnistudio train dit`
            self.hyper = Hyper(stage=args.stage, seed=args.seed, batch=args.batch, lr=args.lr, warmup=max(1, warmup),
                               reference_ratio=args.reference_ratio, text_ratio=args.text_ratio,
                               audio_ratio=args.audio_ratio, pose_ratio=args.pose_ratio, motion_ratio=args.motion_ratio)
        self.config, self.base = config, base
        h = self.hyper
        if h.batch % world:
            raise SystemExit(f"--batch {h.batch} does not split over {world} processes")
        cfg = DiTConfig.from_json(config)
        check_against_model(self.packs, config, config["video"]["segment_frames"], cfg.spatial_factor * cfg.patch_size)

        self.vae = CausalVAE(VAEConfig.from_json(config["vae"]))
        self.vae.load_swift_state({k: v for k, v in base.items() if k.startswith("vae.")})
        self.vae.requires_grad_(False).eval().to(self.device)
        self.dit, self.guider = MMDiT(cfg), PoseGuider(cfg)
        if resume:
            self.dit.load_state_dict(resume["dit"])
            self.guider.load_state_dict(resume["guider"])
        elif h.stage == 1:
            init_dit(self.dit, self.guider, h.seed)
        else:
            self.dit.load_swift_state({k: v.float() for k, v in tensors.items() if k.startswith("dit.")})
            self.guider.load_swift_state({k: v.float() for k, v in tensors.items() if k.startswith("poseGuider.")})
        self.dit.to(self.device).use_fused_attention(True)
        self.guider.to(self.device)
        self.trained = trained_parameters(self.dit, self.guider, h.stage)
        # The EMA starts from the weights (or the checkpoint's EMA) as full tensors; sharded below with them.
        ema = {k: (resume["ema"][k] if resume else p.detach()).clone().float().to(self.device) for k, p in self.trained}
        self.module = TrainModule(self.dit, self.guider, h.stage, motion_latent_frames(config))
        self.model = self.module
        self.sharded = world > 1 and args.fsdp
        if resume and resume.get("sharded", False) != self.sharded:
            raise SystemExit(f"{args.resume}: the run was {'' if resume.get('sharded') else 'not '}sharded; resume it "
                             f"{'with' if resume.get('sharded') else 'without'} --fsdp")
        if self.sharded:
            from torch.distributed.fsdp import fully_shard, register_fsdp_forward_method
            for block in self.dit.blocks:
                fully_shard(block)
                # The text and audio keys/values are computed outside the block's forward: they gather it too.
                register_fsdp_forward_method(block, "text_kv")
                register_fsdp_forward_method(block, "audio_kv")
            fully_shard(self.module)
            self.trained = [(k, p) for k, p in zip((k for k, _ in self.trained), self.trained_after_sharding())]
        elif world > 1:
            # device_ids None: the module sits on one device already, and the batch (a dataclass) stays as it is.
            self.model = nn.parallel.DistributedDataParallel(self.module, device_ids=None)
        params = [p for _, p in self.trained]
        # Swift's AdamW (decoupled decay p ← p − lr·(m̂/(√v̂ + ε) + λ·p)) is PyTorch's; its decay exempts rank ≤ 1.
        self.optimizer = torch.optim.AdamW(
            [{"params": [p for p in params if p.dim() >= 2], "weight_decay": h.weight_decay},
             {"params": [p for p in params if p.dim() < 2], "weight_decay": 0.0}],
            lr=h.lr, betas=(0.9, 0.999), eps=1e-8, foreach=self.device.type == "cuda")
        self.ema = {k: self.like(ema[k], p) for k, p in self.trained}
        self.step, self.elapsed, self.warmup_end, self.loss_average = 0, 0.0, None, None
        if resume:
            if self.sharded:
                from torch.distributed.checkpoint.state_dict import StateDictOptions, set_optimizer_state_dict
                set_optimizer_state_dict(self.module, self.optimizer, optim_state_dict=resume["optimizer"],
                                         options=StateDictOptions(full_state_dict=True))
            else:
                self.optimizer.load_state_dict(resume["optimizer"])
            self.step, self.elapsed = resume["step"], resume["elapsed"]
            self.warmup_end, self.loss_average = resume["warmup_end"], resume["loss_average"]
        self.sampler = Sampler(self.packs, self.vae, config, h, self.device, int(args.latent_cache_gb * (1 << 30)))
        if self.device.type == "cuda":
            self.autocast = lambda: torch.autocast("cuda", dtype=torch.bfloat16)
        else:
            self.autocast = contextlib.nullcontext
        self.pending: list[dict] = []

    def trained_after_sharding(self) -> list[nn.Parameter]:
        """The trained parameters again, in `self.trained`'s order: sharding replaces each parameter object."""
        named = {**{"dit." + n: p for n, p in self.dit.named_parameters()},
                 **{"poseGuider." + n: p for n, p in self.guider.named_parameters()}}
        return [named[k] for k, _ in self.trained]

    @staticmethod
    def like(full: torch.Tensor, param: torch.Tensor) -> torch.Tensor:
        """`full` laid out as `param`: sharded the same way under FSDP (a DTensor), else as it is."""
        from torch.distributed.tensor import DTensor, distribute_tensor
        if isinstance(param, DTensor):
            return distribute_tensor(full.to(param.device), param.device_mesh, param.placements)
        return full

    @staticmethod
    def full(t: torch.Tensor) -> torch.Tensor:
        """A sharded tensor gathered whole (a collective), on the CPU."""
        from torch.distributed.tensor import DTensor
        return (t.full_tensor() if isinstance(t, DTensor) else t).detach().cpu()

    def gathered(self) -> tuple[dict, dict, dict, dict]:
        """(DiT state, guider state, optimiser state, EMA), whole and on the CPU. Under FSDP this gathers the shards:
        every rank must call it (the optimiser's state then comes back on rank 0 only)."""
        dit = {k: self.full(v) for k, v in self.dit.state_dict().items()}
        guider = {k: self.full(v) for k, v in self.guider.state_dict().items()}
        ema = {k: self.full(v) for k, v in self.ema.items()}
        if self.sharded:
            from torch.distributed.checkpoint.state_dict import StateDictOptions, get_optimizer_state_dict
            optimizer = get_optimizer_state_dict(self.module, self.optimizer,
                                                 options=StateDictOptions(full_state_dict=True, cpu_offload=True))
        else:
            optimizer = self.optimizer.state_dict()
        return dit, guider, optimizer, ema

    # -- checkpoints ---------------------------------------------------------------------------------------

    @staticmethod
    def read_checkpoint(folder: str) -> dict:
        state_path, ckpt_path = os.path.join(folder, "state.json"), os.path.join(folder, "checkpoint.pt")
        if not os.path.exists(state_path):
            raise SystemExit(f"{folder}: no state.json (nothing to resume)")
        state = json.load(open(state_path))
        ckpt = torch.load(ckpt_path, map_location="cpu", weights_only=True)
        if ckpt["step"] != state["step"]:
            raise SystemExit(f"{ckpt_path}: holds step {ckpt['step']}, state.json says {state['step']}")
        return ckpt

    def save_checkpoint(self):
        """checkpoint.pt, model/ (EMA), parts, the pending log lines, and last state.json. Every rank calls it (the
        shards are gathered under FSDP); rank 0 writes."""
        dit, guider, optimizer, ema = self.gathered()
        if self.rank != 0:
            return
        out = self.args.out
        os.makedirs(out, exist_ok=True)
        ckpt = {"format": 1, "step": self.step, "elapsed": self.elapsed, "warmup_end": self.warmup_end,
                "loss_average": self.loss_average, "hyper": asdict(self.hyper), "config": self.config,
                "base": self.base, "input_keys": self.input_keys, "model_source": self.model_source,
                "dit": dit, "guider": guider, "optimizer": optimizer, "ema": ema, "sharded": self.sharded}
        path = os.path.join(out, "checkpoint.pt")
        torch.save(ckpt, path + ".tmp")
        os.replace(path + ".tmp", path)
        self.export(dit, guider, ema)
        if self.pending:
            with open(os.path.join(out, "train.jsonl"), "a") as f:
                f.writelines(json.dumps(e, sort_keys=True) + "\n" for e in self.pending)
            self.pending.clear()
        state = {"step": self.step, "elapsed_seconds": self.elapsed, "stage": self.hyper.stage,
                 "loss_average": self.loss_average, "hyperparameters": asdict(self.hyper), "packs": self.packs.folders,
                 "from": self.model_source, "checkpoint": "checkpoint.pt"}
        atomic_write(os.path.join(out, "state.json"), json.dumps(state, indent=1).encode())

    @staticmethod
    def ema_swift_state(dit: dict, guider: dict, ema: dict) -> dict[str, torch.Tensor]:
        """The DiT and guider (whole state dicts, `gathered`) in the Swift layout (F32), keys as `swift_state`'s,
        with the EMA weights in the trained tensors."""
        state = {**{"dit." + k: to_swift_layout(v.float()) for k, v in dit.items()},
                 **{"poseGuider." + k: to_swift_layout(v.float()) for k, v in guider.items()}}
        for k, v in ema.items():
            state[k] = to_swift_layout(v.detach().float().cpu())
        return state

    def export(self, dit: dict, guider: dict, ema: dict):
        """OUT/model/: every input key, the frozen ones as they came (F32), the DiT and guider with EMA weights."""
        folder = os.path.join(self.args.out, "model")
        os.makedirs(folder, exist_ok=True)
        trained = self.ema_swift_state(dit, guider, ema)
        tensors = {k: v.float().contiguous() for k, v in self.base.items()}
        tensors.update(trained)
        missing = set(self.input_keys) - set(tensors)
        if missing:
            raise RuntimeError(f"export lacks input keys {sorted(missing)[:5]}")
        meta = {"format": "omni", "source": "python -m omnitorch.train_dit", "step": str(self.step),
                "stage": str(self.hyper.stage)}
        path = os.path.join(folder, "model.safetensors")
        save_file(tensors, path + ".tmp", metadata=meta)
        os.replace(path + ".tmp", path)
        atomic_write(os.path.join(folder, "config.json"), json.dumps(self.config, indent=2, sort_keys=True).encode())
        if self.args.export_parts:
            write_parts(os.path.join(self.args.out, "parts"), trained, {**meta, "config": json.dumps(self.config)})

    def truncate_log(self):
        """Drops train.jsonl lines past the checkpoint (they were written by a session that went on after it)."""
        path = os.path.join(self.args.out, "train.jsonl")
        if self.rank != 0 or not os.path.exists(path):
            return
        kept = []
        for line in open(path):
            try:
                if json.loads(line)["step"] <= self.step:
                    kept.append(line)
            except (json.JSONDecodeError, KeyError):
                pass   # a torn last line
        atomic_write(path, "".join(kept).encode())

    # -- steps ---------------------------------------------------------------------------------------------

    def batch_loss(self, batch: StepBatch) -> torch.Tensor:
        """The process's mean loss over its samples (DDP averages the gradients over processes, so their mean is the
        global batch's mean loss, Swift's Σ loss_i / B)."""
        with self.autocast():
            return self.model(batch).mean()

    def train_step(self, total_steps: int | None, progress: float | None):
        """One optimiser step; returns (global mean loss as a float tensor, lr, gradient norm)."""
        h, step = self.hyper, self.step
        batch = self.sampler.batch(step, self.rank, self.world)
        loss = self.batch_loss(batch)
        self.optimizer.zero_grad(set_to_none=True)
        loss.backward()
        params = [p for _, p in self.trained]
        for p in params:
            if p.grad is None:   # Swift's AdamW reads a missing gradient as 0 (moments decay, decay still applies)
                p.grad = torch.zeros_like(p)
        lr = learning_rate(h, step, total_steps, progress)
        norm = clip_gradients(params, h.clip_norm)
        for g in self.optimizer.param_groups:
            g["lr"] = lr
        self.optimizer.step()
        d = min(h.ema_decay, (1 + step) / (10 + step))
        with torch.no_grad():
            shadows, live = list(self.ema.values()), [p.detach().float() for _, p in self.trained]
            torch._foreach_mul_(shadows, d)
            torch._foreach_add_(shadows, live, alpha=1 - d)
        self.step += 1
        return loss.detach(), lr, norm


def write_parts(folder: str, tensors: dict[str, torch.Tensor], meta: dict[str, str]):
    """`model_partN.safetensors` files of at most ~12 MB each (what an accelerator machine hands back a file)."""
    os.makedirs(folder, exist_ok=True)
    parts, current, size = [], {}, 0
    for k in sorted(tensors):
        v = tensors[k]
        if current and size + v.numel() * 4 > PART_BYTES:
            parts.append(current)
            current, size = {}, 0
        current[k] = v.float().contiguous()
        size += v.numel() * 4
    parts.append(current)
    for i, part in enumerate(parts):
        path = os.path.join(folder, f"model_part{i}.safetensors")
        save_file(part, path + ".tmp", metadata={**meta, "parts": str(len(parts))})
        os.replace(path + ".tmp", path)
    for name in os.listdir(folder):   # parts of an earlier, larger export
        if name.startswith("model_part") and name.endswith(".safetensors") and int(name[10:-12]) >= len(parts):
            os.remove(os.path.join(folder, name))


# -- Command line ---------------------------------------------------------------------------------------------

def parse_args(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--pack", required=True, help="DiT pack folder(s), comma-separated (omnistudio train pack)")
    ap.add_argument("--model", help="model folder to start from: stage 1 the VAE run's model/, then the previous stage's")
    ap.add_argument("--stage", type=int, required=True, choices=[1, 2, 3])
    ap.add_argument("--out", required=True, help="run folder (checkpoint.pt, state.json, train.jsonl, model/)")
    how_far = ap.add_mutually_exclusive_group(required=True)
    how_far.add_argument("--seconds", type=float, help="train this many seconds in all (all sessions of the run)")
    how_far.add_argument("--steps", type=int, help="train this many optimiser steps in all")
    ap.add_argument("--batch", type=int, default=DEFAULT_BATCH, help="samples per optimiser step (all processes)")
    ap.add_argument("--lr", type=float, default=DEFAULT_LR, help="peak learning rate")
    ap.add_argument("--warmup", type=int, default=DEFAULT_WARMUP, help="warm-up steps")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--resume", help="continue the run in this folder (its settings win; --steps/--seconds may change)")
    ap.add_argument("--checkpoint-seconds", type=float, default=300, help="seconds between checkpoints (and at the end)")
    ap.add_argument("--reference-ratio", type=float, default=0.7)
    ap.add_argument("--text-ratio", type=float, default=0.9)
    ap.add_argument("--audio-ratio", type=float, default=0.5, help="stage ≥ 2")
    ap.add_argument("--pose-ratio", type=float, default=0.5, help="stage 3")
    ap.add_argument("--motion-ratio", type=float, default=0.5)
    ap.add_argument("--latent-cache-gb", type=float, default=8, help="device memory for encoded windows (0: encode every step)")
    ap.add_argument("--export-parts", action="store_true", help="also write OUT/parts/model_partN.safetensors (DiT + guider, ≤ 12 MB each)")
    ap.add_argument("--threads", type=int, default=0, help="CPU threads for torch (0: its default)")
    ap.add_argument("--device", help="cuda, cuda:N or cpu (default: cuda when there is one; under torchrun cuda:LOCAL_RANK)")
    ap.add_argument("--fsdp", action="store_true", help="under torchrun: shard parameters, gradients, optimiser state and "
                                                          "EMA over the processes (FSDP2) instead of replicating them (DDP)")
    ap.add_argument("--log-every", type=float, default=10, help="seconds between progress lines")
    ap.add_argument("--stop-after-steps", type=int, help=argparse.SUPPRESS)   # tests: interrupt like Ctrl-C
    args = ap.parse_args(argv)
    if args.steps is not None and args.steps < 0 or args.seconds is not None and args.seconds < 0:
        ap.error("--steps / --seconds must not be negative")
    if args.batch < 1 or args.warmup < 0:
        ap.error("--batch must be positive, --warmup not negative")
    for name in ("reference", "text", "audio", "pose", "motion"):
        if not 0 <= getattr(args, f"{name}_ratio") <= 1:
            ap.error(f"--{name}-ratio must be within 0…1")
    if args.resume and os.path.abspath(args.resume) != os.path.abspath(args.out):
        ap.error("--resume continues the run in its folder: give the same folder as --out")
    return args


def main(argv=None):
    args = parse_args(argv)
    world = int(os.environ.get("WORLD_SIZE", "1"))
    rank = int(os.environ.get("RANK", "0"))
    device = args.device
    if world > 1:
        local = int(os.environ.get("LOCAL_RANK", "0"))
        cuda = torch.cuda.is_available() and (device is None or device.startswith("cuda"))
        if cuda:
            device = f"cuda:{local}"
            torch.cuda.set_device(local)
        dist.init_process_group("nccl" if cuda else "gloo")
    if args.threads > 0:
        torch.set_num_threads(args.threads)
    # The DiT runs under bf16 autocast; what runs outside it (the frozen VAE's targets, the loss) stays true
    # float32, as in Swift: no TF32 for convolutions (PyTorch's default allows it) or matrix products.
    torch.backends.cuda.matmul.allow_tf32 = False
    torch.backends.cudnn.allow_tf32 = False
    torch.backends.cudnn.benchmark = True      # a few fixed shapes (one per bucket) all run long
    try:
        summary = train(args, rank, world, device)
        if world > 1:
            # Rank 0 writes the last checkpoint while the others are done: tearing the group down under it
            # aborted the run now and then.
            dist.barrier()
        return summary
    finally:
        if world > 1 and dist.is_initialized():
            dist.destroy_process_group()


def train(args, rank: int, world: int, device) -> dict:
    t_start = time.monotonic()
    run = Run(args, rank, world, device)
    out = args.out
    log_file = None
    if rank == 0:
        os.makedirs(out, exist_ok=True)
        if args.resume:
            run.truncate_log()
        elif os.path.exists(os.path.join(out, "train.jsonl")):
            os.remove(os.path.join(out, "train.jsonl"))
        log_file = open(os.path.join(out, "train.log"), "a")

    def log(msg: str):
        if rank == 0:
            print(msg, flush=True)
            log_file.write(msg + "\n")
            log_file.flush()

    h = run.hyper
    log(f"dit stage {h.stage}: {world} process(es) on {run.device}; packs {run.packs.describe()}; "
        f"{sum(p.numel() for _, p in run.trained)} trained parameters; batch {h.batch}, lr {h.lr}, warm-up {h.warmup}"
        + (f"; resuming at step {run.step}" if args.resume else "") + f"; ready in {time.monotonic() - t_start:.1f} s")
    stop = {"flag": False}
    handlers = {}
    if rank == 0:
        def on_signal(signum, _frame):
            stop["flag"] = True
            print(f"\nsignal {signum}: stopping after this step (checkpoint follows)…", flush=True)
        for s in (signal.SIGINT, signal.SIGTERM):
            try:
                handlers[s] = signal.signal(s, on_signal)
            except ValueError:   # not the main thread (tests)
                pass

    session_start, elapsed_before = time.monotonic(), run.elapsed
    session_steps, last_checkpoint, last_log = 0, time.monotonic(), time.monotonic()
    shared_elapsed = run.elapsed
    outcome = "finished"
    try:
        while True:
            if args.steps is not None and run.step >= args.steps or args.seconds is not None and shared_elapsed >= args.seconds:
                break
            progress = None
            if args.seconds is not None and run.warmup_end is not None:
                progress = (shared_elapsed - run.warmup_end) / max(1e-9, args.seconds - run.warmup_end)
            loss, lr, norm = run.train_step(args.steps, progress)
            session_steps += 1
            run.elapsed = elapsed_before + time.monotonic() - session_start
            interrupted = stop["flag"] or (args.stop_after_steps is not None and session_steps >= args.stop_after_steps)
            due = time.monotonic() - last_checkpoint >= args.checkpoint_seconds
            # One collective a step: the global mean loss, plus rank 0's clock and decisions, so that every process
            # schedules the rate, stops and checkpoints alike.
            own = [float(interrupted), float(due), run.elapsed] if rank == 0 else [0.0, 0.0, 0.0]
            shared = torch.cat([loss.double().reshape(1) / world, torch.tensor(own, dtype=torch.float64, device=loss.device)])
            if world > 1:
                dist.all_reduce(shared)
            value, interrupted, due, shared_elapsed = shared.tolist()
            interrupted, due = interrupted > 0, due > 0
            if run.warmup_end is None and run.step >= h.warmup:
                run.warmup_end = shared_elapsed
            run.loss_average = value if run.loss_average is None else 0.98 * run.loss_average + 0.02 * value
            run.pending.append({"step": run.step, "loss": value, "loss_average": run.loss_average, "lr": lr,
                                "grad_norm": norm, "seconds": round(run.elapsed, 3), "terms": {}})
            if time.monotonic() - last_log >= args.log_every:
                rate = session_steps / max(1e-9, time.monotonic() - session_start)
                log(f"step {run.step}  loss {value:.4f}  avg {run.loss_average:.4f}  lr {lr:.2e}  |g| {norm:.3f}  "
                    f"{rate:.2f} it/s  {rate * h.batch:.1f} samples/s  windows encoded {run.sampler.encoded_windows}")
                last_log = time.monotonic()
            if due:
                run.save_checkpoint()
                last_checkpoint = time.monotonic()
            if interrupted:
                outcome = "interrupted"
                break
        run.save_checkpoint()
    finally:
        for s, old in handlers.items():
            signal.signal(s, old)
    seconds = time.monotonic() - session_start
    rate = session_steps / max(seconds, 1e-9)
    summary = {"outcome": outcome, "step": run.step, "session_steps": session_steps, "seconds": seconds,
               "steps_per_second": rate, "samples_per_second": rate * h.batch, "loss_average": run.loss_average,
               "model": os.path.join(out, "model")}
    log(f"dit stage {h.stage}: {outcome} at step {run.step}; {session_steps} steps in {seconds:.0f} s this session "
        f"({rate:.2f} steps/s, {rate * h.batch:.1f} samples/s, {world} process(es)); loss average "
        f"{run.loss_average if run.loss_average is not None else float('nan'):.4f}; model: {os.path.join(out, 'model')}"
        + ("; resume with --resume " + out if outcome == "interrupted" else ""))
    if log_file:
        log_file.close()
    return summary


if __name__ == "__main__":
    main()
