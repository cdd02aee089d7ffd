"""The Wiener-filter baseline: its noise estimate and what it removes."""
import numpy as np

from gan_jax import wiener

FS = 8000


def test_noise_spectrum_of_white_noise_is_its_variance_per_bin():
  noise = np.random.default_rng(0).normal(0, 0.1, FS)
  lam = wiener.noise_spectrum(noise, FS, noise_ms=500)
  assert lam.shape == (160,)
  assert abs(np.mean(lam) / 0.01 - 1) < 0.1  # E|FFT(w n)|^2 / (L U) = sigma^2


def test_wiener_raises_the_snr_of_a_tone_in_white_noise():
  rng = np.random.default_rng(1)
  t = np.arange(2 * FS) / FS
  tone = 0.3 * np.sin(2 * np.pi * 440 * t) * (t > 0.2)  # 200 ms of noise first
  noise = rng.normal(0, 0.1, len(t))
  out = wiener.wiener(tone + noise, FS)
  assert out.shape == t.shape and out.dtype == np.float32
  inner = slice(FS // 2, -FS // 4)  # away from the onset and the uncovered last half frame

  def snr(x):
    return 10 * np.log10(np.sum(tone[inner] ** 2) / np.sum((x[inner] - tone[inner]) ** 2))
  assert snr(tone + noise) < 8 and snr(out) > snr(tone + noise) + 8
  # noise alone (no speech anywhere) is suppressed by more than 10 dB
  quiet = wiener.wiener(noise, FS)
  assert np.sum(quiet[inner] ** 2) < 0.1 * np.sum(noise[inner] ** 2)
