"""Joins the `vae_partN.safetensors` files of `omnitorch.train_vae` (split to fit what an accelerator machine
returns) into one safetensors file, for `omnistudio train vae --from-vae FILE`.

    python -m omnitorch.join_parts DIR --out vae.safetensors
"""
from __future__ import annotations

import argparse
import glob
import os

from safetensors import safe_open
from safetensors.torch import load_file, save_file


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("folder")
    ap.add_argument("--out", required=True)
    args = ap.parse_args()
    paths = sorted(glob.glob(os.path.join(args.folder, "vae_part*.safetensors")))
    if not paths:
        raise SystemExit(f"{args.folder}: no vae_part*.safetensors files")
    tensors, meta = {}, {}
    for path in paths:
        part = load_file(path)
        clash = set(part) & set(tensors)
        if clash:
            raise SystemExit(f"{path}: keys also in an earlier part: {sorted(clash)[:3]}")
        tensors.update(part)
        with safe_open(path, "pt") as f:
            meta = f.metadata() or meta
    save_file(tensors, args.out + ".partial", metadata=meta)
    os.replace(args.out + ".partial", args.out)
    print(f"{args.out}: {len(tensors)} tensors from {len(paths)} parts")


if __name__ == "__main__":
    main()
