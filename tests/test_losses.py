import math

import jax.numpy as jnp
import numpy as np
import pytest

from gan_jax import losses

REAL = jnp.array([0.0, 2.0])
FAKE = jnp.array([1.0, -2.0])
sp = lambda x: math.log1p(math.exp(x))  # softplus, by hand

# name: (d_loss(REAL, FAKE), g_loss(FAKE)) computed by hand from the formulas.
EXPECTED = {
    "minimax": ((sp(-0.0) + sp(-2.0)) / 2 + (sp(1.0) + sp(-2.0)) / 2,
                -(sp(1.0) + sp(-2.0)) / 2),
    "nonsaturating": ((sp(-0.0) + sp(-2.0)) / 2 + (sp(1.0) + sp(-2.0)) / 2,
                      (sp(-1.0) + sp(2.0)) / 2),
    "least_squares": (0.5 * (1 + 1) / 2 + 0.5 * (1 + 4) / 2, 0.5 * (0 + 9) / 2),
    "wasserstein": ((1 - 2) / 2 - (0 + 2) / 2, -(1 - 2) / 2),
    "hinge": ((1 + 0) / 2 + (2 + 0) / 2, -(1 - 2) / 2),
}


def test_every_pair_is_tested():
  assert sorted(EXPECTED) == losses.names()


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_pair_values(name):
  d_fn, g_fn = losses.get(name)
  d_expected, g_expected = EXPECTED[name]
  np.testing.assert_allclose(float(d_fn(REAL, FAKE)), d_expected, rtol=1e-6)
  np.testing.assert_allclose(float(g_fn(FAKE)), g_expected, rtol=1e-6)
  # A PatchGAN map of outputs is averaged like a vector.
  np.testing.assert_allclose(float(d_fn(REAL[None, :, None], FAKE[None, :, None])),
                             d_expected, rtol=1e-6)


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_d_prefers_real_high_fake_low(name):
  d_fn, g_fn = losses.get(name)
  good, bad = jnp.array([3.0]), jnp.array([-3.0])
  assert d_fn(good, bad) < d_fn(bad, good)  # D's loss is lower when it separates
  assert g_fn(good) < g_fn(bad)             # G's loss is lower when D is fooled


def test_minimax_saturates_and_nonsaturating_does_not():
  import jax
  very_fake = jnp.array([-10.0])
  g_mm = jax.grad(lambda f: losses.g_minimax(f))(very_fake)
  g_ns = jax.grad(lambda f: losses.g_nonsaturating(f))(very_fake)
  assert abs(float(g_mm[0])) < 1e-4 < 0.99 < abs(float(g_ns[0]))


def test_aliases_and_unknown_name():
  assert losses.get("lsgan") == losses.get("least_squares")
  with pytest.raises(ValueError, match="Available: hinge, least_squares, minimax"):
    losses.get("wgan-gp")
