"""Minibatch layers (gan_jax/networks/minibatch.py): the formulas on tiny hand examples,
and the mlp / dcgan discriminators that take them."""
from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from gan_jax import methods
from gan_jax.networks import minibatch, mlp
from tests.conftest import experiment_config
from tests.networks.helpers import KEY, build, model_config


def test_minibatch_stddev_appends_the_mean_std_over_the_batch():
  x = np.array([[0.0, 1.0, 5.0], [2.0, 1.0, -1.0], [4.0, 1.0, 2.0], [6.0, 1.0, 2.0]],
               np.float32)
  # per feature: std of (0, 2, 4, 6) = sqrt(5); of (1, 1, 1, 1) = 0; of (5, -1, 2, 2) = sqrt(4.5)
  expected = (np.sqrt(5.0) + np.sqrt(1e-8) + np.sqrt(4.5 + 1e-8)) / 3
  out = np.asarray(minibatch.minibatch_stddev(jnp.asarray(x)))
  assert out.shape == (4, 4)
  np.testing.assert_array_equal(out[:, :3], x)
  np.testing.assert_allclose(out[:, 3], expected, rtol=1e-6)


def test_minibatch_stddev_on_images_appends_one_constant_channel():
  x = jax.random.normal(KEY, (5, 3, 3, 2))
  out = np.asarray(minibatch.minibatch_stddev(x))
  expected = np.mean(np.sqrt(np.var(np.asarray(x), axis=0) + 1e-8))
  assert out.shape == (5, 3, 3, 3)
  np.testing.assert_allclose(out[..., 2], expected, rtol=1e-5)


def test_minibatch_discrimination_matches_the_formula():
  """f [3, 2], B = 2 kernels of C = 2 dims: o(x_i)_b = sum_{j != i} exp(-||M_ib - M_jb||_1)."""
  f = np.array([[1.0, 0.0], [0.0, 1.0], [0.5, 2.0]], np.float32)
  t = np.array([[[1.0, 0.0], [0.5, -1.0]], [[0.0, 2.0], [1.0, 1.0]]], np.float32)  # [A, B, C]
  layer = minibatch.MinibatchDiscrimination(kernels=2, dims=2)
  out = np.asarray(layer.apply({"params": {"T": jnp.asarray(t)}}, jnp.asarray(f)))
  m = np.einsum("na,abc->nbc", f, t)
  o = np.zeros((3, 2))
  for i in range(3):
    for b in range(2):
      o[i, b] = sum(np.exp(-np.abs(m[i, b] - m[j, b]).sum()) for j in range(3) if j != i)
  assert out.shape == (3, 4)
  np.testing.assert_array_equal(out[:, :2], f)
  np.testing.assert_allclose(out[:, 2:], o, rtol=1e-6)
  # One number by hand: M_0 = [[1, 0], [0.5, -1]], M_1 = [[0, 2], [1, 1]], M_2 = [[0.5, 4],
  # [2.25, 1.5]]; o(x_0)_0 = exp(-3) + exp(-4.5).
  assert out[0, 2] == pytest.approx(np.exp(-3.0) + np.exp(-4.5), rel=1e-6)


def test_unknown_kind_names_the_key():
  with pytest.raises(ValueError, match="model.minibatch='foo'.*--config.model.minibatch=stddev"):
    minibatch.check("foo")


@pytest.mark.parametrize("kind,extra", [("", 0), ("stddev", 1), ("disc", 100)])
def test_mlp_d_appends_the_layer_and_couples_the_batch(kind, extra):
  """D's last layer reads width + the layer's features; with a minibatch layer one
  sample's logit changes when another sample of the batch changes, without it not."""
  D = mlp.Discriminator(width=8, depth=2, minibatch=kind)
  x = jax.random.normal(KEY, (6, 2))
  variables = D.init(KEY, x, train=False)
  assert variables["params"]["Dense_2"]["kernel"].shape == (8 + extra, 1)
  if kind == "disc":
    assert variables["params"]["MinibatchDiscrimination_0"]["T"].shape == (8, 100, 5)
  moved = x.at[5].set(x[5] + 3.0)
  change = abs(float(D.apply(variables, moved)[0] - D.apply(variables, x)[0]))
  assert (change > 1e-6) == bool(kind), change


@pytest.mark.parametrize("kind,extra", [("stddev", 1), ("disc", 100)])
def test_dcgan_d_takes_the_minibatch_layer(kind, extra):
  _, D, _, d_vars, _ = build(model_config("dcgan", minibatch=kind), (28, 28, 1), batch=3)
  flat = 7 * 7 * 16  # 28 px at width 8: two stride-2 convs of 8 and 16 channels
  assert d_vars["params"]["Dense_0"]["kernel"].shape == (flat + extra, 1)


def test_a_minibatch_d_scores_a_toy_grid_in_training_sized_chunks():
  """D's surface on the 120 x 120 toy grid: minibatch discrimination over all 14,400
  points at once would need 14,400^2 x 500 numbers; in chunks of the 32 samples of a
  smoke batch each chunk is scored as D.apply scores that chunk."""
  config = experiment_config("gan.py:smoke,minibatch=disc")
  method = methods.get("gan").build(config, (2,))
  d_vars = method.D.init(KEY, jnp.zeros((2, 2)), train=False)
  grid = jax.random.normal(KEY, (14_400, 2))
  scores = np.asarray(jax.jit(method.discriminate)(d_vars, grid))
  assert scores.shape == (14_400,) and np.isfinite(scores).all()
  np.testing.assert_allclose(scores[32:64], method.D.apply(d_vars, grid[32:64], train=False),
                             rtol=1e-5)
