"""Noise for speech enhancement: coloured noise, babble and recorded noise, mixed with
clean speech at a target signal-to-noise ratio.

Coloured noise (`coloured`) is Gaussian white noise shaped in the frequency domain
(Timmer & Koenig 1995, "On generating power law noise", A&A 300:707): the rFFT of
white noise times f^(-beta/2), so the power spectral density goes as 1/f^beta:
- white: beta = 0 (flat);
- pink: beta = 1 (-10 log10 2 = -3.01 dB per octave);
- brown (red, Brownian): beta = 2 (-6.02 dB per octave).
The DC bin is zeroed (zero mean) and the result scaled to unit RMS.

Mixing (`mix`): noisy = clean + g * noise with g chosen so that
10 log10(P(clean) / P(g * noise)) = snr, P the mean square over the whole signal
(no voice-activity weighting; the VoiceBank-DEMAND protocol of Valentini-Botinhao et
al. 2016 uses the ITU-T P.56 active level instead). When the mixture's peak exceeds 1
both noisy and clean are divided by it, which keeps them in [-1, 1] and keeps the SNR.
"""
from __future__ import annotations

import numpy as np

EXPONENTS = {"white": 0.0, "pink": 1.0, "brown": 2.0}


def coloured(kind: str, n: int, rng: np.random.Generator) -> np.ndarray:
  """float32 [n]: zero-mean, unit-RMS noise of power spectral density 1/f^beta."""
  if kind not in EXPONENTS:
    raise ValueError(f"Unknown noise colour {kind!r}; use one of {', '.join(EXPONENTS)}.")
  white = rng.standard_normal(n)
  spectrum = np.fft.rfft(white)
  freqs = np.fft.rfftfreq(n)
  spectrum[1:] *= freqs[1:] ** (-EXPONENTS[kind] / 2)
  spectrum[0] = 0.0
  x = np.fft.irfft(spectrum, n)
  return (x / max(np.sqrt(np.mean(x**2)), 1e-12)).astype(np.float32)


def window(pool: np.ndarray, n: int, rng: np.random.Generator) -> np.ndarray:
  """n consecutive samples of `pool` from a random offset, wrapping around its end
  (a pool shorter than n repeats)."""
  start = int(rng.integers(0, len(pool)))
  return np.take(pool, np.arange(start, start + n), mode="wrap")


def babble(pool: np.ndarray, n: int, talkers: int, rng: np.random.Generator) -> np.ndarray:
  """float32 [n]: the sum of `talkers` windows of a speech pool at random offsets."""
  return np.sum([window(pool, n, rng) for _ in range(talkers)], axis=0).astype(np.float32)


def power(x: np.ndarray) -> float:
  return float(np.mean(np.asarray(x, np.float64) ** 2))


def snr_db(clean: np.ndarray, noise: np.ndarray) -> float:
  """10 log10(P(clean) / P(noise)) in dB."""
  return 10.0 * np.log10(power(clean) / max(power(noise), 1e-30))


def mix(clean: np.ndarray, noise: np.ndarray, snr: float) -> tuple[np.ndarray, np.ndarray]:
  """(noisy, clean) float32 at `snr` dB (see the module docstring), both in [-1, 1]."""
  clean = np.asarray(clean, np.float32)
  gain = np.sqrt(power(clean) / (max(power(noise), 1e-30) * 10.0 ** (snr / 10.0)))
  noisy = clean + np.float32(gain) * noise.astype(np.float32)
  peak = float(np.max(np.abs(noisy))) if noisy.size else 0.0
  if peak > 1.0:
    noisy, clean = noisy / np.float32(peak), clean / np.float32(peak)
  return noisy.astype(np.float32), clean.astype(np.float32)
