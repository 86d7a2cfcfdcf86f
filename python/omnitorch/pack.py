"""Reads DiT packs (`omnistudio train pack`, Sources/OmniTrain/DiTPack.swift): puppet clips with every DiT condition
worked out, for the PyTorch trainer (`omnitorch.train_dit`).

A pack folder holds
- `pack.json`: {"format": 1, "model_config": {…config.json…}, "fps", "seconds", "seed", "real_speech",
  "audio_encoder", "audio_frame_width": F, "captions": [...], "buckets": [{"width", "height", "file", "clips"}]};
- per bucket `WxH.safetensors`, K clips of T frames: `video` U8 `[K, T, H, W, 3]` RGB, `reference` U8 `[K, H, W, 3]`
  (the character's reference picture), `pose` F32 `[K, T, 18, 3]` (COCO-18 x, y in the clip's pixels, confidence;
  missing = 0, 0, 0), `audio` F16 `[K, T, F]` (each video frame's own features), `caption` I64 `[K]`;
- `captions.safetensors`: `states` F16 `[C, L, 384]` MiniLM token states zero-padded, `lengths` I64 `[C]`.

Any file but pack.json may be stored xz-compressed as `NAME.xz` instead (`xz -1 -T0 *.safetensors`: the frames of
puppet clips shrink about fivefold, which is what lets a pack travel to an accelerator machine); it is read into
memory and decompressed there.

`load_packs` reads one or several folders, checks every shape and dtype against the manifests (a `PackError` names
the file), and joins buckets of the same size and clip length; caption indices become indices into the joined
caption table.
"""
from __future__ import annotations

import json
import lzma
import os
from dataclasses import dataclass, field

import torch
from safetensors import safe_open
from safetensors.torch import load as load_bytes

WHISPER_ENCODER = "whisper-tiny.en"


class PackError(ValueError):
    """A pack that does not match its manifest or the model; the message names the file."""


@dataclass
class Bucket:
    """The clips of one size and length. `caption` indexes the joined `Packs.states`."""
    width: int
    height: int
    frames: int
    video: torch.Tensor       # uint8 [K, T, H, W, 3]
    reference: torch.Tensor   # uint8 [K, H, W, 3]
    pose: torch.Tensor        # float32 [K, T, 18, 3]
    audio: torch.Tensor       # float16 [K, T, F]
    caption: torch.Tensor     # int64 [K]
    sources: list[str] = field(default_factory=list)

    @property
    def clips(self) -> int:
        return self.video.shape[0]

    def to(self, device) -> "Bucket":
        return Bucket(self.width, self.height, self.frames, self.video.to(device), self.reference.to(device),
                      self.pose.to(device), self.audio.to(device), self.caption.to(device), self.sources)


@dataclass
class Packs:
    """One or several packs joined."""
    folders: list[str]
    manifests: list[dict]
    fps: int
    audio_encoder: str
    audio_frame_width: int
    captions: list[str]
    states: torch.Tensor      # float16 [C, L, 384]
    lengths: torch.Tensor     # int64 [C]
    buckets: list[Bucket]

    @property
    def model_config(self) -> dict:
        return self.manifests[0]["model_config"]

    @property
    def clip_count(self) -> int:
        return sum(b.clips for b in self.buckets)

    def describe(self) -> str:
        sizes = ", ".join(f"{b.width}x{b.height}x{b.frames}f: {b.clips}" for b in self.buckets)
        mb = sum(b.video.numel() + b.reference.numel() + 4 * b.pose.numel() + 2 * b.audio.numel() for b in self.buckets) / 1e6
        return (f"{self.clip_count} clips ({sizes}), {len(self.captions)} captions, {self.audio_encoder} audio "
                f"({self.audio_frame_width} a frame), {mb:.1f} MB")


def _expect(cond: bool, path: str, why: str):
    if not cond:
        raise PackError(f"{path}: {why}")


def _read(path: str, names: dict[str, torch.dtype]) -> dict[str, torch.Tensor]:
    """The named tensors of a safetensors file (or of its xz-compressed `path.xz`), each of the given dtype."""
    if not os.path.exists(path) and os.path.exists(path + ".xz"):
        path += ".xz"
        try:
            tensors = load_bytes(lzma.decompress(open(path, "rb").read()))
        except Exception as e:   # lzma and safetensors raise their own error types
            raise PackError(f"{path}: not an xz-compressed safetensors file ({e})") from e
    else:
        _expect(os.path.exists(path), path, "missing (nor is there a .xz of it)")
        try:
            with safe_open(path, "pt") as f:
                tensors = {k: f.get_tensor(k) for k in f.keys() if k in names}
                keys = list(f.keys())
        except Exception as e:
            raise PackError(f"{path}: not a safetensors file ({e})") from e
        tensors.update({k: None for k in keys if k not in tensors})
    out = {}
    for name, dtype in names.items():
        _expect(name in tensors, path, f"has no tensor '{name}' (has {sorted(tensors)})")
        t = tensors[name]
        _expect(t.dtype == dtype, path, f"'{name}' is {t.dtype}, expected {dtype}")
        out[name] = t
    return out


def frame_width(model_config: dict) -> int:
    """Audio features per video frame of a config's `audio` section (before the ±neighbour concatenation)."""
    a = model_config["audio"]
    return 384 if a.get("encoder", "logmel") == WHISPER_ENCODER else a["mel_frames_per_video_frame"] * a["mel_bins"]


def read_pack(folder: str) -> tuple[dict, list[Bucket], torch.Tensor, torch.Tensor]:
    """One pack: (manifest, buckets with pack-local caption indices, states, lengths), all checked."""
    path = os.path.join(folder, "pack.json")
    _expect(os.path.exists(path), path, "missing (not a DiT pack folder: omnistudio train pack writes one)")
    try:
        manifest = json.load(open(path))
    except json.JSONDecodeError as e:
        raise PackError(f"{path}: not JSON ({e})") from e
    for key in ("format", "model_config", "fps", "seconds", "audio_encoder", "audio_frame_width", "captions", "buckets"):
        _expect(key in manifest, path, f"has no '{key}'")
    _expect(manifest["format"] == 1, path, f"format {manifest['format']}, this reader knows 1")
    fw = manifest["audio_frame_width"]
    _expect(fw == frame_width({"audio": {**manifest["model_config"]["audio"], "encoder": manifest["audio_encoder"]}}),
            path, f"audio_frame_width {fw} does not fit the {manifest['audio_encoder']} features of its model_config")
    cpath = os.path.join(folder, "captions.safetensors")
    cap = _read(cpath, {"states": torch.float16, "lengths": torch.int64})
    states, lengths = cap["states"], cap["lengths"]
    c = len(manifest["captions"])
    text_width = manifest["model_config"]["text"]["encoder_width"]
    _expect(states.dim() == 3 and states.shape[0] == c and states.shape[2] == text_width, cpath,
            f"states {tuple(states.shape)}, expected [{c}, L, {text_width}] ({c} captions in pack.json)")
    _expect(tuple(lengths.shape) == (c,), cpath, f"lengths {tuple(lengths.shape)}, expected [{c}]")
    _expect(bool(((lengths >= 1) & (lengths <= states.shape[1])).all()), cpath,
            f"lengths must be within 1…{states.shape[1]}, got {lengths.tolist()}")
    buckets = []
    for entry in manifest["buckets"]:
        w, h, bpath = entry["width"], entry["height"], os.path.join(folder, entry["file"])
        k = len(entry["clips"])
        t = _read(bpath, {"video": torch.uint8, "reference": torch.uint8, "pose": torch.float32,
                          "audio": torch.float16, "caption": torch.int64})
        v = t["video"]
        _expect(v.dim() == 5 and v.shape[0] == k and tuple(v.shape[2:]) == (h, w, 3), bpath,
                f"video {tuple(v.shape)}, expected [{k}, T, {h}, {w}, 3] ({k} clips of {w}x{h} in pack.json)")
        frames = v.shape[1]
        _expect(frames >= 1, bpath, "clips have no frames")
        for name, shape in (("reference", (k, h, w, 3)), ("pose", (k, frames, 18, 3)), ("audio", (k, frames, fw)),
                            ("caption", (k,))):
            _expect(tuple(t[name].shape) == shape, bpath, f"{name} {tuple(t[name].shape)}, expected {list(shape)}")
        _expect(bool(((t["caption"] >= 0) & (t["caption"] < c)).all()), bpath, f"caption indices outside 0…{c - 1}")
        buckets.append(Bucket(w, h, frames, v, t["reference"], t["pose"], t["audio"], t["caption"], [bpath]))
    _expect(len(buckets) > 0, path, "has no buckets")
    return manifest, buckets, states, lengths


def load_packs(folders: list[str] | str) -> Packs:
    """Reads and joins packs (a list of folders, or one string with comma-separated folders). Packs must agree on
    fps, audio encoder and feature width (they feed one DiT); buckets of equal width, height and clip length are
    concatenated."""
    if isinstance(folders, str):
        folders = [f for f in folders.split(",") if f]
    if not folders:
        raise PackError("no pack folder given")
    manifests, joined, all_states, all_lengths, captions = [], {}, [], [], []
    for folder in folders:
        manifest, buckets, states, lengths = read_pack(folder)
        path = os.path.join(folder, "pack.json")
        if manifests:
            first = manifests[0]
            for key in ("fps", "audio_encoder", "audio_frame_width"):
                _expect(manifest[key] == first[key], path, f"{key} {manifest[key]!r}, but {folders[0]} has {first[key]!r}")
            _expect(manifest["model_config"]["audio"] == first["model_config"]["audio"], path,
                    f"its model_config's audio section differs from {folders[0]}'s")
        offset = len(captions)
        captions += manifest["captions"]
        all_states.append(states)
        all_lengths.append(lengths)
        for b in buckets:
            b.caption = b.caption + offset
            key = (b.width, b.height, b.frames)
            if key in joined:
                j = joined[key]
                joined[key] = Bucket(b.width, b.height, b.frames, torch.cat([j.video, b.video]),
                                     torch.cat([j.reference, b.reference]), torch.cat([j.pose, b.pose]),
                                     torch.cat([j.audio, b.audio]), torch.cat([j.caption, b.caption]), j.sources + b.sources)
            else:
                joined[key] = b
        manifests.append(manifest)
    longest = max(s.shape[1] for s in all_states)
    states = torch.cat([torch.nn.functional.pad(s, (0, 0, 0, longest - s.shape[1])) for s in all_states])
    return Packs(folders, manifests, manifests[0]["fps"], manifests[0]["audio_encoder"], manifests[0]["audio_frame_width"],
                 captions, states, torch.cat(all_lengths), [joined[k] for k in sorted(joined)])


def check_against_model(packs: Packs, model_config: dict, segment_frames: int, spatial_multiple: int):
    """Raises a `PackError` naming the pack when its data cannot feed a model of `model_config`: fps, audio
    encoder and frame width, text width, clip length ≥ one window, frame sizes a multiple of `spatial_multiple`
    (VAE spatial factor × patch size)."""
    where = os.path.join(packs.folders[0], "pack.json")
    video, audio = model_config["video"], model_config["audio"]
    _expect(packs.fps == video["fps"], where, f"clips at {packs.fps} fps, the model's at {video['fps']}")
    encoder = audio.get("encoder", "logmel")
    _expect(packs.audio_encoder == encoder, where, f"{packs.audio_encoder} audio features, the model reads {encoder}")
    _expect(packs.audio_frame_width == frame_width(model_config), where,
            f"{packs.audio_frame_width} audio features a frame, the model {frame_width(model_config)}")
    _expect(packs.states.shape[2] == model_config["text"]["encoder_width"], where,
            f"text states {packs.states.shape[2]} wide, the model's {model_config['text']['encoder_width']}")
    for b in packs.buckets:
        src = b.sources[0]
        _expect(b.frames >= segment_frames, src, f"clips of {b.frames} frames, shorter than a {segment_frames}-frame window")
        _expect(b.width % spatial_multiple == 0 and b.height % spatial_multiple == 0, src,
                f"{b.width}x{b.height} is not a multiple of {spatial_multiple} (VAE factor × patch size)")
