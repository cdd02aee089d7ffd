"""Waveform signal processing for speech enhancement (SEGAN, its baselines and figures):
pre- / de-emphasis, framing and 50% overlap-add, log spectrograms, WAV writing.

Pre-emphasis (Pascual et al., 2017, Sec. 4: coefficient 0.95, applied to G's inputs and
targets; its inverse to G's outputs):

  y[n] = x[n] - c x[n-1],  y[0] = x[0]          (an FIR high-pass, `pre_emphasis`)
  x[n] = y[n] + c x[n-1],  x[-1] = 0            (its IIR inverse, `de_emphasis`)

`de_emphasis` runs the first-order recursion as a parallel prefix scan
(`jax.lax.associative_scan` over the affine maps s -> c s + y[n]), so it is exact and
jit-friendly for 16,384-sample windows.

Overlap-add (`overlap_add`): frames of length T placed every T/2 samples, each weighted by
the periodic Hann window w[n] = 1/2 - 1/2 cos(2 pi n / T), which sums to exactly 1 at
hop T/2 (w[n] + w[n + T/2] = 1): unit frames reconstruct the signal they came from.
"""
from __future__ import annotations

import os

import jax
import jax.numpy as jnp
import numpy as np
from scipy import signal
from scipy.io import wavfile

PRE_EMPHASIS = 0.95


def pre_emphasis(x, coef: float = PRE_EMPHASIS):
  """[..., T] -> [..., T]: y[n] = x[n] - coef x[n-1], y[0] = x[0]."""
  x = jnp.asarray(x)
  return jnp.concatenate([x[..., :1], x[..., 1:] - coef * x[..., :-1]], axis=-1)


def de_emphasis(y, coef: float = PRE_EMPHASIS):
  """[..., T] -> [..., T]: the inverse of `pre_emphasis`, x[n] = y[n] + coef x[n-1]."""
  y = jnp.asarray(y)

  def combine(earlier, later):  # compose s -> a1 s + b1, then s -> a2 s + b2
    a1, b1 = earlier
    a2, b2 = later
    return a1 * a2, a2 * b1 + b2
  _, x = jax.lax.associative_scan(combine, (jnp.full_like(y, coef), y), axis=-1)
  return x


def hann(size: int) -> np.ndarray:
  """The periodic Hann window [size] (sums to 1 at hop size / 2)."""
  return (0.5 - 0.5 * np.cos(2 * np.pi * np.arange(size) / size)).astype(np.float32)


def frames(x, size: int, hop: int):
  """[..., L] -> [..., K, size]: frames starting every `hop` samples, K = (L - size) // hop + 1."""
  x = jnp.asarray(x)
  k = (x.shape[-1] - size) // hop + 1
  index = np.arange(k)[:, None] * hop + np.arange(size)[None, :]
  return x[..., index]


def overlap_add(chunks, hop: int):
  """[..., K, T] -> [..., (K - 1) hop + T]: the Hann-weighted chunks summed at their
  positions k * hop (`hop` = T / 2 gives unit gain where two chunks overlap)."""
  chunks = jnp.asarray(chunks)
  k, size = chunks.shape[-2:]
  weighted = chunks * hann(size)
  out = jnp.zeros(chunks.shape[:-2] + ((k - 1) * hop + size,), chunks.dtype)
  for i in range(k):
    out = out.at[..., i * hop:i * hop + size].add(weighted[..., i, :])
  return out


def context(signal_: np.ndarray, offset: int, window: int) -> np.ndarray:
  """float32 [2 window]: signal_[offset - window/2 : offset + 3 window/2], zero outside
  the signal: the three half-overlapping windows whose Hann-weighted sum covers the
  segment [offset, offset + window) (`overlap_add` of them, cropped by window / 2)."""
  out = np.zeros(2 * window, np.float32)
  start = offset - window // 2
  lo, hi = max(start, 0), min(start + 2 * window, len(signal_))
  if hi > lo:
    out[lo - start:hi - start] = signal_[lo:hi]
  return out


def utterances(record: dict, keys=("noisy", "x", "clean")) -> list[dict]:
  """The signals of a record of equal-length segments: the segments of one (utterance,
  SNR) with consecutive offsets (offset + T each), unpadded (`lengths`) and joined in
  order; each {"utterance", "snr", "offset" (of its first segment), key: float32 [n]}.
  When the record holds every segment of the split (`--mode sample` with enough
  samples, the Evaluator), these are whole utterances. Without `utterance` / `offset`,
  each segment is a signal of its own."""
  n, t = np.shape(record[keys[0]])
  lengths = np.asarray(record.get("lengths", np.full(n, t)))
  utt = np.asarray(record.get("utterance", np.arange(n)))
  snr = np.asarray(record.get("snr", np.full(n, np.nan)), np.float64)
  offset = np.asarray(record.get("offset", np.zeros(n, np.int64)))
  runs, order = [], sorted(range(n), key=lambda i: (utt[i], snr[i], offset[i]))
  for i in order:
    last = runs[-1][-1] if runs else None
    if last is not None and (utt[last], snr[last]) == (utt[i], snr[i]) \
        and offset[i] == offset[last] + t:
      runs[-1].append(i)
    else:
      runs.append([i])
  runs.sort(key=min)  # in the record's order
  out = []
  for rows in runs:
    sig = {"utterance": int(utt[rows[0]]), "snr": float(snr[rows[0]]),
           "offset": int(offset[rows[0]])}
    for k in keys:
      sig[k] = np.concatenate([np.asarray(record[k][i][:lengths[i]], np.float32) for i in rows])
    out.append(sig)
  return out


def log_spectrogram(x: np.ndarray, n_fft: int = 256, hop: int = 64,
                    floor_db: float = -80.0) -> np.ndarray:
  """[..., T] -> [..., n_fft / 2 + 1, frames] in dB re 1 (power of a Hann-windowed STFT,
  full-scale sine ~ 0 dB), floored at `floor_db`."""
  _, _, z = signal.stft(np.asarray(x, np.float64), nperseg=n_fft, noverlap=n_fft - hop,
                        window="hann", boundary=None, padded=False)
  power = np.abs(z) ** 2 * 4  # stft scales by 1 / sum(window); x4: a sine's peak at 0 dB
  return np.maximum(10 * np.log10(np.maximum(power, 1e-20)), floor_db)


def write_wav(path: str, x: np.ndarray, rate: int) -> str:
  """Writes float samples in [-1, 1] as 16-bit PCM mono."""
  os.makedirs(os.path.dirname(path) or ".", exist_ok=True)
  pcm = np.round(np.clip(np.asarray(x, np.float64), -1, 32767 / 32768) * 32768).astype(np.int16)
  wavfile.write(path, int(rate), pcm)
  return path
