import numpy as np
import pytest

from gan_jax.data import toy
from gan_jax.metrics import toy as m

GRID = toy.DISTRIBUTIONS["grid25"]()


def test_exact_samples_recover_all_modes():
  x = GRID.sample(np.random.default_rng(0), 2500)
  out = m.mode_metrics(x, GRID.means, GRID.std)
  assert out["modes"] == 25
  assert out["high_quality"] == pytest.approx(1 - np.exp(-4.5), abs=0.01)  # P(r < 3 std), 2-D
  assert out["reverse_kl"] < 0.02 and out["reverse_kl_hq"] < 0.02


def test_collapse_to_one_mode():
  x = np.tile(GRID.means[3], (2500, 1))
  out = m.mode_metrics(x, GRID.means, GRID.std)
  assert out == {"modes": 1, "high_quality": 1.0, "reverse_kl": pytest.approx(np.log(25)),
                 "reverse_kl_hq": pytest.approx(np.log(25))}


def test_reverse_kl_hq_counts_only_high_quality_samples():
  """PacGAN/VEEGAN's reverse KL histograms the high-quality samples only: 25 modes hit
  4 times each, plus 100 junk points all nearest to mode 0 but 0.5 away from it."""
  good = np.repeat(GRID.means, 4, axis=0)
  junk = np.tile(GRID.means[0] + [0.5, 0.0], (100, 1))
  out = m.mode_metrics(np.concatenate([good, junk]), GRID.means, GRID.std)
  assert out["modes"] == 25 and out["high_quality"] == pytest.approx(0.5)
  assert out["reverse_kl_hq"] == pytest.approx(0.0, abs=1e-12)  # HQ histogram is uniform
  # All samples: mode 0 holds 104 / 200, the others 4 / 200 each.
  q = np.array([104] + [4] * 24) / 200
  assert out["reverse_kl"] == pytest.approx(np.sum(q * np.log(q * 25)))
  assert out["reverse_kl"] > 1.0


def test_points_between_modes_are_low_quality():
  x = GRID.means[:10] + 1.0  # halfway between modes
  out = m.mode_metrics(x, GRID.means, GRID.std)
  assert out["high_quality"] == 0.0 and out["modes"] == 0
  assert out["reverse_kl_hq"] == pytest.approx(np.log(25))  # no HQ sample: the worst value


def test_ks_and_tv():
  d = toy.Pdf1d()
  rng = np.random.default_rng(0)
  exact = d.sample(rng, 5000)
  assert m.ks_distance(exact, d.cdf) < 0.02 and m.total_variation(exact, d.cdf, -3, 3) < 0.06
  uniform = rng.uniform(-3, 3, (5000, 1))
  assert m.ks_distance(uniform, d.cdf) > 0.05
  assert m.total_variation(np.full((100, 1), 10.0), d.cdf, -3, 3) == pytest.approx(1.0)
  # KS by hand: one sample at 0, F_n jumps 0 -> 1 where F(0) = 2 / 3.5 > 1/2.
  assert m.ks_distance(np.zeros(1), d.cdf) == pytest.approx(2 / 3.5)


def test_energy_distance_orders_distributions():
  rng = np.random.default_rng(0)
  a, b = GRID.sample(rng, 1000), GRID.sample(rng, 1000)
  assert abs(m.energy_distance(a, b)) < 0.05 < m.energy_distance(a, b * 0.5)
