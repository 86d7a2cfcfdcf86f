"""Stage 0 on an accelerator: train VAE candidates for the same wall time, keep the best, train it on.

    python -m omnitorch.train_vae --data DIR --out DIR [--candidate-seconds 60] [--final-seconds 200]

DIR holds `train.u8.xz` / `val.u8.xz` (lzma-compressed uint8 clips `[N, T, H, W, 3]`, shape in `*.shape`),
made from `omnistudio synth --shard-only` shards by `python -m omnitorch.pack_clips`. The objective is the Swift
trainer's (Sources/OmniTrain/VAEObjective.swift): L1 + 0.5·edge L1 + 1e-4·KL on a reparameterised sample. Windows
are 1 + 4k frames of whole 64×64 frames, flipped left-right at random. Validation: whole clips (first 1 + 4k
frames), decode of the posterior mean, clamped; PSNR over each clip, and Drift = PSNR(first third) − PSNR(last
third). Exports the winner as a VAE checkpoint in the Swift layout (F32, in files `vae_partN.safetensors` of at most ~12 MB).
"""
from __future__ import annotations

import argparse
import contextlib
import json
import lzma
import math
import os
import time

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F
from safetensors.torch import save_file

from .vae import CausalVAE, VAEConfig

CANDIDATES = {
    "d8-w24": VAEConfig(24, [1, 2, 4, 4], 1, [False, True, True], 16),   # the first bundled VAE's shape
    "d4-w32": VAEConfig(32, [1, 2, 4], 1, [True, True], 16),
    "d4-w24": VAEConfig(24, [1, 2, 4], 1, [True, True], 16),
}


def load_clips(folder: str, name: str) -> np.ndarray:
    shape = tuple(int(s) for s in open(os.path.join(folder, f"{name}.shape")).read().split())
    raw = lzma.decompress(open(os.path.join(folder, f"{name}.u8.xz"), "rb").read())
    return np.frombuffer(raw, dtype=np.uint8).reshape(shape)


def load_resume(folder: str):
    """The VAE to train on: `vae_part*.safetensors` of an earlier run (config and step count in their metadata), or
    a model folder (`config.json` + `model.safetensors`, e.g. Models/training/stage0-vae; step count 0)."""
    import glob
    from safetensors import safe_open
    from safetensors.torch import load_file
    parts = sorted(glob.glob(os.path.join(folder, "vae_part*.safetensors")))
    if parts:
        tensors, meta = {}, {}
        for path in parts:
            tensors.update(load_file(path))
            with safe_open(path, "pt") as f:
                meta = f.metadata() or meta
        return tensors, VAEConfig.from_json(json.loads(meta["vae_config"])), int(meta.get("steps", "0"))
    config = os.path.join(folder, "config.json")
    if not os.path.exists(config):
        raise SystemExit(f"{folder}: neither vae_part*.safetensors nor a model folder (config.json)")
    cfg = VAEConfig.from_json(json.load(open(config))["vae"])
    tensors = {k: v for k, v in load_file(os.path.join(folder, "model.safetensors")).items() if k.startswith("vae.")}
    return tensors, cfg, 0


def over_fresh(init: dict, tensors: dict) -> dict:
    """A grown VAE's fresh tensors `init` with the trained `tensors` put over them; a trained key the grown shape
    lacks is an error."""
    unknown = sorted(set(tensors) - set(init))
    if unknown:
        raise SystemExit(f"the VAE to grow has keys the grown shape lacks: {unknown[:3]}")
    return {**init, **tensors}


def grow_encoder(tensors: dict, cfg: VAEConfig, blocks: int, seed: int):
    """`tensors` of a trained VAE with `blocks` residual blocks per encoder stage instead of its own count: the
    added blocks come after the trained ones, their second convolution zero (so each starts as the identity and
    the grown VAE encodes exactly as the trained one did; the other new weights are drawn after seeding torch's
    generator with `seed`, which the training that follows then continues from). Returns (tensors, config)."""
    if blocks <= cfg.encoder_blocks:
        raise SystemExit(f"--encoder-res-blocks {blocks}: the VAE already has {cfg.encoder_blocks} per encoder stage")
    grown = VAEConfig(**{**cfg.__dict__, "encoder_res_blocks": blocks})
    torch.manual_seed(seed)
    fresh = CausalVAE(grown)
    for stage in fresh.encoder.stages:
        for block in list(stage.blocks)[cfg.encoder_blocks:]:
            nn.init.zeros_(block.conv2.weight)
            nn.init.zeros_(block.conv2.bias)
    return over_fresh(fresh.swift_state(), tensors), grown


def grow_latent(tensors: dict, cfg: VAEConfig, z: int, seed: int):
    """`tensors` of a trained VAE with `z` latent channels instead of its own: the encoder's new mean channels are
    fresh features of its last layer (drawn after seeding torch's generator with `seed`), their log-variances start
    at the trained channels' average bias, and the decoder's weights on them start at zero — so the grown VAE
    decodes exactly as the trained one did, and training teaches the new channels what the old ones could not
    carry. The latent statistics of the new channels start at 0 / 1 (measured again on export). Returns (tensors,
    config)."""
    old = cfg.z_channels
    if z <= old:
        raise SystemExit(f"--z-channels {z}: the VAE already has {old} latent channels")
    grown = VAEConfig(**{**cfg.__dict__, "z_channels": z,
                         "latent_mean": list(cfg.latent_mean or [0.0] * old) + [0.0] * (z - old),
                         "latent_std": list(cfg.latent_std or [1.0] * old) + [1.0] * (z - old)})
    torch.manual_seed(seed)
    init = CausalVAE(grown).swift_state()
    out = over_fresh(init, tensors)
    # encoder.convOut's outputs (Swift layout: last axis) are [mean (z), log-variance (z)].
    w, b = tensors["vae.encoder.convOut.weight"], tensors["vae.encoder.convOut.bias"]
    gw, gb = init["vae.encoder.convOut.weight"].clone(), init["vae.encoder.convOut.bias"].clone()
    gw[..., :old], gb[:old] = w[..., :old], b[:old]
    gw[..., z:z + old], gb[z:z + old] = w[..., old:], b[old:]
    gw[..., z + old:], gb[z + old:] = 0, b[old:].mean()
    out["vae.encoder.convOut.weight"], out["vae.encoder.convOut.bias"] = gw, gb
    # decoder.convIn reads the latent on its input axis (second to last): zero on the new channels.
    d = tensors["vae.decoder.convIn.weight"]
    gd = torch.zeros_like(init["vae.decoder.convIn.weight"])
    gd[..., :old, :] = d
    out["vae.decoder.convIn.weight"] = gd
    out["vae.preview.weight"] = torch.cat([tensors["vae.preview.weight"], torch.zeros(3, z - old)], dim=1)
    return out, grown   # any other key that depended on z fails load_swift_state's shape check


def to_video(u8: torch.Tensor) -> torch.Tensor:
    """uint8 `[B, T, H, W, 3]` → float `[B, 3, T, H, W]` in [−1, 1]."""
    return u8.permute(0, 4, 1, 2, 3).float().div(127.5).sub(1)


def edges(x: torch.Tensor, dim: int) -> torch.Tensor:
    return x.narrow(dim, 1, x.shape[dim] - 1) - x.narrow(dim, 0, x.shape[dim] - 1)


def log_mse(y: torch.Tensor, x: torch.Tensor) -> torch.Tensor:
    """Mean over the batch of ln(each window's MSE): a window's gradient is its MSE's divided by that MSE."""
    return (y - x).pow(2).flatten(1).mean(1).clamp_min(1e-10).log().mean()


def loss_terms(vae: CausalVAE, x: torch.Tensor, mse_weight: float = 0.0, decoder_only: bool = False,
               log_mse_weight: float = 0.0):
    """The Swift trainer's objective, plus `mse_weight`·MSE (PSNR is an MSE measure; L1 alone under-weights the
    large errors that dominate it) and `log_mse_weight`·mean over the batch of ln(each window's MSE): the eval
    averages PSNR = −10·log10(MSE) over clips, so a window's error should count through its logarithm — its
    gradient scaled by 1/its MSE, an easy clip's as much as a hard one's, where plain MSE lets the hardest clips
    dominate. `decoder_only`: the encoder is frozen (no KL term, no encoder backward), so the latent space — and
    any DiT trained on it — stays valid while the decoder trains on."""
    if decoder_only:
        with torch.no_grad():
            mean, logvar = vae.encode(x)
    else:
        mean, logvar = vae.encode(x)
    z = mean + torch.exp(0.5 * logvar.float()).to(mean.dtype) * torch.randn_like(mean)
    y = vae.decode(z).float()
    l1 = (y - x).abs().mean()
    edge = (edges(y, 3) - edges(x, 3)).abs().mean() + (edges(y, 4) - edges(x, 4)).abs().mean()
    loss = l1 + 0.5 * edge
    if mse_weight > 0:
        loss = loss + mse_weight * (y - x).pow(2).mean()
    if log_mse_weight > 0:
        loss = loss + log_mse_weight * log_mse(y, x)
    if not decoder_only:
        m, lv = mean.float(), logvar.float()
        loss = loss + 1e-4 * 0.5 * (m * m + lv.exp() - 1 - lv).mean()
    return loss, l1


def trainable(vae: CausalVAE, decoder_only: bool = False, encoder_only: bool = False) -> list:
    """The parameters a resumed run trains: `decoder_only` freezes the encoder, `encoder_only` the decoder (the
    gradient still flows through it to the latents)."""
    if decoder_only:
        vae.encoder.requires_grad_(False)
    if encoder_only:
        vae.decoder.requires_grad_(False)
    return [p for p in vae.parameters() if p.requires_grad]


@torch.no_grad()
def validate(vae: CausalVAE, val: torch.Tensor, frames: int, autocast) -> dict:
    vae.eval()
    psnrs, drifts = [], []
    for i in range(val.shape[0]):
        x = to_video(val[i:i + 1, :frames])
        with autocast():
            mean, _ = vae.encode(x)
            y = vae.decode(mean).float().clamp(-1, 1)
        err = ((y - x) / 2).pow(2).mean(dim=(0, 1, 3, 4))   # per frame, [0, 1] units
        psnrs.append(float(10 * torch.log10(1 / err.mean())))
        third = frames // 3
        drifts.append(float(10 * torch.log10(1 / err[:third].mean()) - 10 * torch.log10(1 / err[-third:].mean())))
    vae.train()
    return {"psnr": float(np.mean(psnrs)), "drift": float(np.mean(drifts))}


def decoder_macs_per_frame(cfg: VAEConfig, size: int = 64) -> float:
    """Multiply-adds of the decoder per output video frame at `size`×`size` (counted with hooks on a short clip)."""
    vae = CausalVAE(cfg)
    total = [0]
    orig3, orig2 = F.conv3d, F.conv2d
    def c3(x, w, b=None, *a, **k):
        y = orig3(x, w, b, *a, **k)
        total[0] += y.numel() * w[0].numel()
        return y
    def c2(x, w, b=None, *a, **k):
        y = orig2(x, w, b, *a, **k)
        total[0] += y.numel() * w[0].numel()
        return y
    F.conv3d, F.conv2d = c3, c2
    try:
        s = size // cfg.spatial_factor
        with torch.no_grad():
            y = vae.decode(torch.zeros(1, cfg.z_channels, 5, s, s))
    finally:
        F.conv3d, F.conv2d = orig3, orig2
    return total[0] / y.shape[2]


def save_parts(vae: CausalVAE, out: str, cfg_json: dict, steps: int, f16: bool = False):
    """The VAE in the Swift layout as `vae_partN.safetensors` of at most ~12 MB each (what comes back from the
    accelerator machine is limited per file); each part is written to a temporary name and renamed."""
    state = {k: v.detach().float().cpu() for k, v in vae.swift_state().items()}
    if f16:
        state = {k: v.half() for k, v in state.items()}
    meta = {"vae_config": json.dumps(cfg_json), "steps": str(steps)}
    parts, current, size = [], {}, 0
    for k, v in state.items():
        if current and size + v.numel() * 4 > 12_000_000:
            parts.append(current)
            current, size = {}, 0
        current[k] = v
        size += v.numel() * 4
    parts.append(current)
    for i, sub in enumerate(parts):
        path = os.path.join(out, f"vae_part{i}.safetensors")
        save_file(sub, path + ".tmp", metadata=meta)
        os.replace(path + ".tmp", path)


def native_cpu_bf16(cpuinfo: str | None = None) -> bool:
    """Whether this CPU computes bf16 natively (AVX512-BF16 or AMX-BF16 in /proc/cpuinfo's flags). Elsewhere torch
    emulates bf16 autocast, correctly but tens of times slower than F32: a Zen 3 machine took 529 s for one step
    that F32 does in ≈ 7 s and a Zen 5 one, with the flag, in 1.2 s."""
    if cpuinfo is None:
        try:
            with open("/proc/cpuinfo") as f:
                cpuinfo = f.read()
        except OSError:
            return False
    flags = next((line.split(":", 1)[1].split() for line in cpuinfo.splitlines() if line.startswith("flags")), [])
    return "avx512_bf16" in flags or "amx_bf16" in flags


def autocasts(device: str, cpu_bf16: bool = False):
    """The (training, validation) autocast contexts: bf16 for both on an accelerator; F32 on a CPU, or with
    `cpu_bf16` bf16 for training only — validation stays F32, so its numbers compare with earlier CPU runs'."""
    if device == "cuda":
        bf16 = lambda: torch.autocast("cuda", dtype=torch.bfloat16)
        return bf16, bf16
    if cpu_bf16:
        return (lambda: torch.autocast("cpu", dtype=torch.bfloat16)), contextlib.nullcontext
    return contextlib.nullcontext, contextlib.nullcontext


def train(vae, opt, ema, data, args, seconds, lr_at, log, label, device, autocast, step0=0, on_step=None):
    start = time.time()
    step = step0
    n, t = data.shape[0], data.shape[1]
    w = args.frames
    losses = []
    while True:
        elapsed = time.time() - start
        if elapsed >= seconds:
            break
        for g in opt.param_groups:
            g["lr"] = lr_at(step - step0, elapsed / seconds)
        idx = torch.randint(0, n, (args.batch,), device=device)
        starts = torch.randint(0, t - w + 1, (args.batch,), device=device)
        frames = starts[:, None] + torch.arange(w, device=device)[None]
        x = data[idx[:, None], frames]                       # [B, w, H, W, 3]
        flip = torch.rand(args.batch, device=device) < 0.5
        x = torch.where(flip[:, None, None, None, None], x.flip(3), x)
        x = to_video(x)
        with autocast():
            loss, l1 = loss_terms(vae, x, args.mse_weight, args.decoder_only, args.log_mse_weight)
        opt.zero_grad(set_to_none=True)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(vae.parameters(), 1.0)
        opt.step()
        with torch.no_grad():
            for e, p in zip(ema, vae.parameters()):
                e.lerp_(p.detach(), 1 - args.ema)
        if step % 20 == 0:
            losses.append(float(l1.detach()))
        if step % 200 == 0:
            log(f"{label} step {step} t={time.time() - start:.0f}s l1={float(l1.detach()):.4f} lr={opt.param_groups[0]['lr']:.2e}")
        step += 1
        if on_step is not None:
            on_step(step)
    return step, losses


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--data", required=True)
    ap.add_argument("--out", required=True)
    ap.add_argument("--candidates", default=",".join(CANDIDATES))
    ap.add_argument("--candidate-seconds", type=float, default=60)
    ap.add_argument("--final-seconds", type=float, default=200)
    ap.add_argument("--batch", type=int, default=8)
    ap.add_argument("--frames", type=int, default=33)
    ap.add_argument("--val-frames", type=int, default=49)
    ap.add_argument("--lr", type=float, default=1e-3)
    ap.add_argument("--ema", type=float, default=0.999)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--resume", help="train this VAE on (no candidates): a run's folder of vae_part*.safetensors, or a model folder")
    ap.add_argument("--warmup", type=int, default=100)
    ap.add_argument("--export-f16", action="store_true")
    ap.add_argument("--decoder-only", action="store_true", help="freeze the encoder: the latent space stays as it is")
    ap.add_argument("--encoder-only", action="store_true",
                    help="freeze the decoder: the encoder learns latents the decoder reconstructs better (this moves the "
                         "latent space: a DiT trained on it and every latent cache of it no longer fit)")
    ap.add_argument("--encoder-res-blocks", type=int, default=0,
                    help="with --resume: grow the encoder to this many residual blocks per stage (the new ones start "
                         "as the identity); the latent space then moves: measure its statistics again with `omnistudio train vae "
                         "--from-vae FILE --steps 0` (Models/training/stage0-vae/STAGE.md)")
    ap.add_argument("--z-channels", type=int, default=0,
                    help="grow the resumed VAE's latent to this many channels (the decoder starts ignoring the new ones, "
                         "so the grown VAE starts as the trained one); the latent space then moves, as with "
                         "--encoder-res-blocks")
    ap.add_argument("--mse-weight", type=float, default=0.0, help="add this × MSE to the loss (0: the Swift objective)")
    ap.add_argument("--log-mse-weight", type=float, default=0.0,
                    help="add this × ln(each window's MSE), averaged over the batch: weighs windows as the mean PSNR over "
                         "clips does (0.084 matches --mse-weight 20's gradient at 29.8 dB)")
    ap.add_argument("--schedule", choices=["cosine", "constant"], default="cosine",
                    help="the final run's learning rate after warm-up (constant: for runs stopped and resumed)")
    ap.add_argument("--checkpoint-seconds", type=float, default=0,
                    help="every this many seconds of the final run: validate, log, save the parts (0: only at the end)")
    ap.add_argument("--threads", type=int, default=0, help="CPU threads for torch (0: its default)")
    ap.add_argument("--cpu-bf16", action="store_true",
                    help="on a CPU with native bf16 (AVX512-BF16 or AMX; refused elsewhere), train under bf16 autocast "
                         "(≈ 1.6× the steps/s); validation stays F32")
    args = ap.parse_args()
    if args.decoder_only and args.encoder_only:
        ap.error("--decoder-only and --encoder-only freeze both halves: nothing would train")
    if args.encoder_res_blocks and (args.decoder_only or not args.resume):
        ap.error("--encoder-res-blocks grows a trained VAE's encoder (--resume) to train it (not --decoder-only)")
    if args.z_channels and (args.decoder_only or args.encoder_only or not args.resume):
        ap.error("--z-channels grows a trained VAE's latent (--resume); both halves must train to use the new channels")
    if (args.decoder_only or args.encoder_only) and not args.resume:
        ap.error("--decoder-only / --encoder-only fine-tune a trained VAE: give it with --resume")
    if args.cpu_bf16 and not torch.cuda.is_available() and not native_cpu_bf16():
        ap.error("--cpu-bf16: this CPU has no native bf16 (neither avx512_bf16 nor amx_bf16 in /proc/cpuinfo's flags); "
                 "torch would emulate it, tens of times slower than F32: leave the flag off")
    os.makedirs(args.out, exist_ok=True)
    logf = open(os.path.join(args.out, "train_vae.log"), "a")
    def log(msg):
        print(msg, flush=True)
        logf.write(msg + "\n"); logf.flush()

    device = "cuda" if torch.cuda.is_available() else "cpu"
    if args.threads > 0:
        torch.set_num_threads(args.threads)
    torch.manual_seed(args.seed)
    torch.backends.cudnn.benchmark = True
    torch.backends.cuda.matmul.allow_tf32 = True
    torch.backends.cudnn.allow_tf32 = True
    if device == "cuda":
        log(f"device {torch.cuda.get_device_name()} torch {torch.__version__}")
    train_autocast, autocast = autocasts(device, args.cpu_bf16)
    t0 = time.time()
    folders = args.data.split(",")   # several folders: their training clips together, the first one's validation
    train_np = np.concatenate([load_clips(f, "train") for f in folders])
    val_np = load_clips(folders[0], "val")
    data = torch.from_numpy(train_np.copy()).to(device)
    val = torch.from_numpy(val_np.copy()).to(device)
    log(f"data train {tuple(data.shape)} val {tuple(val.shape)} loaded in {time.time() - t0:.1f}s")

    def lr_constant(step, frac):
        return args.lr * min(1.0, (step + 1) / args.warmup)

    results, states = {}, {}
    if args.resume:
        tensors, cfg, start_steps = load_resume(args.resume)
        if args.encoder_res_blocks:
            tensors, cfg = grow_encoder(tensors, cfg, args.encoder_res_blocks, args.seed)
        if args.z_channels:
            tensors, cfg = grow_latent(tensors, cfg, args.z_channels, args.seed)
        name = next((k for k, c in CANDIDATES.items() if c.to_json() == cfg.to_json()), "resumed")
        vae = CausalVAE(cfg)
        vae.load_swift_state(tensors)
        vae = vae.to(device)
        opt = torch.optim.AdamW(trainable(vae, args.decoder_only, args.encoder_only), lr=args.lr, betas=(0.9, 0.99), weight_decay=0.0)
        ema = [p.detach().clone() for p in vae.parameters()]
        results[name] = {"config": cfg.to_json(), "resumed_from_steps": start_steps,
                         "val_at_start": validate(vae, val, args.val_frames, autocast)}
        log(f"resumed {name} at step {start_steps}: val {results[name]['val_at_start']}")
        states[name] = (vae, opt, ema, start_steps)
    for name in ([] if args.resume else args.candidates.split(",")):
        cfg = CANDIDATES[name]
        torch.manual_seed(args.seed)
        vae = CausalVAE(cfg).to(device)
        opt = torch.optim.AdamW([p for p in vae.parameters() if p.requires_grad], lr=args.lr, betas=(0.9, 0.99), weight_decay=0.0)
        ema = [p.detach().clone() for p in vae.parameters()]
        steps, curve = train(vae, opt, ema, data, args, args.candidate_seconds, lr_constant, log, name, device, train_autocast)
        metrics = validate(vae, val, args.val_frames, autocast)
        params = sum(p.numel() for p in vae.parameters() if p.requires_grad)
        results[name] = {"config": cfg.to_json(), "parameters": params, "steps": steps,
                         "seconds": args.candidate_seconds, "val": metrics, "curve_l1_every20": curve,
                         "decoder_mac_per_frame": decoder_macs_per_frame(cfg)}
        log(f"candidate {name}: {params} params, {steps} steps, val PSNR {metrics['psnr']:.2f} dB, drift {metrics['drift']:.2f} dB")
        states[name] = (vae, opt, ema, steps)
        json.dump(results, open(os.path.join(args.out, "candidates.json"), "w"), indent=1)

    best = next(iter(states)) if args.resume else max(results, key=lambda k: results[k]["val"]["psnr"])
    for name in list(states):
        if name != best:
            del states[name]
    if device == "cuda":
        torch.cuda.empty_cache()
    vae, opt, ema, steps = states[best]
    log(f"winner {best}; training on for {args.final_seconds:.0f}s")

    def lr_final(step, frac):
        warm = min(1.0, (step + 1) / args.warmup) if args.resume else 1.0
        if args.schedule == "constant":
            return warm * args.lr
        return warm * args.lr * (0.05 + 0.95 * 0.5 * (1 + math.cos(math.pi * min(frac, 1.0))))

    last_checkpoint = [time.time()]
    def checkpoint(step):
        if args.checkpoint_seconds <= 0 or time.time() - last_checkpoint[0] < args.checkpoint_seconds:
            return
        metrics = validate(vae, val, args.val_frames, autocast)
        save_parts(vae, args.out, results[best]["config"], step, args.export_f16)
        with open(os.path.join(args.out, "checkpoints.jsonl"), "a") as f:
            f.write(json.dumps({"step": step, "seconds": round(time.time() - t0), **metrics}) + "\n")
        log(f"checkpoint step {step}: val PSNR {metrics['psnr']:.3f} dB, drift {metrics['drift']:.2f} dB")
        last_checkpoint[0] = time.time()

    steps2, curve2 = train(vae, opt, ema, data, args, args.final_seconds, lr_final, log, best, device, train_autocast,
                           step0=steps, on_step=checkpoint)
    raw_metrics = validate(vae, val, args.val_frames, autocast)
    live = [p.detach().clone() for p in vae.parameters()]
    with torch.no_grad():
        for p, e in zip(vae.parameters(), ema):
            p.copy_(e)
    ema_metrics = validate(vae, val, args.val_frames, autocast)
    use_ema = ema_metrics["psnr"] >= raw_metrics["psnr"]
    if not use_ema:
        with torch.no_grad():
            for p, l in zip(vae.parameters(), live):
                p.copy_(l)
    final = {"name": best, "total_steps": steps2, "final_seconds": args.final_seconds, "val_raw": raw_metrics,
             "val_ema": ema_metrics, "exported": "ema" if use_ema else "raw", "curve_l1_every20": curve2,
             "batch": args.batch, "frames": args.frames, "lr": args.lr, "seed": args.seed}
    results["final"] = final
    json.dump(results, open(os.path.join(args.out, "candidates.json"), "w"), indent=1)
    log(f"final {best}: {steps2} steps, raw {raw_metrics}, ema {ema_metrics}, exported {final['exported']}")
    save_parts(vae, args.out, results[best]["config"], steps2, args.export_f16)
    log(f"done in {time.time() - t0:.0f}s")


if __name__ == "__main__":
    main()
