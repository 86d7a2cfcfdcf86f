"""The MMDiT and the pose guider, mirroring Sources/OmniModel/DiT and Sources/OmniModel/Pose op for op.

Units and layouts follow the Swift API (channels-last):
- latents `[B, T, h, w, C]`: T latent frames (1 + k for a segment of 1 + tf·k video frames), h, w the latent grid
  (pixels ÷ the VAE's spatial factor s), multiples of the patch size p;
- tokens `[B, L, d]`: video tokens V (T·(h/p)·(w/p), latent frame by latent frame, rows then columns), reference
  tokens R ((h/p)·(w/p) of one latent frame), text tokens X (one per MiniLM token), audio tokens A (one per video
  frame of the segment);
- σ ∈ [0, 1] per batch element; the network predicts the flow-matching velocity v = ε − x₀.

One attention call per block holds the sequence [V | R | X | A] as keys; V rows of latent frame f read V, R, X
(when the pass has text on) and the audio tokens of f's video frames widened by `audio_band` (when audio is on);
R rows read only R. R runs through every block with σ = 0 modulation and RoPE time 0, so its keys and values do
not depend on V or σ and can be cached (`condition_kv`, the inference path); `forward` is the uncached training
path with R as a query group. Both give the same velocity. `forward` also takes per-sample conditions
(`reference_on`, `text_lengths`): a batch whose samples drop different groups, or hold captions of different lengths
padded to one, gives each sample the velocity of its own sequence without those tokens (`attention_mask`).

`swift_state()` / `load_swift_state()` convert to and from the Swift checkpoint (keys `dit.…`, `poseGuider.…`):
linear weights `[out, in]` as in PyTorch, causal-convolution kernels `[kT, kH, kW, Cin, Cout]`, 2-D kernels
`[kH, kW, Cin, Cout]`.
"""
from __future__ import annotations

import json
import math
import os
from dataclasses import dataclass

import torch
import torch.nn as nn
import torch.nn.functional as F

from .vae import CausalConv3d, Downsample, from_swift_layout, spatial_factor, temporal_factor, to_swift_layout

WHISPER_ENCODER = "whisper-tiny.en"


@dataclass
class DiTConfig:
    """What the DiT and the pose guider read from a model folder's config.json: the `dit` and `pose` sections, plus
    the few fields of `vae`, `text` and `audio` that size their inputs (snake_case keys as in the file)."""
    width: int
    depth: int
    heads: int
    mlp_ratio: int
    rope_base: float
    time_embedding_width: int
    patch_size: int
    # vae
    z_channels: int
    temporal_downsample: list[bool]
    # pose
    map_channels: int
    guider_channels: list[int]
    feature_channels: int
    # text: MiniLM state width
    text_width: int
    # audio: per-video-frame feature width (own frame ± neighbours), embedding hidden width, band in video frames
    audio_feature_width: int
    audio_hidden: int
    audio_band: int
    # a distilled student: the audio and text guidance scales are inputs (`SamplingEmbedding`), and with
    # step_embedding the sampler's step size too
    guidance_embedding: bool = False
    step_embedding: bool = False
    # the reference latent also enters pixel-aligned, in every latent frame's V input (and a presence channel)
    reference_input: bool = False
    # audio.band_positions: A laid out band by band, each token plus a learned embedding of its slot in the band
    audio_band_positions: bool = False
    # audio.frame_input: each latent frame's V tokens plus a projection of its own video frames' embedded audio
    audio_frame_input: bool = False

    @property
    def head_dim(self) -> int:
        return self.width // self.heads

    @property
    def spatial_factor(self) -> int:
        return spatial_factor(self.temporal_downsample)

    @property
    def temporal_factor(self) -> int:
        return temporal_factor(self.temporal_downsample)

    @property
    def input_channels(self) -> int:
        """Channels of one latent position of V's input: noisy latent, motion latent, motion mask, pose features, and
        with `reference_input` the reference latent and its presence."""
        return 2 * self.z_channels + 1 + self.feature_channels + (self.z_channels + 1 if self.reference_input else 0)

    @staticmethod
    def from_json(model: dict) -> "DiTConfig":
        """From a whole config.json object (absent `patch_size` means 1, absent `audio.encoder` log-mel, absent
        `guidance_embedding` / `step_embedding` / `reference_input` / `audio.band_positions` / `audio.frame_input` false,
        as in Swift)."""
        d, p, v, a = model["dit"], model["pose"], model["vae"], model["audio"]
        frame = 384 if a.get("encoder", "logmel") == WHISPER_ENCODER else a["mel_frames_per_video_frame"] * a["mel_bins"]
        return DiTConfig(d["width"], d["depth"], d["heads"], d["mlp_ratio"], float(d["rope_base"]),
                         d["time_embedding_width"], d.get("patch_size", 1), v["z_channels"],
                         list(v["temporal_downsample"]), p["map_channels"], list(p["guider_channels"]),
                         p["feature_channels"], model["text"]["encoder_width"], (2 * a["neighbours"] + 1) * frame,
                         a["hidden"], a["band"], bool(d.get("guidance_embedding", False)),
                         bool(d.get("step_embedding", False)), bool(d.get("reference_input", False)),
                         bool(a.get("band_positions", False)), bool(a.get("frame_input", False)))

    @staticmethod
    def from_folder(folder: str) -> "DiTConfig":
        with open(os.path.join(folder, "config.json")) as f:
            return DiTConfig.from_json(json.load(f))


class RMSNorm(nn.Module):
    """RMS norm over the last dimension: x / √(mean(x²) + ε) · γ, ε = 1e-6 (float32 or float64, as the input)."""

    def __init__(self, channels: int, eps: float = 1e-6):
        super().__init__()
        self.weight = nn.Parameter(torch.ones(channels))
        self.eps = eps

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        # Under bf16 autocast (training) the statistic is taken in float32; float32 and float64 inputs are unchanged.
        x = x if x.dtype in (torch.float32, torch.float64) else x.float()
        return x * torch.rsqrt(x.pow(2).mean(dim=-1, keepdim=True) + self.eps) * self.weight


def layer_norm(x: torch.Tensor) -> torch.Tensor:
    """LayerNorm over the last dimension without affine parameters, ε = 1e-6 (the adaLN norms)."""
    return F.layer_norm(x, (x.shape[-1],), eps=1e-6)


def gelu_tanh(x: torch.Tensor) -> torch.Tensor:
    return F.gelu(x, approximate="tanh")


# -- Rotary position embedding ----------------------------------------------------------------------------------

def rope_sections(head_dim: int) -> tuple[int, int, int]:
    """(time, height, width) section sizes of a head: height = width = 2⌊D/6⌋, time the rest."""
    s = 2 * (head_dim // 6)
    return head_dim - 2 * s, s, s


def grid_positions(frames: int, height: int, width: int, frame_offset: int = 0) -> torch.Tensor:
    """`[frames·height·width, 3]` integer (t, row, column) positions in row-major (t, h, w) order, t from `frame_offset`."""
    t, h, w = torch.meshgrid(torch.arange(frames) + frame_offset, torch.arange(height), torch.arange(width), indexing="ij")
    return torch.stack([t.reshape(-1), h.reshape(-1), w.reshape(-1)], dim=1)


def rope_table(positions: torch.Tensor, head_dim: int, base: float, dtype=torch.float64):
    """cos and sin `[L, D/2]` of each token's angle per pair: pair i of a section of size ds reads that section's
    axis and turns by pos · base^(−2i/ds); the sections (time, height, width) follow each other."""
    axis, theta = [], []
    for a, size in enumerate(rope_sections(head_dim)):
        for i in range(size // 2):
            axis.append(a)
            theta.append(base ** (-2 * i / size))
    angles = positions[:, axis].to(torch.float64) * torch.tensor(theta, dtype=torch.float64)
    return angles.cos().to(dtype), angles.sin().to(dtype)


def apply_rope(x: torch.Tensor, table) -> torch.Tensor:
    """Rotates the consecutive pairs (x[2i], x[2i+1]) of `[B, L, H, D]` by the table's angles (every head alike)."""
    cos, sin = table
    pairs = x.reshape(*x.shape[:-1], -1, 2)
    x0, x1 = pairs[..., 0], pairs[..., 1]
    c, s = cos[None, :, None, :], sin[None, :, None, :]
    return torch.stack([x0 * c - x1 * s, x0 * s + x1 * c], dim=-1).reshape(x.shape)


# -- Attention mask ---------------------------------------------------------------------------------------------

def audio_bands(latent_frames: int, audio_frames: int, audio_band: int, temporal_factor: int) -> list[tuple[int, int, int]]:
    """Per latent frame, the video frames of audio its band covers, clipped to the segment's audio, as (first, end),
    and the slot of `first` in the band (Swift's `TokenLayout.audioBands`): latent frame 0 covers video frame 0,
    f ≥ 1 frames 1 + (f−1)·tf … f·tf; its own first frame is always slot `audio_band`."""
    out = []
    for f in range(latent_frames):
        first, end = (0, 1) if f == 0 else (1 + (f - 1) * temporal_factor, 1 + f * temporal_factor)
        lo, hi = max(0, first - audio_band), min(audio_frames, end + audio_band)
        out.append((lo, max(lo, hi), lo - (first - audio_band)))
    return out


def attention_mask(latent_frames: int, grid_tokens: int, reference_tokens: int, reference_is_query: bool,
                   text_tokens: int, audio_frames: int, audio_band: int, temporal_factor: int,
                   passes: list[tuple[bool, bool]], reference_on=None, text_lengths=None, device=None,
                   audio_band_positions: bool = False) -> torch.Tensor:
    """`[B, Lq, Lk]` booleans (True: may attend), one `(text_on, audio_on)` pass per batch element (Swift's
    `TokenLayout`). Keys are [V | R | X | A]; queries V, then R when `reference_is_query`. A holds one token per
    video frame of audio (`audio_frames`), latent frame f reading its band's run of them; with
    `audio_band_positions`, each latent frame's band as its own run, in latent-frame order (`audio_bands`).

    Per-sample conditions of a batched training step (the Swift trainer runs each sample alone, its absent groups
    simply not in the sequence): `reference_on` `[B]` bools (None: all on) takes R away from that sample's V rows;
    `text_lengths` `[B]` token counts (None: all `text_tokens`) lets V rows read only a caption's own tokens, never
    the zero padding up to the batch's longest. A masked key gets softmax weight exactly 0, so each sample's V rows
    see what its Swift per-sample sequence gives. R rows always read R (their states never reach V rows that
    cannot read them), so no query row is ever left without a key."""
    b = len(passes)
    lv = latent_frames * grid_tokens
    r0, x0 = lv, lv + reference_tokens
    a0 = x0 + text_tokens
    bands = audio_bands(latent_frames, audio_frames, audio_band, temporal_factor)
    if audio_band_positions:
        starts = [sum(e - s for s, e, _ in bands[:f]) for f in range(latent_frames)]
        key_ranges = [(starts[f], starts[f] + e - s) for f, (s, e, _) in enumerate(bands)]
    else:
        key_ranges = [(s, e) for s, e, _ in bands]
    audio_tokens = key_ranges[-1][1] if audio_band_positions and key_ranges else audio_frames
    lk = a0 + audio_tokens
    flags = torch.tensor([[bool(t), bool(a)] for t, a in passes], dtype=torch.bool).reshape(b, 2).to(device)
    text_on, audio_on = flags[:, 0, None, None], flags[:, 1, None, None]
    ref_on = (torch.ones(b, dtype=torch.bool, device=device) if reference_on is None
              else torch.as_tensor(reference_on, dtype=torch.bool).to(device))[:, None, None]
    lengths = (torch.full((b,), text_tokens, device=device) if text_lengths is None
               else torch.as_tensor(text_lengths).to(device))[:, None, None]
    k = torch.arange(lk, device=device)[None, None, :]
    # The audio keys (offsets into A) each V row's latent frame reads.
    ranges = torch.tensor(key_ranges, dtype=torch.long, device=device).reshape(latent_frames, 2).repeat_interleave(grid_tokens, dim=0)
    lo, hi = ranges[None, :, 0, None], ranges[None, :, 1, None]
    is_r = (k >= r0) & (k < x0)
    is_x = (k >= x0) & (k < a0)
    is_a = k >= a0
    video_rows = ((k < lv) | (is_r & ref_on) | (is_x & text_on & (k - x0 < lengths))
                  | (is_a & audio_on & (k - a0 >= lo) & (k - a0 < hi))).expand(b, lv, lk)
    if not reference_is_query or reference_tokens == 0:
        return video_rows.contiguous()
    return torch.cat([video_rows, is_r.expand(b, reference_tokens, lk)], dim=1)


def attention(q: torch.Tensor, k: torch.Tensor, v: torch.Tensor, mask: torch.Tensor | None,
              fused: bool = False) -> torch.Tensor:
    """softmax(Q·Kᵀ/√D + mask)·V for `[B, L, H, D]` tensors; a row with no allowed key gives 0.

    `fused`: PyTorch's `scaled_dot_product_attention` (the trainer's path: no `[B, H, Lq, Lk]` probabilities kept
    for the backward). It gives NaN for a row without an allowed key, which the DiT's masks never have."""
    if fused:
        m = None if mask is None else mask[:, None]
        out = F.scaled_dot_product_attention(q.transpose(1, 2), k.transpose(1, 2), v.transpose(1, 2), attn_mask=m)
        return out.transpose(1, 2)
    logits = torch.einsum("bqhd,bkhd->bhqk", q, k) / math.sqrt(q.shape[-1])
    if mask is None:
        return torch.einsum("bhqk,bkhd->bqhd", logits.softmax(dim=-1), v)
    m = mask[:, None]
    p = logits.masked_fill(~m, float("-inf")).softmax(dim=-1)
    p = torch.where(m.any(dim=-1, keepdim=True), p, torch.zeros_like(p))
    return torch.einsum("bhqk,bkhd->bqhd", p, v)


def expand_batch(x: torch.Tensor, batch: int) -> torch.Tensor:
    """`[1, …]` → `[batch, …]`; tensors already of that batch pass."""
    return x if x.shape[0] == batch else x.expand(batch, *x.shape[1:])


# -- Modules ----------------------------------------------------------------------------------------------------

class SwiftCheckpoint:
    """`swift_state` / `load_swift_state` for a module whose parameter names are the Swift module paths."""

    def swift_state(self, prefix: str) -> dict[str, torch.Tensor]:
        """Parameters in the Swift layout (float32), keyed `prefix` + Swift module path."""
        return {prefix + n: to_swift_layout(p.detach().float().cpu()) for n, p in self.state_dict().items()}

    def load_swift_state(self, tensors: dict[str, torch.Tensor], prefix: str, strict: bool = True):
        """Loads the tensors under `prefix`; `strict`: every parameter must be there and no tensor under `prefix`
        may be left over (Swift's loading rule)."""
        own = self.state_dict()
        if strict:
            missing = [prefix + k for k in own if prefix + k not in tensors]
            unused = [k for k in tensors if k.startswith(prefix) and k[len(prefix):] not in own]
            if missing or unused:
                raise KeyError(f"checkpoint lacks {missing[:5]}, has unused {unused[:5]}")
        new = {}
        for k, p in own.items():
            if prefix + k not in tensors:
                new[k] = p
                continue
            t = from_swift_layout(tensors[prefix + k], p.dim()).to(p.dtype)
            if tuple(t.shape) != tuple(p.shape):
                raise ValueError(f"{prefix + k}: checkpoint shape {tuple(t.shape)}, model {tuple(p.shape)}")
            new[k] = t
        self.load_state_dict(new)


class TimestepEmbedding(nn.Module):
    """σ `[B]` → `[B, width]`: cos then sin of 1000·σ · 10000^(−i/half) (i < half), Linear, SiLU, Linear."""

    def __init__(self, frequency_width: int, width: int):
        super().__init__()
        self.fc1 = nn.Linear(frequency_width, width)
        self.fc2 = nn.Linear(width, width)
        self.frequencies = frequency_width

    def forward(self, sigmas: torch.Tensor) -> torch.Tensor:
        half = self.frequencies // 2
        freqs = torch.exp(-math.log(10000.0) * torch.arange(half, dtype=torch.float64, device=sigmas.device) / half)
        angles = sigmas.to(torch.float64)[:, None] * 1000 * freqs[None]
        features = torch.cat([angles.cos(), angles.sin()], dim=1).to(self.fc1.weight.dtype)
        return self.fc2(F.silu(self.fc1(features)))


class SamplingEmbedding(nn.Module):
    """A distilled student's sampling controls `[B, 3]` (audio scale, text scale, step size 1/M) → `[B, width]`: each
    scale through its own `TimestepEmbedding` of scale / 10 and, with `steps`, the step size through a third, summed
    (Swift's `SamplingEmbedding`)."""

    def __init__(self, frequency_width: int, width: int, steps: bool):
        super().__init__()
        self.audio = TimestepEmbedding(frequency_width, width)
        self.text = TimestepEmbedding(frequency_width, width)
        self.step = TimestepEmbedding(frequency_width, width) if steps else None

    def forward(self, controls: torch.Tensor) -> torch.Tensor:
        controls = controls.to(torch.float32)   # Swift divides in Float
        e = self.audio(controls[:, 0] / 10) + self.text(controls[:, 1] / 10)
        return e + self.step(controls[:, 2]) if self.step is not None else e


class DiTBlock(nn.Module):
    """adaLN-single modulated attention over the block's own token groups plus external key/value groups, then a
    modulated tanh-GELU MLP, both with gated residuals. The six modulation rows (shift, scale, gate of attention;
    shift, scale, gate of the MLP) are the shared time projection plus this block's `modulation` `[6, d]`."""

    def __init__(self, width: int, heads: int, mlp_ratio: int):
        super().__init__()
        d = width
        self.qkv = nn.Linear(d, 3 * d)
        self.normQ = RMSNorm(d)
        self.normK = RMSNorm(d)
        self.out = nn.Linear(d, d)
        self.fc1 = nn.Linear(d, mlp_ratio * d)
        self.fc2 = nn.Linear(mlp_ratio * d, d)
        self.modulation = nn.Parameter(torch.zeros(6, d))
        self.textKV = nn.Linear(d, 2 * d)
        self.textNormK = RMSNorm(d)
        self.audioKV = nn.Linear(d, 2 * d)
        self.audioNormK = RMSNorm(d)
        self.width, self.heads = d, heads
        # The trainer sets this (PyTorch's fused attention); the float64 parity fixtures use the explicit softmax.
        self.fused_attention = False

    def text_kv(self, states: torch.Tensor):
        """Key (RMS-normed over the width, no RoPE) and value `[B, L, d]` of embedded text `[B, L, d]`."""
        k, v = self.textKV(states).split(self.width, dim=-1)
        return self.textNormK(k), v

    def audio_kv(self, states: torch.Tensor):
        k, v = self.audioKV(states).split(self.width, dim=-1)
        return self.audioNormK(k), v

    def forward(self, groups, externals, mask, return_kv: bool = False):
        """`groups`: list of (tokens `[B, L, d]`, time projection `[B, 6d]`, RoPE table), queried in order;
        `externals`: list of (key, value) `[B or 1, L, d]` appended after the groups' own keys; `mask` `[B, Lq, Lk]`
        or None. Returns the groups' new tokens and, with `return_kv`, their own keys (normed, RoPE'd) and values."""
        b, d, nh = groups[0][0].shape[0], self.width, self.heads
        mods, qs, ks, vs = [], [], [], []
        for x, proj, rope in groups:
            m = (proj.reshape(b, 6, d) + self.modulation).split(1, dim=1)
            mods.append(m)
            h = layer_norm(x) * (1 + m[1]) + m[0]
            q, k, v = self.qkv(h).split(d, dim=-1)
            shape = (b, x.shape[1], nh, d // nh)
            qs.append(apply_rope(self.normQ(q).reshape(shape), rope))
            ks.append(apply_rope(self.normK(k).reshape(shape), rope).reshape(b, -1, d))
            vs.append(v)
        own_k, own_v = torch.cat(ks, dim=1), torch.cat(vs, dim=1)
        keys = torch.cat([own_k] + [expand_batch(k, b) for k, _ in externals], dim=1)
        values = torch.cat([own_v] + [expand_batch(v, b) for _, v in externals], dim=1)
        query = torch.cat(qs, dim=1)
        heads = lambda t: t.reshape(b, t.shape[1], nh, d // nh)
        attended = self.out(attention(query, heads(keys), heads(values), mask, self.fused_attention).reshape(b, -1, d))
        results, start = [], 0
        for (x, _, _), m in zip(groups, mods):
            a = attended[:, start:start + x.shape[1]]
            start += x.shape[1]
            x = x + m[2] * a
            h = layer_norm(x) * (1 + m[4]) + m[3]
            results.append(x + m[5] * self.fc2(gelu_tanh(self.fc1(h))))
        return results, ((own_k, own_v) if return_kv else None)


def reference_channels(cfg: DiTConfig, latent: torch.Tensor, on: torch.Tensor, frames: int) -> torch.Tensor | None:
    """The pixel-aligned reference channels of V's input with `reference_input` (None without): the reference latent
    `[B, 1, h, w, z]` in each of `frames` latent frames and a channel of ones, for the samples where `on` `[B]` (bool)
    holds, zeros elsewhere — `[B, frames, h, w, z + 1]`, as Swift's `MMDiT.referenceInput`."""
    if not cfg.reference_input:
        return None
    b, _, h, w, _ = latent.shape
    both = torch.cat([latent, latent.new_ones(b, 1, h, w, 1)], dim=-1).expand(b, frames, h, w, cfg.z_channels + 1)
    return torch.where(on.view(b, 1, 1, 1, 1), both, torch.zeros_like(both))


class MMDiT(nn.Module, SwiftCheckpoint):
    """Velocity `[B, T, h, w, z]` of V inputs `[B, T, h, w, input_channels]` (noisy latent, motion latent, motion
    mask, pose features, channel-concatenated) at σ `[B]`, conditioned on a reference latent `[1 or B, 1, h, w, z]`,
    MiniLM text states `[1 or B, Lx, text_width]` and per-video-frame audio features `[1 or B, La, audio_feature_width]`
    (each optional), with one `(text_on, audio_on)` pass per batch element."""

    def __init__(self, cfg: DiTConfig):
        super().__init__()
        d, z, p2 = cfg.width, cfg.z_channels, cfg.patch_size ** 2
        self.cfg = cfg
        self.patchEmbedding = nn.Linear(p2 * cfg.input_channels, d)
        self.timeEmbedding = TimestepEmbedding(cfg.time_embedding_width, d)
        self.timeProjection = nn.Linear(d, 6 * d)
        self.samplingEmbedding = (SamplingEmbedding(cfg.time_embedding_width, d, cfg.step_embedding)
                                  if cfg.guidance_embedding else None)
        self.textEmbedding = nn.Linear(cfg.text_width, d)
        self.textEmbeddingOut = nn.Linear(d, d)
        self.audioEmbedding = nn.Linear(cfg.audio_feature_width, cfg.audio_hidden)
        self.audioEmbeddingOut = nn.Linear(cfg.audio_hidden, d)
        self.audioPositions = (nn.Parameter(torch.zeros(cfg.temporal_factor + 2 * cfg.audio_band, d))
                               if cfg.audio_band_positions else None)
        self.audioFrameInput = nn.Linear(cfg.temporal_factor * d, d) if cfg.audio_frame_input else None
        self.blocks = nn.ModuleList([DiTBlock(d, cfg.heads, cfg.mlp_ratio) for _ in range(cfg.depth)])
        self.finalModulation = nn.Parameter(torch.zeros(2, d))
        self.head = nn.Linear(d, p2 * z)

    def swift_state(self, prefix: str = "dit.") -> dict[str, torch.Tensor]:
        return SwiftCheckpoint.swift_state(self, prefix)

    def load_swift_state(self, tensors, prefix: str = "dit.", strict: bool = True):
        SwiftCheckpoint.load_swift_state(self, tensors, prefix, strict)

    # -- pieces ------------------------------------------------------------------------------------------------

    def time_conditioning(self, sigmas: torch.Tensor, controls: torch.Tensor | None = None):
        """σ `[B]` → (embedding `[B, d]`, shared block projection `[B, 6d]`); a student adds the embedding of its
        sampling controls `[B, 3]` (None: scales 1 and 1, step size 0)."""
        e = self.timeEmbedding(sigmas)
        if self.samplingEmbedding is not None:
            if controls is None:
                controls = torch.tensor([[1.0, 1.0, 0.0]], device=sigmas.device).expand(sigmas.shape[0], 3)
            e = e + self.samplingEmbedding(controls).to(e.dtype)
        return e, self.timeProjection(F.silu(e))

    def embed_text(self, states: torch.Tensor) -> torch.Tensor:
        return self.textEmbeddingOut(gelu_tanh(self.textEmbedding(states)))

    def embed_audio(self, features: torch.Tensor) -> torch.Tensor:
        return self.audioEmbeddingOut(F.silu(self.audioEmbedding(features)))

    def audio_sequence(self, embedded: torch.Tensor, latent_frames: int) -> torch.Tensor:
        """A tokens of embedded audio `[B, La, d]` for a segment of `latent_frames`: the embedding itself, or with
        `audio_band_positions` each latent frame's band in turn, each token plus √d · `audioPositions[slot]` (stored
        divided by √d so that AdamW moves it at the audio tokens' scale)."""
        if self.audioPositions is None:
            return embedded
        cfg = self.cfg
        bands = audio_bands(latent_frames, embedded.shape[1], cfg.audio_band, cfg.temporal_factor)
        scale = self.cfg.width ** 0.5
        return torch.cat([embedded[:, s:e] + scale * self.audioPositions[slot:slot + e - s][None]
                          for s, e, slot in bands if e > s], dim=1)

    def audio_frame_vectors(self, embedded: torch.Tensor, latent_frames: int) -> torch.Tensor | None:
        """With `audio_frame_input`, `[B, latent_frames, d]`: per latent frame, `audioFrameInput` of its own video
        frames' embedded tokens joined in order (latent frame 0's single frame in the last slot, zeros before it;
        frames past La repeat the last) — Swift's `audioFrameVectors`. None without the field."""
        if self.audioFrameInput is None:
            return None
        b, la, d = embedded.shape
        tf = self.cfg.temporal_factor
        rows = []
        for f in range(latent_frames):
            frames = [0] if f == 0 else list(range(1 + (f - 1) * tf, 1 + f * tf))
            parts = [embedded.new_zeros(b, 1, (tf - len(frames)) * d)] if len(frames) < tf else []
            parts += [embedded[:, min(v, la - 1):min(v, la - 1) + 1] for v in frames]
            rows.append(torch.cat(parts, dim=2))
        return self.audioFrameInput(torch.cat(rows, dim=1))

    @staticmethod
    def adding_audio_frames(x: torch.Tensor, vectors: torch.Tensor, passes, t: int) -> torch.Tensor:
        """V tokens `[B, T·G, d]` plus each latent frame's audio vector `[1 or B, T, d]` in the passes with audio on."""
        b, l, d = x.shape
        on = torch.tensor([1.0 if a else 0.0 for _, a in passes], dtype=x.dtype, device=x.device).reshape(b, 1, 1, 1)
        return (x.reshape(b, t, l // t, d) + vectors.reshape(vectors.shape[0], t, 1, d) * on).reshape(b, l, d)

    def rope(self, frames: int, grid_h: int, grid_w: int, frame_offset: int):
        """RoPE table for a frames × grid_h × grid_w token grid (token units), time from `frame_offset`, in the
        weights' dtype and on their device (remembered per shape: a training run asks for the same few every step)."""
        w = self.head.weight
        key = (frames, grid_h, grid_w, frame_offset, w.dtype, w.device)
        cache = self.__dict__.setdefault("_rope_cache", {})
        if key not in cache:
            cos, sin = rope_table(grid_positions(frames, grid_h, grid_w, frame_offset), self.cfg.head_dim,
                                  self.cfg.rope_base, w.dtype)
            cache[key] = (cos.to(w.device), sin.to(w.device))
        return cache[key]

    def use_fused_attention(self, on: bool = True):
        """Every block's attention through `F.scaled_dot_product_attention` (training) or the explicit softmax."""
        for block in self.blocks:
            block.fused_attention = on

    @staticmethod
    def patchify(x: torch.Tensor, p: int) -> torch.Tensor:
        """`[B, T, h, w, C]` → `[B, T·(h/p)·(w/p), p·p·C]`: a token holds its patch in (row, column, channel) order."""
        b, t, h, w, c = x.shape
        assert h % p == 0 and w % p == 0, f"latent grid {w}×{h} is not a multiple of the patch size {p}"
        return x.reshape(b, t, h // p, p, w // p, p, c).permute(0, 1, 2, 4, 3, 5, 6).reshape(b, t * (h // p) * (w // p), p * p * c)

    @staticmethod
    def unpatchify(x: torch.Tensor, t: int, h: int, w: int, p: int) -> torch.Tensor:
        b, c = x.shape[0], x.shape[2] // (p * p)
        return x.reshape(b, t, h // p, w // p, p, p, c).permute(0, 1, 2, 4, 3, 5, 6).reshape(b, t, h, w, c)

    def embed_video(self, inputs: torch.Tensor) -> torch.Tensor:
        return self.patchEmbedding(self.patchify(inputs, self.cfg.patch_size))

    def embed_reference(self, latent: torch.Tensor) -> torch.Tensor:
        """R tokens of a reference latent `[B, 1, h, w, z]`: the latent in the noisy-latent slot, zeros elsewhere."""
        pad = latent.new_zeros(*latent.shape[:-1], self.cfg.input_channels - self.cfg.z_channels)
        return self.patchEmbedding(self.patchify(torch.cat([latent, pad], dim=-1), self.cfg.patch_size))

    def final_layer(self, x: torch.Tensor, e: torch.Tensor) -> torch.Tensor:
        """adaLN (shift, scale) = time embedding (not its projection) + `finalModulation`, then the head."""
        m = e[:, None, :] + self.finalModulation[None]
        return self.head(layer_norm(x) * (1 + m[:, 1:2]) + m[:, 0:1])

    # -- cached (inference) path -------------------------------------------------------------------------------

    def condition_kv(self, reference_latent=None, text_states=None, audio_features=None, latent_frames=None):
        """Per block, the external (key, value) list `[1, Lr + Lx + A tokens, d]` in sequence order R, X, A, plus
        (Lr, Lx, La): R and X token counts and the video frames of audio, plus the audio frame vectors (None without
        `audio_frame_input` or audio). R runs through the blocks alone (σ = 0, RoPE time 0). `latent_frames`: the
        segment's, needed to lay out A with `audio_band_positions` and for the frame vectors."""
        cfg, per_block = self.cfg, [[] for _ in self.blocks]
        frame_vectors = None
        counts = [0, 0, 0]
        if reference_latent is not None:
            _, _, h, w, _ = reference_latent.shape
            r = self.embed_reference(reference_latent)
            _, proj = self.time_conditioning(torch.zeros(r.shape[0], dtype=torch.float64, device=r.device))
            rope = self.rope(1, h // cfg.patch_size, w // cfg.patch_size, 0)
            for i, block in enumerate(self.blocks):
                (r,), kv = block([(r, proj, rope)], [], None, return_kv=True)
                per_block[i].append(kv)
            counts[0] = per_block[0][0][0].shape[1]
        if text_states is not None:
            x = self.embed_text(text_states)
            for i, block in enumerate(self.blocks):
                per_block[i].append(block.text_kv(x))
            counts[1] = x.shape[1]
        if audio_features is not None:
            assert latent_frames is not None or (self.audioPositions is None and self.audioFrameInput is None), \
                "band positions and the frame input need the latent frames"
            embedded = self.embed_audio(audio_features)
            a = self.audio_sequence(embedded, latent_frames)
            frame_vectors = self.audio_frame_vectors(embedded, latent_frames)
            for i, block in enumerate(self.blocks):
                per_block[i].append(block.audio_kv(a))
            counts[2] = audio_features.shape[1]
        joined = [[(torch.cat([k for k, _ in g], dim=1), torch.cat([v for _, v in g], dim=1))] if g else [] for g in per_block]
        return joined, tuple(counts), frame_vectors

    def velocity(self, inputs, sigmas, passes, conditions, controls=None) -> torch.Tensor:
        """The cached path: `conditions` from `condition_kv`; `controls` `[B, 3]` a student's sampling controls."""
        cfg, p = self.cfg, self.cfg.patch_size
        b, t, h, w, _ = inputs.shape
        externals, (lr, lx, la), frame_vectors = conditions
        x = self.embed_video(inputs)
        if frame_vectors is not None:
            x = self.adding_audio_frames(x, frame_vectors, passes, t)
        e, proj = self.time_conditioning(sigmas, controls)
        mask = attention_mask(t, (h // p) * (w // p), lr, False, lx, la, cfg.audio_band, cfg.temporal_factor, passes,
                              device=inputs.device, audio_band_positions=cfg.audio_band_positions)
        rope = self.rope(t, h // p, w // p, 1)
        for i, block in enumerate(self.blocks):
            (x,), _ = block([(x, proj, rope)], externals[i], mask)
        return self.unpatchify(self.final_layer(x, e), t, h, w, p)

    # -- uncached (training) path ------------------------------------------------------------------------------

    def forward(self, inputs, sigmas, passes, reference_latent=None, text_states=None, audio_features=None,
                reference_on=None, text_lengths=None, controls=None):
        """Returns (velocity `[B, T, h, w, z]`, R's final token states `[B, Lr, d]` or None).

        `reference_on` `[B]` bools and `text_lengths` `[B]` token counts (see `attention_mask`) give each sample
        of a batch its own conditions: a sample without the reference, or with a caption shorter than
        `text_states`' padded length, gets the velocity of a sequence that lacks those tokens. `controls` `[B, 3]`:
        a distilled student's (audio scale, text scale, step size)."""
        cfg, p = self.cfg, self.cfg.patch_size
        b, t, h, w, _ = inputs.shape
        x = self.embed_video(inputs)
        r = expand_batch(self.embed_reference(reference_latent), b) if reference_latent is not None else None
        e, proj = self.time_conditioning(sigmas, controls)
        _, zero_proj = self.time_conditioning(torch.zeros(b, dtype=torch.float64, device=inputs.device))
        text = self.embed_text(text_states) if text_states is not None else None
        embedded = self.embed_audio(audio_features) if audio_features is not None else None
        audio = self.audio_sequence(embedded, t) if embedded is not None else None
        frame_vectors = self.audio_frame_vectors(embedded, t) if embedded is not None else None
        if frame_vectors is not None:
            x = self.adding_audio_frames(x, frame_vectors, passes, t)
        mask = attention_mask(t, (h // p) * (w // p), 0 if r is None else r.shape[1], True,
                              0 if text is None else text.shape[1], 0 if audio_features is None else audio_features.shape[1],
                              cfg.audio_band, cfg.temporal_factor, passes,
                              reference_on if r is not None else None, text_lengths if text is not None else None,
                              device=inputs.device, audio_band_positions=cfg.audio_band_positions)
        video_rope = self.rope(t, h // p, w // p, 1)
        reference_rope = self.rope(1, h // p, w // p, 0)
        for block in self.blocks:
            externals = []
            if text is not None:
                externals.append(block.text_kv(text))
            if audio is not None:
                externals.append(block.audio_kv(audio))
            groups = [(x, proj, video_rope)] + ([(r, zero_proj, reference_rope)] if r is not None else [])
            out, _ = block(groups, externals, mask)
            x = out[0]
            if r is not None:
                r = out[1]
        return self.unpatchify(self.final_layer(x, e), t, h, w, p), r


class PoseGuiderStage(nn.Module):
    """Causal 3×3×3 conv, SiLU, Wan down-sampling (stride-2 space, and time where the VAE's stage halves it), SiLU."""

    def __init__(self, cin: int, cout: int, temporal: bool):
        super().__init__()
        self.conv = CausalConv3d(cin, cout)
        self.downsample = Downsample(cout, cout, temporal)

    def forward(self, x):
        return F.silu(self.downsample(F.silu(self.conv(x))))


class PoseGuider(nn.Module, SwiftCheckpoint):
    """Pose maps `[B, F, H, W, map_channels]` (channels-last like the Swift API; F = 1 + tf·k video frames, H and W
    pixels, multiples of the VAE's spatial factor) → features `[B, 1 + k, H/s, W/s, feature_channels]` on the latent
    grid: one stage per VAE down-sampling stage, then `convOut` (causal 3×3×3, no activation)."""

    def __init__(self, cfg: DiTConfig):
        super().__init__()
        g, flags = cfg.guider_channels, cfg.temporal_downsample
        assert len(g) == len(flags), "pose.guider_channels needs one width per VAE down-sampling stage"
        self.stages = nn.ModuleList([PoseGuiderStage(cfg.map_channels if i == 0 else g[i - 1], g[i], flags[i])
                                     for i in range(len(g))])
        self.convOut = CausalConv3d(g[-1] if g else cfg.map_channels, cfg.feature_channels)

    def swift_state(self, prefix: str = "poseGuider.") -> dict[str, torch.Tensor]:
        return SwiftCheckpoint.swift_state(self, prefix)

    def load_swift_state(self, tensors, prefix: str = "poseGuider.", strict: bool = True):
        SwiftCheckpoint.load_swift_state(self, tensors, prefix, strict)

    def forward(self, maps: torch.Tensor) -> torch.Tensor:
        x = maps.permute(0, 4, 1, 2, 3)   # the VAE modules convolve channels-first
        for stage in self.stages:
            x = stage(x)
        return self.convOut(x).permute(0, 2, 3, 4, 1)
