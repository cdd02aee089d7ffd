"""The Wiener-filter baseline: its noise estimate and what it removes."""
import numpy as np

from gan_jax import wiener

FS = 8000


def test_noise_spectrum_of_white_noise_is_its_variance_per_bin():
  noise = np.random.default_rng(0).normal(0, 0.1, FS)
  lam = wiener.noise_spectrum(noise, FS, noise_ms=500)
  assert lam.shape == (160,)
  np.testing.assert_allclose(wiener.noise_spectrum(noise, FS), wiener.noise_spectrum(
      noise[:960], FS))  # the default: the leading 120 ms, 6 disjoint frames
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


def test_the_noise_estimate_follows_louder_noise(monkeypatch):
  """The VAD update (wiener_as.m's mu, eta): noise that gets 5 dB louder after the
  leading estimate is removed once the estimate has caught up (30 dB down); with the
  update off (eta = -inf) it is not (about 10 dB)."""
  rng = np.random.default_rng(2)
  noise = rng.normal(0, 0.01, 4 * FS)
  noise[FS // 2:] *= 10 ** (5 / 20)
  late = slice(3 * FS, -FS // 4)

  def residual():
    return np.sum(wiener.wiener(noise, FS)[late] ** 2) / np.sum(noise[late] ** 2)
  assert residual() < 0.002
  monkeypatch.setattr(wiener, "ETA", -np.inf)
  assert residual() > 0.05
