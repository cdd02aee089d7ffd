import numpy as np
import pytest
from scipy.spatial import distance

from gan_jax.metrics import prdc


def _clusters(rng, centers, per_cluster, std=0.1):
  return np.concatenate([c + std * rng.standard_normal((per_cluster, centers.shape[1]))
                         for c in centers])


# Ten 2-D clusters on a circle of radius 10 (neighbours 6.2 apart, std 0.1).
ANGLES = 2 * np.pi * np.arange(10) / 10
CENTERS = 10.0 * np.stack([np.cos(ANGLES), np.sin(ANGLES)], 1)


def test_hand_computed_1d():
  # k = 1: every real radius is 1. Fake radii: 0.5 <-> 2.75 is 2.25, 10 -> 7.25.
  real, fake = np.array([[0.0], [1.0], [2.0], [3.0]]), np.array([[0.5], [2.75], [10.0]])
  out = prdc.prdc(real, fake, k_pr=1, k_dc=1)
  # 0.5 and 2.75 lie in real balls, 10 does not; every real point lies in a fake ball.
  assert out["precision"] == pytest.approx(2 / 3) and out["recall"] == 1.0
  # Open real balls holding each fake: 0.5 -> {0, 1}, 2.75 -> {2, 3}, 10 -> none.
  assert out["density"] == pytest.approx(4 / 3) and out["coverage"] == 1.0


def test_identical_sets():
  x = np.random.default_rng(0).standard_normal((500, 16))
  out = prdc.prdc(x, x)
  # Each open ball holds its centre and its k - 1 nearest others: density exactly 1.
  assert out == {"precision": 1.0, "recall": 1.0, "density": pytest.approx(1.0),
                 "coverage": 1.0}


def test_half_of_the_clusters():
  rng = np.random.default_rng(0)
  real = _clusters(rng, CENTERS, 200)
  fake = _clusters(rng, CENTERS[:5], 400)
  out = prdc.prdc(real, fake)
  assert out["precision"] > 0.95 and out["density"] > 0.8
  assert 0.45 <= out["recall"] <= 0.5 and 0.45 <= out["coverage"] <= 0.5


def test_fake_far_away():
  rng = np.random.default_rng(1)
  real = _clusters(rng, CENTERS, 50)
  out = prdc.prdc(real, real + 100.0 + rng.standard_normal(real.shape))
  assert out == {"precision": 0.0, "recall": 0.0, "density": 0.0, "coverage": 0.0}


def test_knn_radii_and_blocks_match_brute_force():
  rng = np.random.default_rng(2)
  x, y = rng.standard_normal((103, 5)), rng.standard_normal((61, 5)) + 0.3
  d2 = distance.cdist(x, x, "sqeuclidean")
  expected = np.sort(d2, axis=1)[:, [3, 5]].T  # column 0 is the point itself
  np.testing.assert_allclose(prdc.knn_radii(x.astype(np.float32), (3, 5), block=10),
                             expected, rtol=1e-4)
  assert prdc.prdc(x, y, block=7) == prdc.prdc(x, y, block=4096)


def test_k_too_large_names_k_and_n():
  x = np.zeros((5, 3))
  with pytest.raises(ValueError, match="k=5 with n=5"):
    prdc.density_coverage(x + np.arange(5)[:, None], x, k=5)
  with pytest.raises(ValueError, match="k=3 with n=2"):
    prdc.precision_recall(np.arange(12.0).reshape(4, 3), np.zeros((2, 3)), k=3)
