"""The Wiener-filter baseline of speech enhancement: STFT-domain Wiener gain with the
decision-directed a priori SNR (Ephraim & Malah, 1984, Eq. 51; Scalart & Filho, 1996,
"Speech enhancement based on a priori signal to noise estimation", ICASSP), the method
SEGAN compares with (Pascual et al., 2017, Table 1). It follows the textbook
implementation `wiener_as.m` (Loizou, "Speech enhancement: theory and practice", 2007):

- frames of 20 ms (160 samples at 8 kHz), 50% overlap, Hamming window, periodograms
  |FFT|^2 / (L U) with U = sum w^2 / L (the scale cancels in every ratio below);
  overlap-add of the filtered frames, divided by the windows' overlap-added sum (1.08);
- the initial noise power spectrum lambda_d: the mean of the periodograms of the
  leading `noise_ms` = 120 ms (6 disjoint frames, as wiener_as.m), taken as noise;
- per frame l and bin k: a posteriori SNR gamma = min(|Y|^2 / lambda_d, 40), a priori
  SNR xi(l) = max(a |S_hat(l-1)|^2 / lambda_d + (1 - a) max(gamma(l) - 1, 0), -25 dB),
  a = 0.98, with xi(0) = a + (1 - a) max(gamma(0) - 1, 0);
- the noise estimate follows the noise: a frame whose likelihood-ratio voice activity
  mean_k [gamma xi / (1 + xi) - log(1 + xi)] is below eta = 0.15 updates
  lambda_d <- mu lambda_d + (1 - mu) |Y|^2, mu = 0.98 (wiener_as.m's VAD);
- the Wiener gain G = xi / (1 + xi) (wiener_as.m applies its square root; the plain
  Wiener gain is the one the SEGAN paper's reference, Scalart & Filho, uses).

Nothing here was tuned on the test utterances: the constants are wiener_as.m's.
"""
from __future__ import annotations

import numpy as np

A_DD = 0.98      # decision-directed smoothing
MU = 0.98        # noise update smoothing
ETA = 0.15       # VAD threshold
GAMMA_MAX = 40.0
XI_MIN = 10 ** (-25 / 10)


def _window(size: int) -> np.ndarray:
  return np.hamming(size)


def noise_spectrum(noisy: np.ndarray, fs: int, noise_ms: float = 120.0,
                   frame_ms: float = 20.0) -> np.ndarray:
  """[L] lambda_d: the mean periodogram of the disjoint frames of `frame_ms` in the
  leading `noise_ms` (at least one frame)."""
  size = int(frame_ms * fs / 1000)
  w = _window(size)
  u = w @ w / size
  count = max(int(noise_ms * fs / 1000) // size, 1)
  segs = np.stack([noisy[i * size:(i + 1) * size] for i in range(count)])
  return np.mean(np.abs(np.fft.fft(segs * w, size, axis=1)) ** 2, 0) / (size * u)


def wiener(noisy: np.ndarray, fs: int, noise_ms: float = 120.0, frame_ms: float = 20.0,
           a_dd: float = A_DD) -> np.ndarray:
  """float32 [n]: the enhanced signal (module docstring); the last half frame, which no
  full frame covers, stays zero as in wiener_as.m."""
  noisy = np.asarray(noisy, np.float64)
  size = int(frame_ms * fs / 1000)
  hop = size // 2
  w = _window(size)
  u = w @ w / size
  lambda_d = np.maximum(noise_spectrum(noisy, fs, noise_ms, frame_ms), 1e-20)
  n_frames = len(noisy) // hop - 1
  out = np.zeros(len(noisy))
  if n_frames < 1:
    return out.astype(np.float32)
  index = np.arange(n_frames)[:, None] * hop + np.arange(size)[None, :]
  spectra = np.fft.fft(noisy[index] * w, size, axis=1)
  power = np.abs(spectra) ** 2 / (size * u)
  gains = np.empty_like(power)
  prev = None  # |S_hat(l-1)|^2
  for l in range(n_frames):
    gamma = np.minimum(power[l] / lambda_d, GAMMA_MAX)
    rise = np.maximum(gamma - 1.0, 0.0)
    if prev is None:
      xi = a_dd + (1 - a_dd) * rise
    else:
      xi = np.maximum(a_dd * prev / lambda_d + (1 - a_dd) * rise, XI_MIN)
    if np.mean(gamma * xi / (1 + xi) - np.log1p(xi)) < ETA:  # no speech: track the noise
      lambda_d = MU * lambda_d + (1 - MU) * power[l]
    gains[l] = xi / (1.0 + xi)
    prev = gains[l] ** 2 * power[l]
  frames = np.real(np.fft.ifft(spectra * gains, size, axis=1))
  for l in range(n_frames):
    out[l * hop:l * hop + size] += frames[l]
  # overlapping Hamming windows add up to ~1.08, not 1 (wiener_as.m keeps the factor)
  return (out / np.mean(w[:hop] + w[hop:2 * hop])).astype(np.float32)
