"""Swift's `RandomStream` (Sources/OmniTensor/Random/RandomStream.swift) in numpy: Philox4x32-10 blocks, `split`,
and the normal space Box–Muller (float64, rounded to float32), so PyTorch can draw the noise `omnistudio`
draws for a seed — value for value. Tests: `python/tests/test_random_stream.py` and Swift's
`RandomStreamTests.testNormalsMatchTheReferenceImplementation` share the golden values.
"""
from __future__ import annotations

import numpy as np

_M0, _M1 = np.uint64(0xD2511F53), np.uint64(0xCD9E8D57)
_W0, _W1 = 0x9E3779B9, 0xBB67AE85
_LOW = np.uint64(0xFFFFFFFF)


def philox(counter: np.ndarray, key: tuple[int, int]) -> np.ndarray:
    """Ten Philox4x32 rounds of `counter` (`[n, 4]` uint32) under `key` (two 32-bit words): `[n, 4]` uint32."""
    c = [counter[:, i].astype(np.uint64) for i in range(4)]
    k0, k1 = key[0] & 0xFFFFFFFF, key[1] & 0xFFFFFFFF
    for r in range(10):
        if r > 0:
            k0, k1 = (k0 + _W0) & 0xFFFFFFFF, (k1 + _W1) & 0xFFFFFFFF
        p0, p1 = _M0 * c[0], _M1 * c[2]
        hi0, lo0, hi1, lo1 = p0 >> np.uint64(32), p0 & _LOW, p1 >> np.uint64(32), p1 & _LOW
        c = [hi1 ^ c[1] ^ np.uint64(k0), lo1, hi0 ^ c[3] ^ np.uint64(k1), lo0]
    return np.stack(c, axis=1).astype(np.uint32)


class RandomStream:
    """(seed, stream) → the same words and normals as Swift's `RandomStream`; stateless by index."""

    def __init__(self, seed: int, stream: int = 0):
        self.seed, self.stream = seed & (2**64 - 1), stream & (2**64 - 1)

    def _key(self) -> tuple[int, int]:
        return self.seed & 0xFFFFFFFF, self.seed >> 32

    def _blocks(self, blocks: np.ndarray, normals: bool) -> np.ndarray:
        blocks = blocks.astype(np.uint64)
        high = (blocks >> np.uint64(32)) & np.uint64(0x7FFFFFFF)
        if normals:
            high |= np.uint64(0x80000000)
        counter = np.stack([blocks & _LOW, high,
                            np.full_like(blocks, self.stream & 0xFFFFFFFF), np.full_like(blocks, self.stream >> 32)], axis=1)
        return philox(counter.astype(np.uint32), self._key())

    def split(self, label: int) -> "RandomStream":
        tweak = ((self.seed & 0xFFFFFFFF) ^ 0x53706C69, (self.seed >> 32) ^ 0x74537472)
        counter = np.array([[label & 0xFFFFFFFF, (label >> 32) & 0xFFFFFFFF,
                             self.stream & 0xFFFFFFFF, self.stream >> 32]], dtype=np.uint32)
        out = philox(counter, tweak)[0]
        return RandomStream(self.seed, int(out[0]) | int(out[1]) << 32)

    def words(self, count: int, start: int = 0) -> np.ndarray:
        first, last = start // 4, (start + count + 3) // 4
        w = self._blocks(np.arange(first, last, dtype=np.uint64), normals=False).reshape(-1)
        return w[start - 4 * first:start - 4 * first + count]

    def normals(self, count: int, start: int = 0) -> np.ndarray:
        """`normal(at: start ..< start + count)` as float32."""
        first, last = start // 4, (start + count + 3) // 4
        w = self._blocks(np.arange(first, last, dtype=np.uint64), normals=True).astype(np.float64)
        out = np.empty((w.shape[0], 4), dtype=np.float32)
        for pair in (0, 2):
            u1 = (w[:, pair] + 0.5) * 2.0 ** -32
            theta = 2 * np.pi * (w[:, pair + 1] * 2.0 ** -32)
            r = np.sqrt(-2 * np.log(u1))
            out[:, pair], out[:, pair + 1] = (r * np.cos(theta)).astype(np.float32), (r * np.sin(theta)).astype(np.float32)
        flat = out.reshape(-1)
        return flat[start - 4 * first:start - 4 * first + count]
