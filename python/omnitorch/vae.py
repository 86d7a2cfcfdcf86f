"""The causal 3-D VAE, mirroring Sources/OmniModel/VAE op for op (the Swift types document each layer).

Activations are channels-first here, `[B, C, T, H, W]` (PyTorch's convolution layout); the Swift engine is
channels-last. Pixels are in [-1, 1]. T = 1 + tf·k video frames ↔ 1 + k latent frames; H, W ÷ spatial factor.
`swift_state()` / `load_swift_state()` convert between this module's parameters and the Swift checkpoint layout:
Conv3d kernels `[kT, kH, kW, Cin, Cout]`, Conv2d kernels `[kH, kW, Cin, Cout]`, Linear `[out, in]`.
"""
from __future__ import annotations

from dataclasses import dataclass, field

import torch
import torch.nn as nn
import torch.nn.functional as F


def spatial_factor(temporal_downsample: list[bool]) -> int:
    """Pixels per latent cell along each side: every down-sampling stage halves space."""
    return 1 << len(temporal_downsample)


def temporal_factor(temporal_downsample: list[bool]) -> int:
    """Video frames per latent frame (after the first): the stages flagged also halve time."""
    return 1 << sum(1 for t in temporal_downsample if t)


@dataclass
class VAEConfig:
    """The `vae` section of a model folder's config.json (snake_case keys)."""
    base_channels: int
    channel_multipliers: list[int]
    res_blocks: int
    temporal_downsample: list[bool]
    z_channels: int
    mid_attention: bool = False
    latent_mean: list[float] = field(default_factory=list)
    latent_std: list[float] = field(default_factory=list)
    encoder_res_blocks: int | None = None   # residual blocks per encoder stage; None: res_blocks

    @property
    def encoder_blocks(self) -> int:
        return self.res_blocks if self.encoder_res_blocks is None else self.encoder_res_blocks

    @property
    def spatial_factor(self) -> int:
        return spatial_factor(self.temporal_downsample)

    @property
    def temporal_factor(self) -> int:
        return temporal_factor(self.temporal_downsample)

    @staticmethod
    def from_json(d: dict) -> "VAEConfig":
        return VAEConfig(d["base_channels"], list(d["channel_multipliers"]), d["res_blocks"],
                         list(d["temporal_downsample"]), d["z_channels"], d.get("mid_attention", False),
                         list(d.get("latent_mean", [])), list(d.get("latent_std", [])), d.get("encoder_res_blocks"))

    def to_json(self) -> dict:
        z = self.z_channels
        d = {"base_channels": self.base_channels, "channel_multipliers": self.channel_multipliers,
             "res_blocks": self.res_blocks, "temporal_downsample": self.temporal_downsample,
             "z_channels": z, "mid_attention": self.mid_attention,
             "latent_mean": self.latent_mean or [0.0] * z, "latent_std": self.latent_std or [1.0] * z}
        if self.encoder_res_blocks is not None:
            d["encoder_res_blocks"] = self.encoder_res_blocks
        return d


class RMSNorm(nn.Module):
    """RMS norm over channels (dim 1), gain γ, ε = 1e-6."""

    def __init__(self, channels: int, eps: float = 1e-6):
        super().__init__()
        self.weight = nn.Parameter(torch.ones(channels))
        self.eps = eps

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        shape = [1, -1] + [1] * (x.dim() - 2)
        xf = x.float()
        y = xf * torch.rsqrt(xf.pow(2).mean(dim=1, keepdim=True) + self.eps)
        return (y * self.weight.view(shape)).to(x.dtype)


class CausalConv3d(nn.Module):
    """All kT − 1 temporal padding frames in front (zeros, or the stream's cached frames), spatial 'same'."""

    def __init__(self, cin: int, cout: int, kernel=(3, 3, 3)):
        super().__init__()
        self.weight = nn.Parameter(torch.empty(cout, cin, *kernel))
        self.bias = nn.Parameter(torch.zeros(cout))
        nn.init.kaiming_uniform_(self.weight, a=5 ** 0.5)
        self.kernel = kernel

    @property
    def history(self) -> int:
        return self.kernel[0] - 1

    def forward(self, x: torch.Tensor, cache: dict | None = None) -> torch.Tensor:
        kt, kh, kw = self.kernel
        if kt > 1:
            if cache is not None:
                prev = cache.get(id(self))
                if prev is None:
                    prev = x.new_zeros(x.shape[0], x.shape[1], kt - 1, *x.shape[3:])
                xp = torch.cat([prev, x], dim=2)
                cache[id(self)] = xp[:, :, -(kt - 1):].detach()
            else:
                xp = F.pad(x, (0, 0, 0, 0, kt - 1, 0))
        else:
            xp = x
        return F.conv3d(xp, self.weight, self.bias, padding=(0, kh // 2, kw // 2))


class Conv2dFrames(nn.Module):
    """A 2-D convolution of every frame; `wan_down`: one zero column right, one zero row bottom, stride 2."""

    def __init__(self, cin: int, cout: int, kernel=3, stride=1, wan_down=False):
        super().__init__()
        self.weight = nn.Parameter(torch.empty(cout, cin, kernel, kernel))
        self.bias = nn.Parameter(torch.zeros(cout))
        nn.init.kaiming_uniform_(self.weight, a=5 ** 0.5)
        self.stride, self.wan_down, self.kernel = stride, wan_down, kernel

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        b, c, t, h, w = x.shape
        y = x.transpose(1, 2).reshape(b * t, c, h, w)
        if self.wan_down:
            y = F.conv2d(F.pad(y, (0, 1, 0, 1)), self.weight, self.bias, stride=self.stride)
        else:
            y = F.conv2d(y, self.weight, self.bias, stride=self.stride, padding=self.kernel // 2)
        return y.reshape(b, t, -1, *y.shape[-2:]).transpose(1, 2)


class ResidualBlock(nn.Module):
    def __init__(self, cin: int, cout: int):
        super().__init__()
        self.norm1 = RMSNorm(cin)
        self.conv1 = CausalConv3d(cin, cout)
        self.norm2 = RMSNorm(cout)
        self.conv2 = CausalConv3d(cout, cout)
        self.shortcut = CausalConv3d(cin, cout, (1, 1, 1)) if cin != cout else None

    def forward(self, x, cache=None):
        h = self.conv1(F.silu(self.norm1(x)), cache)
        h = self.conv2(F.silu(self.norm2(h)), cache)
        return h + (self.shortcut(x) if self.shortcut is not None else x)


class FrameAttention(nn.Module):
    """Single-head attention among the H·W positions of each frame (never across frames)."""

    def __init__(self, c: int):
        super().__init__()
        self.norm = RMSNorm(c)
        self.qkv = nn.Linear(c, 3 * c)
        self.proj = nn.Linear(c, c)

    def forward(self, x):
        b, c, t, h, w = x.shape
        y = self.norm(x).permute(0, 2, 3, 4, 1).reshape(b * t, h * w, c)
        q, k, v = self.qkv(y).split(c, dim=-1)
        a = F.scaled_dot_product_attention(q, k, v)
        return x + self.proj(a).reshape(b, t, h, w, c).permute(0, 4, 1, 2, 3)


class MiddleBlock(nn.Module):
    def __init__(self, c: int, attention: bool):
        super().__init__()
        self.block1 = ResidualBlock(c, c)
        self.attention = FrameAttention(c) if attention else None
        self.block2 = ResidualBlock(c, c)

    def forward(self, x, cache=None):
        h = self.block1(x, cache)
        if self.attention is not None:
            h = self.attention(h)
        return self.block2(h, cache)


class Downsample(nn.Module):
    """Spatial stride-2 conv; with `temporal`, frame 0 passes, pairs (2j+1, 2j+2) are read with frame 2j."""

    def __init__(self, cin: int, cout: int, temporal: bool):
        super().__init__()
        self.spatial = Conv2dFrames(cin, cout, 3, stride=2, wan_down=True)
        self.time = CausalConv3d(cout, cout, (3, 1, 1)) if temporal else None

    def forward(self, x, cache=None):
        y = self.spatial(x)
        if self.time is None:
            return y
        key = ("last", id(self))
        parts = []
        if cache is None or key not in cache:
            first = y[:, :, :1]
            parts.append(first)
            previous, rest = first, y[:, :, 1:]
        else:
            previous, rest = cache[key], y
        assert rest.shape[2] % 2 == 0, "temporal down-sampling needs an even number of frames after the first"
        if rest.shape[2] > 0:
            window = torch.cat([previous, rest], dim=2)
            parts.append(F.conv3d(window, self.time.weight, self.time.bias, stride=(2, 1, 1)))
        if cache is not None:
            cache[key] = y[:, :, -1:].detach()
        return torch.cat(parts, dim=2) if len(parts) > 1 else parts[0]


class Upsample(nn.Module):
    """With `temporal`: frame 0 passes, later frames → causal (3,1,1) conv C → 2C → two frames each; then ×2 nearest + 3×3."""

    def __init__(self, cin: int, cout: int, temporal: bool):
        super().__init__()
        self.time = CausalConv3d(cin, 2 * cin, (3, 1, 1)) if temporal else None
        self.spatial = Conv2dFrames(cin, cout, 3)

    def forward(self, x, cache=None):
        y = x
        if self.time is not None:
            key = ("started", id(self))
            parts = []
            rest = x
            if cache is None or key not in cache:
                parts.append(x[:, :, :1])
                rest = x[:, :, 1:]
                if cache is not None:
                    cache[key] = True
            if rest.shape[2] > 0:
                r = self.time(rest, cache)
                b, c2, t, h, w = r.shape
                # Channel block i of frame t becomes frame 2t + i.
                r = r.reshape(b, 2, c2 // 2, t, h, w).permute(0, 2, 3, 1, 4, 5).reshape(b, c2 // 2, 2 * t, h, w)
                parts.append(r)
            y = torch.cat(parts, dim=2) if len(parts) > 1 else parts[0]
        b, c, t, h, w = y.shape
        y = y.reshape(b, c, t, h, 1, w, 1).expand(b, c, t, h, 2, w, 2).reshape(b, c, t, 2 * h, 2 * w)
        return self.spatial(y)


class EncoderStage(nn.Module):
    def __init__(self, cin, cout, blocks, downsample, temporal):
        super().__init__()
        self.blocks = nn.ModuleList([ResidualBlock(cin if i == 0 else cout, cout) for i in range(blocks)])
        self.downsample = Downsample(cout, cout, temporal) if downsample else None

    def forward(self, x, cache=None):
        for b in self.blocks:
            x = b(x, cache)
        return self.downsample(x, cache) if self.downsample is not None else x


class DecoderStage(nn.Module):
    def __init__(self, cin, cout, blocks, upsample, temporal):
        super().__init__()
        self.blocks = nn.ModuleList([ResidualBlock(cin if i == 0 else cout, cout) for i in range(blocks)])
        self.upsample = Upsample(cout, cout // 2, temporal) if upsample else None

    def forward(self, x, cache=None):
        for b in self.blocks:
            x = b(x, cache)
        return self.upsample(x, cache) if self.upsample is not None else x


class VAEEncoder(nn.Module):
    def __init__(self, cfg: VAEConfig):
        super().__init__()
        m = cfg.channel_multipliers
        widths = [cfg.base_channels] + [cfg.base_channels * k for k in m]
        self.convIn = CausalConv3d(3, widths[0])
        self.stages = nn.ModuleList([
            EncoderStage(widths[i], widths[i + 1], cfg.encoder_blocks, i < len(m) - 1,
                         cfg.temporal_downsample[i] if i < len(m) - 1 else False) for i in range(len(m))])
        self.middle = MiddleBlock(widths[-1], cfg.mid_attention)
        self.normOut = RMSNorm(widths[-1])
        self.convOut = CausalConv3d(widths[-1], 2 * cfg.z_channels)

    def forward(self, x, cache=None):
        h = self.convIn(x, cache)
        for s in self.stages:
            h = s(h, cache)
        h = self.middle(h, cache)
        return self.convOut(F.silu(self.normOut(h)), cache)


class VAEDecoder(nn.Module):
    def __init__(self, cfg: VAEConfig):
        super().__init__()
        m = cfg.channel_multipliers
        widths = [cfg.base_channels * k for k in [m[-1]] + list(reversed(m))]
        temporal = list(reversed(cfg.temporal_downsample))
        self.convIn = CausalConv3d(cfg.z_channels, widths[0])
        self.middle = MiddleBlock(widths[0], cfg.mid_attention)
        self.stages = nn.ModuleList([
            DecoderStage(widths[0] if i == 0 else widths[i] // 2, widths[i + 1], cfg.res_blocks + 1, i < len(m) - 1,
                         temporal[i] if i < len(m) - 1 else False) for i in range(len(m))])
        self.normOut = RMSNorm(widths[-1])
        self.convOut = CausalConv3d(widths[-1], 3)

    def forward(self, z, cache=None):
        h = self.convIn(z, cache)
        h = self.middle(h, cache)
        for s in self.stages:
            h = s(h, cache)
        return self.convOut(F.silu(self.normOut(h)), cache)


class LatentPreview(nn.Module):
    """Affine map of normalised latents to RGB (fitted, not trained; kept for the checkpoint)."""

    def __init__(self, z: int):
        super().__init__()
        self.weight = nn.Parameter(torch.zeros(3, z), requires_grad=False)
        self.bias = nn.Parameter(torch.zeros(3), requires_grad=False)


class CausalVAE(nn.Module):
    """`encode(video [B,3,T,H,W]) → (mean, logvar)` each `[B,z,1+k,H/s,W/s]`; `decode(z) → [B,3,T,H,W]`."""

    def __init__(self, cfg: VAEConfig):
        super().__init__()
        self.cfg = cfg
        self.encoder = VAEEncoder(cfg)
        self.decoder = VAEDecoder(cfg)
        self.preview = LatentPreview(cfg.z_channels)

    def encode(self, video: torch.Tensor):
        moments = self.encoder(video)
        z = self.cfg.z_channels
        return moments[:, :z], moments[:, z:]

    def decode(self, z: torch.Tensor) -> torch.Tensor:
        return self.decoder(z)

    def decode_stream(self, z: torch.Tensor, cache: dict) -> torch.Tensor:
        """Decodes the next latent frames of a stream whose state lives in `cache` (a dict; {} starts a stream)."""
        return self.decoder(z, cache)

    # -- Swift checkpoint layout ------------------------------------------------------------------------------

    def swift_state(self, prefix: str = "vae.") -> dict[str, torch.Tensor]:
        """Parameters in the Swift layout, keyed by Swift module path."""
        out = {}
        for name, p in self.state_dict().items():
            out[prefix + name] = to_swift_layout(p.detach().float().cpu())
        return out

    def load_swift_state(self, tensors: dict[str, torch.Tensor], prefix: str = "vae.", strict: bool = True):
        own = self.state_dict()
        missing = [k for k in own if prefix + k not in tensors]
        if strict and missing:
            raise KeyError(f"checkpoint lacks {missing[:5]}{'…' if len(missing) > 5 else ''}")
        new = {}
        for k, p in own.items():
            t = from_swift_layout(tensors[prefix + k].float(), p.dim())
            if tuple(t.shape) != tuple(p.shape):
                raise ValueError(f"{prefix + k}: checkpoint shape {tuple(t.shape)}, model {tuple(p.shape)}")
            new[k] = t
        self.load_state_dict(new)


def to_swift_layout(t: torch.Tensor) -> torch.Tensor:
    if t.dim() == 5:   # [O, I, kT, kH, kW] → [kT, kH, kW, I, O]
        return t.permute(2, 3, 4, 1, 0).contiguous()
    if t.dim() == 4:   # [O, I, kH, kW] → [kH, kW, I, O]
        return t.permute(2, 3, 1, 0).contiguous()
    return t.contiguous()


def from_swift_layout(t: torch.Tensor, dim: int) -> torch.Tensor:
    if dim == 5:
        return t.permute(4, 3, 0, 1, 2).contiguous()
    if dim == 4:
        return t.permute(3, 2, 0, 1).contiguous()
    return t
