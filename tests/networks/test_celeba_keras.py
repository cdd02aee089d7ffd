"""gan_jax.networks.celeba_keras: shapes, parameter counts, logits (no sigmoid), the
BatchNorm modes and the 64-pixel-only error."""
from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from tests.networks import helpers
from gan_jax import networks

KEY = helpers.KEY


def _config(capacity=4, kernel_size=3, z_dim=16, **model):
  return helpers.model_config("celeba_keras", capacity, z_dim, kernel_size=kernel_size, **model)


def _init(config, channels=3, batch=2):
  return helpers.build(config, (64, 64, channels), batch)


_variables, _count = helpers.variables, helpers.count


@pytest.mark.parametrize("channels", [1, 3])
def test_shapes(channels):
  helpers.check_shapes(_config(), (64, 64, channels))


def test_parameter_counts_by_hand():
  c, k, z, C = 4, 3, 16, 3
  _, _, g_vars, d_vars, _ = _init(_config(capacity=c, kernel_size=k, z_dim=z), C)
  conv = lambda cin, cout: k * k * cin * cout
  g_channels = [8 * c, 4 * c, 2 * c, c, c // 2]
  g = z * 16 * 8 * c + 2 * 8 * c                                   # Dense (no bias) + BN
  g += sum(conv(a, b) + 2 * b for a, b in zip(g_channels, g_channels[1:]))  # 4 up blocks
  g += conv(c // 2, C) + C                                         # output conv with bias
  d_channels = [C, c, 2 * c, 4 * c, 8 * c]
  d = sum(conv(a, b) + 2 * b + conv(b, b) + 2 * b for a, b in zip(d_channels, d_channels[1:]))
  d += 8 * c + 1                                                   # Dense after pooling
  assert (_count(g_vars), _count(d_vars)) == (g, d) == (14493, 18669)


def test_kernel_size_and_capacity_come_from_the_config():
  _, _, g_vars, d_vars, _ = _init(_config(capacity=16, kernel_size=5, z_dim=100))
  assert g_vars["params"]["UpsampleConv_0"]["kernel"].shape == (5, 5, 128, 64)
  assert d_vars["params"]["Conv_7"]["kernel"].shape == (5, 5, 128, 128)


def test_discriminator_returns_logits_not_probabilities():
  _, D, _, d_vars, _ = _init(_config())
  params = jax.tree.map(lambda p: p, d_vars["params"])
  params["Dense_0"]["bias"] = jnp.array([-7.0])
  logits = D.apply({**d_vars, "params": params}, jnp.zeros((2, 64, 64, 3)), train=False)
  assert float(jnp.max(logits)) < 0.0  # a sigmoid would give values in (0, 1)


def test_batch_stats_update_in_train_mode_only():
  G, _, g_vars, _, z = _init(_config(), batch=4)
  _, train_updates = G.apply(g_vars, z, train=True, mutable=["batch_stats"])
  _, eval_updates = G.apply(g_vars, z, train=False, mutable=["batch_stats"])
  before = jax.tree.leaves(g_vars["batch_stats"])
  assert len(before) == 2 * 5  # mean, var of 5 BatchNorms
  assert all(not np.allclose(a, b) for a, b in
             zip(before, jax.tree.leaves(train_updates["batch_stats"])))
  assert all(np.array_equal(a, b) for a, b in
             zip(before, jax.tree.leaves(eval_updates["batch_stats"])))


@pytest.mark.parametrize("shape", [(32, 32, 3), (28, 28, 1), (64, 64, 4)])
def test_only_64_pixels(shape):
  with pytest.raises(ValueError, match=r"64x64.*data\.image_size=64"):
    networks.get("celeba_keras").build(_config(), shape)
