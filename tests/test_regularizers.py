import jax
import jax.numpy as jnp
import ml_collections
import numpy as np
import pytest

from gan_jax import parallel, regularizers

CTX = parallel.Context()
KEY = jax.random.PRNGKey(0)


def linear_d(w):
  return lambda x: x @ w  # grad wrt x is w for every sample


def test_gradient_penalty_of_linear_critic():
  w = jnp.array([3.0, 4.0])  # |grad| = 5 everywhere -> (5 - 1)^2 = 16
  real, fake = jnp.ones((8, 2)), -jnp.ones((8, 2))
  assert float(regularizers.gradient_penalty(linear_d(w), real, fake, KEY, CTX)) == \
      pytest.approx(16.0, rel=1e-5)


def test_gradient_penalty_interpolates_uniformly_between_real_and_fake():
  # D(x) = |x|^2 / 2 has grad x; at x_hat = (1 - eps) (1, 1) the penalty is
  # E[(sqrt(2) u - 1)^2] with u ~ U[0, 1], i.e. 2/3 - sqrt(2) + 1.
  d_fn = lambda x: 0.5 * jnp.sum(x ** 2, axis=1)
  real, fake = jnp.zeros((20000, 2)), jnp.ones((20000, 2))
  value = float(regularizers.gradient_penalty(d_fn, real, fake, KEY, CTX))
  assert value == pytest.approx(2 / 3 - np.sqrt(2) + 1, abs=0.01)


def test_r1_and_dragan_values():
  w = jnp.array([3.0, 4.0])
  real = jax.random.normal(KEY, (16, 2))
  assert float(regularizers.r1(linear_d(w), real, None, KEY, CTX)) == pytest.approx(12.5)
  assert float(regularizers.dragan(linear_d(w), real, None, KEY, CTX)) == pytest.approx(16.0)


def test_weight_clip_projection():
  params = {"w": jnp.array([-1.0, 0.005, 2.0])}
  out = regularizers.weight_clip(params, c=0.01)
  np.testing.assert_allclose(out["w"], [-0.01, 0.005, 0.01])


def test_total_penalty_weights_and_lazy_every():
  config = {"gradient_penalty": {"weight": 10.0, "every": 1},
            "r1": {"weight": 2.0, "every": 4}}
  hp = {"regularizers.gradient_penalty.weight": 10.0, "regularizers.r1.weight": 2.0}
  w = jnp.array([3.0, 4.0])
  real = jnp.ones((4, 2))
  total, terms = regularizers.total_penalty(config, hp, linear_d(w), real, -real, KEY, CTX, 0)
  # update 0: both apply; lazy R1 is scaled by its interval 4.
  assert float(total) == pytest.approx(10 * 16 + 2 * 4 * 12.5)
  total, terms = regularizers.total_penalty(config, hp, linear_d(w), real, -real, KEY, CTX, 1)
  assert float(total) == pytest.approx(160.0) and float(terms["r1"]) == 0.0


def test_check_rejects_unknown_and_clip_with_penalty():
  with pytest.raises(ValueError, match="Available: dragan, gradient_penalty, r1"):
    regularizers.check(ml_collections.ConfigDict({"gp": {"weight": 1.0}}))
  both = {"weight_clip": {"c": 0.01}, "gradient_penalty": {"weight": 10.0}}
  with pytest.raises(ValueError, match="with_penalty=True"):
    regularizers.check(ml_collections.ConfigDict(both))
  both["weight_clip"]["with_penalty"] = True
  regularizers.check(ml_collections.ConfigDict(both))  # asked for explicitly: allowed
