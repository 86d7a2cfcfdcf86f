"""An independent numpy re-implementation of Whisper's audio front end and encoder, reading the CTranslate2
weights — the reference the Swift encoder (OmniModel) is checked against — and the fixture writer.

    python -m omnitorch.whisper_reference --model ~/.cache/omnistudio/whisper-tiny.en/model.bin \
        --out Tests/OmniModelTests/Fixtures/whisper_tiny_en.safetensors

Front end (Whisper's `log_mel_spectrogram`): audio padded with zeros to 30 s (480 000 samples at 16 kHz), STFT
with a periodic Hann window of 400, hop 160, centred with reflect padding, the last frame dropped (3000 frames);
power spectrum; 80 Slaney-normalised mel filters (Slaney mel scale, 0–8 kHz); log10 of max(·, 1e-10); clamp to
max − 8; (x + 4) / 4. Encoder: conv1 (80 → 384, k 3, pad 1) + GELU, conv2 (384 → 384, k 3, stride 2, pad 1) +
GELU, + position encodings, 4 pre-norm blocks (6-head attention with fused QKV, 4× MLP with GELU), final layer
norm → [1500, 384]. Computed in float64 from the F16 weights.
"""
from __future__ import annotations

import argparse
import math
import os

import numpy as np

from .ct2 import read_ct2

SAMPLE_RATE, N_FFT, HOP, N_MELS, CHUNK = 16000, 400, 160, 80, 30


def hz_to_mel(f):
    f = np.asarray(f, dtype=np.float64)
    mel = f / (200.0 / 3)
    log_region = f >= 1000.0
    return np.where(log_region, 15.0 + np.log(np.maximum(f, 1e-10) / 1000.0) / (math.log(6.4) / 27.0), mel)


def mel_to_hz(m):
    m = np.asarray(m, dtype=np.float64)
    f = m * (200.0 / 3)
    return np.where(m >= 15.0, 1000.0 * np.exp((math.log(6.4) / 27.0) * (m - 15.0)), f)


def mel_filters() -> np.ndarray:
    """[80, 201] Slaney filterbank (librosa.filters.mel(sr=16000, n_fft=400, n_mels=80))."""
    fft_freqs = np.linspace(0, SAMPLE_RATE / 2, N_FFT // 2 + 1)
    mel_pts = mel_to_hz(np.linspace(hz_to_mel(0.0), hz_to_mel(SAMPLE_RATE / 2), N_MELS + 2))
    fdiff = np.diff(mel_pts)
    ramps = mel_pts[:, None] - fft_freqs[None, :]
    lower = -ramps[:-2] / fdiff[:-1, None]
    upper = ramps[2:] / fdiff[1:, None]
    weights = np.maximum(0, np.minimum(lower, upper))
    return weights * (2.0 / (mel_pts[2:N_MELS + 2] - mel_pts[:N_MELS]))[:, None]


def log_mel(audio: np.ndarray) -> np.ndarray:
    """Mono 16 kHz samples (≤ 30 s) → [3000, 80] Whisper log-mel (frames first)."""
    x = np.zeros(SAMPLE_RATE * CHUNK, dtype=np.float64)
    x[:len(audio)] = audio
    padded = np.pad(x, N_FFT // 2, mode="reflect")
    frames = 1 + (len(padded) - N_FFT) // HOP
    window = 0.5 - 0.5 * np.cos(2 * np.pi * np.arange(N_FFT) / N_FFT)
    idx = np.arange(N_FFT)[None, :] + HOP * np.arange(frames)[:, None]
    spec = np.fft.rfft(padded[idx] * window, axis=1)
    power = np.abs(spec[:-1]) ** 2                         # the last frame dropped
    mel = power @ mel_filters().T
    logm = np.log10(np.maximum(mel, 1e-10))
    logm = np.maximum(logm, logm.max() - 8.0)
    return (logm + 4.0) / 4.0


def gelu(x):
    from math import erf
    return 0.5 * x * (1 + np.vectorize(erf)(x / math.sqrt(2)))


def layer_norm(x, g, b, eps=1e-5):
    mu = x.mean(-1, keepdims=True)
    var = ((x - mu) ** 2).mean(-1, keepdims=True)
    return (x - mu) / np.sqrt(var + eps) * g + b


def conv1d(x, w, b, stride):
    """x [T, Cin], w [Cout, Cin, 3], padding 1 → [T', Cout]."""
    xp = np.pad(x, ((1, 1), (0, 0)))
    t_out = (x.shape[0] + 2 - 3) // stride + 1
    cols = np.stack([xp[k:k + stride * (t_out - 1) + 1:stride] for k in range(3)], axis=-1)   # [T', Cin, 3]
    return np.einsum("tck,ock->to", cols, w) + b


def encoder(mel: np.ndarray, v: dict[str, np.ndarray]) -> np.ndarray:
    w = {k: a.astype(np.float64) for k, a in v.items() if k.startswith("encoder/")}
    heads = int(v["encoder/num_heads"])
    x = gelu(conv1d(mel, w["encoder/conv1/weight"], w["encoder/conv1/bias"], 1))
    x = gelu(conv1d(x, w["encoder/conv2/weight"], w["encoder/conv2/bias"], 2))
    x = x + w["encoder/position_encodings/encodings"][:x.shape[0]]
    d = x.shape[1]
    hd = d // heads
    layer = 0
    while f"encoder/layer_{layer}/ffn/linear_0/weight" in w:
        p = f"encoder/layer_{layer}/"
        h = layer_norm(x, w[p + "self_attention/layer_norm/gamma"], w[p + "self_attention/layer_norm/beta"])
        qkv = h @ w[p + "self_attention/linear_0/weight"].T + w[p + "self_attention/linear_0/bias"]
        q, k, vv = (qkv[:, i * d:(i + 1) * d].reshape(-1, heads, hd).transpose(1, 0, 2) for i in range(3))
        s = q @ k.transpose(0, 2, 1) / math.sqrt(hd)
        s = np.exp(s - s.max(-1, keepdims=True))
        a = (s / s.sum(-1, keepdims=True)) @ vv
        a = a.transpose(1, 0, 2).reshape(-1, d)
        x = x + a @ w[p + "self_attention/linear_1/weight"].T + w[p + "self_attention/linear_1/bias"]
        h = layer_norm(x, w[p + "ffn/layer_norm/gamma"], w[p + "ffn/layer_norm/beta"])
        h = gelu(h @ w[p + "ffn/linear_0/weight"].T + w[p + "ffn/linear_0/bias"])
        x = x + h @ w[p + "ffn/linear_1/weight"].T + w[p + "ffn/linear_1/bias"]
        layer += 1
    return layer_norm(x, w["encoder/layer_norm/gamma"], w["encoder/layer_norm/beta"])


def test_audio(seconds: float = 2.0) -> np.ndarray:
    """A fixed speech-like signal: a gliding harmonic tone with a syllable-rate envelope, plus a click train."""
    t = np.arange(int(SAMPLE_RATE * seconds)) / SAMPLE_RATE
    f0 = 140 + 40 * np.sin(2 * np.pi * 0.7 * t)
    phase = 2 * np.pi * np.cumsum(f0) / SAMPLE_RATE
    voice = sum(np.sin(k * phase) / k for k in range(1, 12))
    envelope = np.clip(np.sin(2 * np.pi * 3.0 * t), 0, None) ** 2
    clicks = (np.arange(len(t)) % 1600 == 0).astype(np.float64)
    return (0.3 * voice * envelope + 0.2 * clicks).astype(np.float32)


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--model", required=True)
    ap.add_argument("--out", required=True)
    ap.add_argument("--positions", type=int, default=160, help="encoder positions kept in the fixture")
    ap.add_argument("--mel-frames", type=int, default=260, help="log-mel frames kept in the fixture")
    args = ap.parse_args()
    from safetensors.numpy import save_file
    v = read_ct2(args.model)
    audio = test_audio()
    mel = log_mel(audio.astype(np.float64))
    states = encoder(mel, v)
    tensors = {"audio": audio, "log_mel": mel[:args.mel_frames].astype(np.float32),
               "states": states[:args.positions].astype(np.float32),
               "states_mean": states.mean(0).astype(np.float32)}
    save_file(tensors, args.out + ".partial", metadata={"generator": "python -m omnitorch.whisper_reference"})
    os.replace(args.out + ".partial", args.out)
    print(f"{args.out}: states {states.shape}, |states| max {np.abs(states).max():.3f}")


if __name__ == "__main__":
    main()
