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


# A nonlinear critic tells the penalties apart: D(x) = |x|^2 / 2 has input gradient x,
# so each penalty's value depends on *where* it evaluates the gradient.

def half_square(x):
  return 0.5 * jnp.sum(x ** 2, axis=1)


def test_r1_is_measured_on_real_data_not_fakes():
  real, fake = jnp.full((8, 2), 3.0), jnp.full((8, 2), 1.0)
  # 1/2 E|grad D(real)|^2 = 1/2 |(3, 3)|^2 = 9; on the fakes it would be 1.
  assert float(regularizers.r1(half_square, real, fake, KEY, CTX)) == pytest.approx(9.0)


def test_gradient_penalty_depends_on_fakes_and_dragan_does_not():
  real = jnp.zeros((20000, 1))
  gp = [float(regularizers.gradient_penalty(half_square, real, fake, KEY, CTX))
        for fake in (jnp.ones((20000, 1)), 3 * jnp.ones((20000, 1)))]
  # x_hat = (1 - eps) c: E[(c u - 1)^2] = c^2 / 3 - c + 1 with u ~ U[0, 1].
  assert gp == pytest.approx([1 / 3 - 1 + 1, 3 - 3 + 1], abs=0.01)
  dragan = [float(regularizers.dragan(half_square, real, fake, KEY, CTX))
            for fake in (jnp.ones((20000, 1)), 3 * jnp.ones((20000, 1)))]
  assert dragan[0] == dragan[1]
  # Constant real data: std 0, no perturbation, |grad D(0)| = 0 -> (0 - 1)^2 = 1.
  assert dragan[0] == pytest.approx(1.0, abs=1e-5)


def dragan_with_constant_feature(n=40000):
  """Real points (0, +-1): feature 0 constant. D(x) = x_0^2 / 2 reads only feature 0."""
  signs = jnp.where(jnp.arange(n) % 2 == 0, 1.0, -1.0)
  real = jnp.stack([jnp.zeros(n), signs], axis=1)
  return real, lambda x: 0.5 * x[:, 0] ** 2


def test_dragan_perturbs_by_one_std_of_the_whole_batch():
  """The reference code's `X + 0.5 * X.std() * U[0, 1]`: one std over every element of
  the batch (here sqrt(1/2): half the elements are 0, half +-1), so the constant
  feature is perturbed too. x_hat_0 = 0.5 std (1 - alpha) u, a product of uniforms t
  with E[t] = 1/4, E[t^2] = 1/9; penalty E[(k t - 1)^2] = k^2 / 9 - k / 2 + 1 with
  k = 0.5 std. A per-feature std (0 for feature 0) would leave x_hat_0 = 0: penalty 1."""
  real, d_fn = dragan_with_constant_feature()
  k = 0.5 * np.sqrt(0.5)
  value = float(regularizers.dragan(d_fn, real, None, KEY, CTX))
  assert value == pytest.approx(k ** 2 / 9 - k / 2 + 1, abs=0.005)  # 0.8371
  assert abs(value - 1.0) > 0.1


def test_dragan_over_devices_equals_one_device():
  """Under a 4-way mapped axis (vmap stands in for pmap) the batch moments and draws are
  global: the mean of the shards' penalties is the whole batch's penalty."""
  real, d_fn = dragan_with_constant_feature(4000)
  ctx = parallel.Context("devices", 4)
  shards = jax.vmap(lambda x: regularizers.dragan(d_fn, x, None, KEY, ctx),
                    axis_name="devices")(real.reshape(4, 1000, 2))
  one = regularizers.dragan(d_fn, real, None, KEY, CTX)
  assert float(jnp.mean(shards)) == pytest.approx(float(one), rel=1e-5)


def test_check_rejects_bad_values_and_penalties_on_batchnorm():
  bad = [({"gradient_penalty": {"weight": -1.0}}, "gradient_penalty.weight=-1.0 must be >= 0"),
         ({"weight_clip": {"c": 0.0}}, "weight_clip.c=0.0 must be > 0"),
         ({"r1": {"weight": 1.0, "every": 0}}, "r1.every=0 must be an integer >= 1"),
         ({"dragan": {"every": 1}}, "dragan.weight=None must be a finite number")]
  for block, message in bad:
    with pytest.raises(ValueError, match=message):
      regularizers.check(ml_collections.ConfigDict(block))
  for name in regularizers.penalty_names():
    block = ml_collections.ConfigDict({name: {"weight": 1.0}})
    regularizers.check(block)  # fine on a critic without batch statistics
    with pytest.raises(ValueError, match=rf"regularizers.{name} with model.d_norm='batch'.*"
                       r"--config.model.d_norm=layer \(or none\)"):
      regularizers.check(block, d_batch_norm=True)
  regularizers.check(ml_collections.ConfigDict({"weight_clip": {"c": 0.01}}), d_batch_norm=True)
