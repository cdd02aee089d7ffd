import numpy as np
import pytest

from gan_jax.metrics import kid


def _direct_mmd2(x, y):
  """The unbiased estimator written out pair by pair."""
  d, m = x.shape[1], len(x)
  k = lambda a, b: (a @ b / d + 1.0) ** 3
  xx = sum(k(x[i], x[j]) for i in range(m) for j in range(m) if i != j) / (m * (m - 1))
  yy = sum(k(y[i], y[j]) for i in range(m) for j in range(m) if i != j) / (m * (m - 1))
  xy = sum(k(x[i], y[j]) for i in range(m) for j in range(m)) / m ** 2
  return xx + yy - 2 * xy


def test_hand_computed_value():
  # d = 1, k(a, b) = (ab + 1)^3; x = {0, 1}, y = {1, 2}:
  # xx: 2 k(0,1) / 2 = 1; yy: 2 k(1,2) / 2 = 27; xy: (1 + 1 + 8 + 27) / 4 = 9.25.
  x, y = np.array([[0.0], [1.0]]), np.array([[1.0], [2.0]])
  assert kid.mmd2_unbiased(x, y) == pytest.approx(1 + 27 - 2 * 9.25)
  # One subset of the full size is a permutation of each set: the same value, std 0.
  assert kid.kernel_inception_distance(x, y, num_subsets=1) == pytest.approx((9.5, 0.0))


def test_matches_direct_formula():
  rng = np.random.default_rng(0)
  x, y = rng.standard_normal((6, 3)), rng.standard_normal((6, 3)) + 0.3
  expected = _direct_mmd2(x, y)
  assert kid.mmd2_unbiased(x, y) == pytest.approx(expected, rel=1e-12)
  assert kid.kernel_inception_distance(x, y, num_subsets=3)[0] == pytest.approx(expected)


def test_same_distribution_near_zero_and_shift_grows():
  rng = np.random.default_rng(0)
  x, y = rng.standard_normal((1000, 16)), rng.standard_normal((1000, 16))
  run = lambda a, b: kid.kernel_inception_distance(a, b, num_subsets=50, subset_size=200)
  same, _ = run(x, y)
  shifted = [run(x, y + s)[0] for s in (0.25, 0.5, 1.0)]
  assert abs(same) < 0.02
  assert 5 * abs(same) < shifted[0] < shifted[1] < shifted[2]


def test_seeded_subsets():
  rng = np.random.default_rng(1)
  x, y = rng.standard_normal((300, 8)), rng.standard_normal((300, 8)) + 0.2
  a = kid.kernel_inception_distance(x, y, num_subsets=5, subset_size=50, seed=3)
  assert a == kid.kernel_inception_distance(x, y, num_subsets=5, subset_size=50, seed=3)
  assert a != kid.kernel_inception_distance(x, y, num_subsets=5, subset_size=50, seed=4)


def test_bad_inputs_are_explained():
  with pytest.raises(ValueError, match="same d"):
    kid.kernel_inception_distance(np.zeros((5, 3)), np.zeros((5, 4)))
  with pytest.raises(ValueError, match="at least 2 samples"):
    kid.kernel_inception_distance(np.zeros((1, 3)), np.zeros((5, 3)))
