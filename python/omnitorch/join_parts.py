"""Joins the part files an accelerator run writes (split to fit what such a machine hands back per file).

    python -m omnitorch.join_parts DIR --out vae.safetensors                  # train_vae: vae_partN.safetensors
    python -m omnitorch.join_parts DIR --base MODEL_FOLDER --out MODEL_DIR    # train_dit: model_partN.safetensors
    python -m omnitorch.join_parts DIR --base MODEL_FOLDER --out MODEL_DIR    # train_vae --decoder-only: vae_partN

The first form joins `omnitorch.train_vae`'s parts into one safetensors file, for `omnistudio train vae --from-vae
FILE`. The second joins `omnitorch.train_dit --export-parts`'s parts (the DiT and pose-guider keys, EMA weights) with
every other tensor of the model folder the run started from (the frozen VAE, its latent preview), and writes a model
folder: config.json from the parts' metadata (the run's config) and model.safetensors (F32) with exactly the base
folder's keys, which `omnistudio eval --model MODEL_DIR` opens. The third puts a VAE whose decoder was fine-tuned alone
(`train_vae --decoder-only`: the encoder, so the latent space, its statistics and the DiT on it, unchanged) into a
model folder of the same VAE shape: every other tensor and config.json come from the base.
"""
from __future__ import annotations

import argparse
import glob
import json
import os

from safetensors import safe_open
from safetensors.torch import load_file, save_file


def read_parts(paths: list[str]):
    """(tensors, metadata of the last part) of part files whose keys must not overlap."""
    tensors, meta = {}, {}
    for path in paths:
        part = load_file(path)
        clash = set(part) & set(tensors)
        if clash:
            raise SystemExit(f"{path}: keys also in an earlier part: {sorted(clash)[:3]}")
        tensors.update(part)
        with safe_open(path, "pt") as f:
            meta = f.metadata() or meta
    return tensors, meta


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("folder")
    ap.add_argument("--out", required=True)
    ap.add_argument("--base", help="model folder whose other tensors complete the parts (train_dit's starting --model, "
                                   "or a model with the VAE that train_vae --decoder-only fine-tuned)")
    args = ap.parse_args(argv)
    pattern = "vae_part*.safetensors"
    if args.base and glob.glob(os.path.join(args.folder, "model_part*.safetensors")):
        pattern = "model_part*.safetensors"
    paths = sorted(glob.glob(os.path.join(args.folder, pattern)))
    if not paths:
        raise SystemExit(f"{args.folder}: no {pattern} files")
    tensors, meta = read_parts(paths)
    if meta.get("parts") and int(meta["parts"]) != len(paths):
        raise SystemExit(f"{args.folder}: {len(paths)} part files, the export wrote {meta['parts']}")
    if not args.base:
        save_file(tensors, args.out + ".partial", metadata=meta)
        os.replace(args.out + ".partial", args.out)
        print(f"{args.out}: {len(tensors)} tensors from {len(paths)} parts")
        return
    base = load_file(os.path.join(args.base, "model.safetensors"))
    unknown = sorted(set(tensors) - set(base))
    if unknown:
        raise SystemExit(f"{args.folder}: keys the base model folder {args.base} lacks: {unknown[:3]}")
    joined = {k: (tensors[k] if k in tensors else v).float().contiguous() for k, v in base.items()}
    for k in tensors:
        if tensors[k].shape != base[k].shape and not k.startswith("dit.audioEmbedding."):
            raise SystemExit(f"{k}: shape {tuple(tensors[k].shape)} in the parts, {tuple(base[k].shape)} in {args.base}")
    os.makedirs(args.out, exist_ok=True)
    path = os.path.join(args.out, "model.safetensors")
    source = "python -m omnitorch.train_vae" if pattern.startswith("vae") else "python -m omnitorch.train_dit"
    save_file(joined, path + ".partial", metadata={"format": "omni", "source": source, "step": meta.get("step", meta.get("steps", "?"))})
    os.replace(path + ".partial", path)
    if pattern.startswith("vae"):
        config = json.load(open(os.path.join(args.base, "config.json")))
        if json.loads(meta["vae_config"]) != config["vae"]:
            raise SystemExit(f"{args.folder}: the parts' VAE shape {meta['vae_config']} is not {args.base}'s")
    else:
        config = json.loads(meta["config"])
    with open(os.path.join(args.out, "config.json.partial"), "w") as f:
        json.dump(config, f, indent=2, sort_keys=True)
    os.replace(os.path.join(args.out, "config.json.partial"), os.path.join(args.out, "config.json"))
    print(f"{args.out}: {len(joined)} tensors ({len(tensors)} from {len(paths)} parts, step {meta.get('step', meta.get('steps', '?'))})")


if __name__ == "__main__":
    main()
