"""The PyTorch side of `omnistudio bench peer`: the same model folder's DiT step and segment decode, timed in torch
eager and under `torch.compile`, on command, so the Swift side can interleave its own timings with these in one run.

Protocol (stdin → stdout, one line each): after loading and warming up it prints one JSON line `{"ready": …}` with
the shapes and whether compiling worked; then each line `step`, `step-compiled`, `decode` or `decode-compiled` is
answered by the seconds that operation took (`nan` when it is not available), and `quit` ends it.

Shapes, as Swift's `bench peer` builds them: one guided DiT call — `passes` (3: all conditions, audio off, text off)
× the segment's latent frames × the first size bucket's latent grid, with the reference, `text_tokens` MiniLM states
and the segment's audio rows as cached conditions — and the decode of one segment's latent frames through a fresh
decoder stream. Inputs are random: the time does not depend on the values.
"""
from __future__ import annotations

import argparse
import json
import os
import sys
import time

os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")   # before torch starts its thread pool
import torch  # noqa: E402

from .dit import DiTConfig, MMDiT
from .train_dit import load_model_folder
from .vae import CausalVAE, VAEConfig


def build(folder: str, text_tokens: int, passes: int):
    config, tensors = load_model_folder(folder)
    dcfg, vcfg = DiTConfig.from_json(config), VAEConfig.from_json(config["vae"])
    dit, vae = MMDiT(dcfg), CausalVAE(vcfg)
    dit.load_swift_state({k: v.float() for k, v in tensors.items() if k.startswith("dit.")})
    vae.load_swift_state({k: v.float() for k, v in tensors.items() if k.startswith("vae.")})
    dit.eval(); vae.eval()
    width, height = config["video"]["sizes"][0]
    s, tf = vcfg.spatial_factor, vcfg.temporal_factor
    t = 1 + (config["video"]["segment_frames"] - 1) // tf
    h, w, z = height // s, width // s, vcfg.z_channels
    g = torch.Generator().manual_seed(1)
    inputs = torch.randn(passes, t, h, w, dcfg.input_channels, generator=g)
    sigmas = torch.full((passes,), 0.7, dtype=torch.float64)
    pass_list = [(True, True), (True, False), (False, True)][:passes]
    with torch.no_grad():
        conditions = dit.condition_kv(torch.randn(1, 1, h, w, z, generator=g),
                                      torch.randn(1, text_tokens, dcfg.text_width, generator=g),
                                      torch.randn(1, config["video"]["segment_frames"], dcfg.audio_feature_width, generator=g),
                                      latent_frames=t)
    latents = torch.randn(1, z, t, h, w, generator=g)

    def step(model):
        with torch.no_grad():
            model(inputs, sigmas, pass_list, conditions)

    def decode(decoder):
        with torch.no_grad():
            decoder(latents, {})

    shapes = {"passes": passes, "latent_frames": t, "grid": [h, w], "z": z, "text_tokens": text_tokens,
              "audio_rows": config["video"]["segment_frames"], "frames_decoded": 1 + (t - 1) * tf}
    return dit, vae, step, decode, shapes


def timed(f) -> float:
    start = time.perf_counter()
    f()
    return time.perf_counter() - start


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--model", required=True)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--text-tokens", type=int, default=16)
    ap.add_argument("--passes", type=int, default=3)
    ap.add_argument("--no-compile", action="store_true")
    args = ap.parse_args()
    torch.set_num_threads(args.threads)
    dit, vae, step, decode, shapes = build(args.model, args.text_tokens, args.passes)
    eager = {"step": lambda: step(dit.velocity), "decode": lambda: decode(vae.decode_stream)}
    compiled, why = {}, None
    if not args.no_compile:
        try:
            velocity, stream = torch.compile(dit.velocity), torch.compile(vae.decode_stream)
            compiled = {"step-compiled": lambda: step(velocity), "decode-compiled": lambda: decode(stream)}
            for f in compiled.values():   # compile and warm up before the clock starts
                f(); f()
        except Exception as error:        # no compiler, an unsupported op: say so, time eager only
            compiled, why = {}, f"{type(error).__name__}: {str(error).splitlines()[0] if str(error) else ''}"[:300]
    for f in eager.values():
        f()
    print(json.dumps({"ready": True, "torch": torch.__version__, "threads": torch.get_num_threads(),
                      "compiled": bool(compiled), "compile_error": why, "shapes": shapes}), flush=True)
    ops = {**eager, **compiled}
    for line in sys.stdin:
        command = line.strip()
        if command == "quit":
            break
        print(f"{timed(ops[command]):.6f}" if command in ops else "nan", flush=True)


if __name__ == "__main__":
    main()
