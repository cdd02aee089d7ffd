import numpy as np
import pytest
from scipy import integrate

from gan_jax.data import toy
from gan_jax.metrics import toy as toy_metrics


@pytest.mark.parametrize("name", sorted(toy.DISTRIBUTIONS))
def test_batches_are_deterministic_and_distinct(name):
  source = toy.ToySource(name, 128, seed=3)
  a, b = source.batch(7)["x"], source.batch(7)["x"]
  assert a.shape == (128, source.dim) and a.dtype == np.float32
  assert np.array_equal(a, b) and not np.array_equal(a, source.batch(8)["x"])
  assert not np.array_equal(a, toy.ToySource(name, 128, seed=4).batch(7)["x"])


def test_ring_and_grid_geometry():
  ring = toy.ToySource("ring8", 4000, 0).batch(0)["x"]
  np.testing.assert_allclose(np.linalg.norm(ring, axis=1), 2.0, atol=0.1)
  grid = toy.ToySource("grid25", 4000, 0).batch(0)["x"]
  assert np.abs(grid - np.round(grid / 2) * 2).max() < 0.3
  assert set(np.round(grid[:, 0] / 2).astype(int)) == {-2, -1, 0, 1, 2}


def test_pdf1d_density_and_exact_cdf():
  d = toy.Pdf1d()
  # Steps 1/3, 2/3, 1 on [-3, 0), cosine bump on [0, 3], normalised by 3.5.
  np.testing.assert_allclose(d.pdf(np.array([-2.5, -1.5, -0.5, 0.0, 1.0, 2.0])),
                             np.array([1 / 3, 2 / 3, 1, 1, 0, 1]) / 3.5, atol=1e-12)
  assert integrate.quad(d.pdf, -3, 3, points=[-2, -1, 0], limit=200)[0] == pytest.approx(1.0)
  xs = np.linspace(-3, 3, 13)
  numeric = [integrate.quad(d.pdf, -3, x, points=[-2, -1, 0], limit=200)[0] for x in xs]
  np.testing.assert_allclose(d.cdf(xs), numeric, atol=1e-9)


def test_inverse_cdf_sampler_matches_the_density():
  d = toy.Pdf1d()
  x = d.sample(np.random.default_rng(0), 100_000)
  assert x.min() >= -3 and x.max() <= 3
  assert toy_metrics.ks_distance(x, d.cdf) < 0.006  # ~1.36 / sqrt(n) at the 95% level
