"""Paired scores on inputs whose values are known."""
import numpy as np
import pytest

from gan_jax.metrics import feature_nets, paired


def images(n=6, size=16, channels=1, seed=0):
  return np.random.default_rng(seed).uniform(-1, 1, (n, size, size, channels)).astype(np.float32)


def test_psnr_of_x_and_x_plus_noise_follows_the_formula():
  b = images()
  noise = 0.05 * np.random.default_rng(1).standard_normal(b.shape).astype(np.float32)
  x = b + noise
  # On the [0, 1] scale the difference is noise / 2: PSNR = -10 log10(mean((noise/2)^2)).
  expected = -10 * np.log10(np.mean((noise / 2.0) ** 2, axis=(1, 2, 3)))
  np.testing.assert_allclose(paired.psnr(x, b), expected, rtol=1e-5)
  # A constant offset c on [-1, 1] is c / 2 on [0, 1]: 20 log10(2 / c) dB.
  np.testing.assert_allclose(paired.psnr(b + 0.1, b), 20 * np.log10(2 / 0.1), rtol=1e-4)
  assert paired.psnr(b, b)[0] == paired.PSNR_CAP


def test_ssim_of_identical_images_is_one_and_falls_with_noise():
  b = images(channels=3, size=32)
  np.testing.assert_allclose(paired.ssim(b, b), 1.0, atol=1e-12)
  noisy = np.clip(b + 0.3 * np.random.default_rng(2).standard_normal(b.shape), -1, 1)
  assert np.all(paired.ssim(noisy, b) < 0.9)
  assert paired.ssim(images(size=28), images(size=28, seed=5)).mean() < 0.2  # unrelated


def test_pixel_scores_on_a_constant_offset():
  b = images()
  s = paired.pixel_scores(np.clip(b + 0.2, -2, 2), b)
  np.testing.assert_allclose([s["l1"], s["l2"]], [0.1, 0.01], rtol=1e-5)
  with pytest.raises(ValueError, match="same shape"):
    paired.pixel_scores(b, b[:, :8])


class FakeNet(feature_nets.FeatureNet):
  """A 'classifier' of 2 classes by mean brightness; features = the mean and the std."""

  def __init__(self, shape=(8, 8, 1)):
    def run(x):
      m = x.mean(axis=(1, 2, 3))
      probs = np.stack([m < 0, m >= 0], 1).astype(np.float64)
      return probs, np.stack([m, x.std(axis=(1, 2, 3))], 1)
    super().__init__("fake", "0" * 64, shape, run, {})


def test_network_scores_accuracy_fid_and_resizing():
  rng = np.random.default_rng(0)
  y = np.array([0, 1] * 50)
  b = (np.where(y[:, None, None, None] == 1, 0.5, -0.5)
       + 0.1 * rng.standard_normal((100, 16, 16, 1))).astype(np.float32)
  x = b.copy()
  x[:20] *= -1  # flips the class of the first 20 outputs
  a = -b        # inputs of the opposite brightness: input accuracy 0
  s = paired.network_scores(FakeNet(), {"a": a, "b": b, "x": x, "y": y})
  assert s["accuracy"] == 0.8 and s["real_accuracy"] == 1.0 and s["input_accuracy"] == 0.0
  assert s["fid"] > 0
  same = paired.network_scores(FakeNet(), {"a": a, "b": b, "x": b, "y": y})
  assert abs(same["fid"]) < 1e-6
  assert paired.resize_for(b, (8, 8, 1)).shape == (100, 8, 8, 1)
  scores, protocol = paired.scores({"a": a, "b": b, "x": x, "y": y}, FakeNet())
  assert scores["num_pairs"] == 100 and protocol["feature_network"] == "fake"
  assert "resize" in protocol and "ssim" in protocol
