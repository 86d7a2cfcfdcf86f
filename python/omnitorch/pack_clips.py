"""Packs the frames of `omnistudio synth --shard-only` shards into one lzma-compressed uint8 array, the compact
form `omnitorch.train_vae` reads on a machine without the Swift toolchain.

    python -m omnitorch.pack_clips SHARD [SHARD …] --out DIR --name train

Writes DIR/NAME.u8.xz (frames `[N, T, H, W, 3]`, clips cut to the shortest clip's length) and DIR/NAME.shape.
"""
from __future__ import annotations

import argparse
import lzma
import os

import numpy as np

from .shard import read_shard


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("shards", nargs="+")
    ap.add_argument("--out", required=True)
    ap.add_argument("--name", required=True)
    args = ap.parse_args()
    clips = [c.frames for path in args.shards for c in read_shard(path)]
    t = min(c.shape[0] for c in clips)
    frames = np.ascontiguousarray(np.stack([c[:t] for c in clips]))
    os.makedirs(args.out, exist_ok=True)
    path = os.path.join(args.out, f"{args.name}.u8.xz")
    with open(path + ".partial", "wb") as f:
        f.write(lzma.compress(frames.tobytes(), preset=6))
    os.replace(path + ".partial", path)
    with open(os.path.join(args.out, f"{args.name}.shape"), "w") as f:
        f.write(" ".join(map(str, frames.shape)))
    print(f"{path}: {frames.shape}, {os.path.getsize(path) / 1e6:.1f} MB")


if __name__ == "__main__":
    main()
