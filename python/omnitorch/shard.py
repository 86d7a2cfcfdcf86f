"""Reads the puppet world's binary training shards (`omnistudio synth` → clips.shard; format in
Sources/OmniWorld/Shard.swift): per clip the frames `[T, H, W, 3]` uint8, the reference, audio, pose, mouth and
energy tracks and the caption. Every size and offset is checked against the file; a bad file raises
ValueError naming it."""
from __future__ import annotations

import struct
from dataclasses import dataclass

import numpy as np

MAGIC = b"OWSHARD\0"


@dataclass
class ShardClip:
    frames: np.ndarray      # [T, H, W, 3] uint8
    reference: np.ndarray   # [H, W, 3] uint8
    audio: np.ndarray       # [samples] float32
    sample_rate: int
    pose: np.ndarray        # [T, 18, 3] float32
    mouth: np.ndarray       # [T] float32
    energy: np.ndarray      # [T] float32
    fps: float
    caption: str


def _pad(n: int) -> int:
    return (8 - n % 8) % 8


def read_shard(path: str) -> list[ShardClip]:
    data = open(path, "rb").read()
    def fail(why):
        raise ValueError(f"{path}: {why}")
    if len(data) < 64 or data[:8] != MAGIC:
        fail("not a puppet-world shard (bad magic)")
    version, header_size, count, _ = struct.unpack_from("<4I", data, 8)
    index_offset, length = struct.unpack_from("<2Q", data, 24)
    if version != 1 or header_size != 64 or length != len(data) or index_offset + 24 * count != len(data):
        fail("header sizes do not match the file")
    clips = []
    for i in range(count):
        offset, rec_len, _checksum = struct.unpack_from("<3Q", data, index_offset + 24 * i)
        if offset + rec_len > index_offset or rec_len < 64:
            fail(f"record {i} lies outside the records section")
        w, h, t = struct.unpack_from("<3I", data, offset)
        (fps,) = struct.unpack_from("<f", data, offset + 12)
        rate, samples, caption_bytes = struct.unpack_from("<3I", data, offset + 16)
        p = offset + 64
        end = offset + rec_len
        def take(n, dtype, shape):
            nonlocal p
            size = n * np.dtype(dtype).itemsize
            if p + size > end:
                fail(f"record {i} is shorter than its sizes")
            a = np.frombuffer(data, dtype=dtype, count=n, offset=p).reshape(shape)
            p += size + _pad(size)
            return a
        frames = take(t * h * w * 3, np.uint8, (t, h, w, 3))
        reference = take(h * w * 3, np.uint8, (h, w, 3))
        audio = take(samples, np.float32, (samples,))
        pose = take(t * 18 * 3, np.float32, (t, 18, 3))
        mouth = take(t, np.float32, (t,))
        energy = take(t, np.float32, (t,))
        caption = bytes(take(caption_bytes, np.uint8, (caption_bytes,))).decode("utf-8")
        clips.append(ShardClip(frames, reference, audio, rate, pose, mouth, energy, fps, caption))
    return clips
