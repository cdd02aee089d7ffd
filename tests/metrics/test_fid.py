import numpy as np
import pytest
from scipy import linalg

from gan_jax.metrics import fid


def _random_cov(rng, d, rank=None):
  a = rng.standard_normal((d, rank or d))
  return a @ a.T / d


def _scipy_fid(mu1, s1, mu2, s2):
  """The textbook formula with scipy.linalg.sqrtm of the product."""
  covmean = linalg.sqrtm(s1 @ s2).real
  return float(((mu1 - mu2) ** 2).sum() + np.trace(s1 + s2 - 2 * covmean))


@pytest.mark.parametrize("d", [2, 16, 64])
def test_matches_scipy_sqrtm(d):
  rng = np.random.default_rng(d)
  mu1, mu2 = rng.standard_normal(d), rng.standard_normal(d)
  s1, s2 = _random_cov(rng, d), _random_cov(rng, d)
  expected = _scipy_fid(mu1, s1, mu2, s2)
  assert fid.frechet_distance(mu1, s1, mu2, s2) == pytest.approx(expected, rel=1e-4)


def test_trace_sqrt_product_by_hand():
  # Diagonal covariances: Tr((S1 S2)^1/2) = sum sqrt(a_i b_i) = 1*4 + 3*1 = 7.
  s1, s2 = np.diag([1.0, 9.0]), np.diag([16.0, 1.0])
  assert fid.trace_sqrt_product(s1, s2) == pytest.approx(4.0 + 3.0)
  # 1-D: FID of N(0, 1) and N(3, 4) = 9 + 1 + 4 - 2 * 2 = 10.
  assert fid.frechet_distance([0.0], [[1.0]], [3.0], [[4.0]]) == pytest.approx(10.0)


def test_identical_sets_give_zero():
  x = np.random.default_rng(0).standard_normal((500, 32))
  assert abs(fid.fid_from_features(x, x)) < 1e-8


def test_shifted_mean_adds_its_squared_norm():
  x = np.random.default_rng(1).standard_normal((400, 16))
  delta = np.linspace(-1, 2, 16)
  assert fid.fid_from_features(x, x + delta) == pytest.approx(delta @ delta, rel=1e-9)


def test_singular_covariances_are_fine():
  # Fewer samples than dimensions (rank-deficient): finite, >= 0, and 0 for equal sets.
  rng = np.random.default_rng(2)
  s1, s2 = _random_cov(rng, 40, rank=10), _random_cov(rng, 40, rank=10)
  value = fid.frechet_distance(np.zeros(40), s1, np.zeros(40), s2)
  assert np.isfinite(value) and value > 0
  # sqrt of round-off in the 30 null directions: ~1e-8 each, tiny against Tr(S1) ~ 10.
  assert abs(fid.frechet_distance(np.zeros(40), s1, np.zeros(40), s1)) < 1e-6 * np.trace(s1)


def test_gaussian_stats():
  x = np.array([[0.0, 1.0], [2.0, 3.0], [4.0, 8.0]])
  mu, sigma = fid.gaussian_stats(x)
  np.testing.assert_allclose(mu, [2.0, 4.0])
  np.testing.assert_allclose(sigma, [[4.0, 7.0], [7.0, 13.0]])  # ddof = 1


def test_mismatched_dimensions_are_explained():
  with pytest.raises(ValueError, match=r"sigma2 must have shape \(2, 2\)"):
    fid.frechet_distance(np.zeros(2), np.eye(2), np.zeros(2), np.eye(3))


def test_fid_infinity_removes_the_finite_sample_bias():
  """Fake = real shifted by a unit vector, so FID at N = inf is ||delta||^2 = 1 (up to
  the real sample's own error, computed exactly below). FID of 2,000 fakes in 32-d is
  biased up by ~0.15; Chong & Forsyth's extrapolation removes most of it."""
  bias, error = [], []
  for seed in range(3):
    rng = np.random.default_rng(seed)
    real = rng.standard_normal((20_000, 32))
    delta = np.eye(32)[0]
    fake = rng.standard_normal((2_000, 32)) + delta
    true = fid.frechet_distance(real.mean(0), np.cov(real, rowvar=False), delta, np.eye(32))
    bias.append(fid.fid_from_features(real, fake) - true)
    error.append(abs(fid.fid_infinity(real, fake, seed=seed) - true))
  assert min(bias) > 0.1
  assert np.mean(error) < 0.4 * np.mean(bias)
  with pytest.raises(ValueError, match="at least 2 distinct sample sizes"):
    fid.fid_infinity(real, fake[:2])
