"""gan_jax.networks.resnet (SNGAN CIFAR ResNet): shapes, parameter counts, spectral
norm state, BatchNorm modes and the 32-pixel-only error."""
from __future__ import annotations

import jax
import numpy as np
import pytest

from tests.networks import helpers
from gan_jax import networks

KEY = helpers.KEY


def _config(width=8, z_dim=16, **model):
  return helpers.model_config("resnet", width, z_dim, **model)


def _init(config, channels=3, batch=2):
  return helpers.build(config, (32, 32, channels), batch)


_variables, _count = helpers.variables, helpers.count


@pytest.mark.parametrize("channels", [1, 3])
def test_shapes(channels):
  helpers.check_shapes(_config(), (32, 32, channels))


def test_parameter_counts_by_hand():
  w, z, C = 16, 100, 3
  _, _, g_vars, d_vars, _ = _init(_config(width=w, z_dim=z), C)
  g_ch, d_ch = 4 * w, 2 * w
  conv = lambda k, cin, cout: k * k * cin * cout + cout            # all convs have biases
  g_block = 2 * g_ch + conv(3, g_ch, g_ch) + 2 * g_ch + conv(3, g_ch, g_ch) + conv(1, g_ch, g_ch)
  g = z * 16 * g_ch + 16 * g_ch + 3 * g_block + 2 * g_ch + conv(3, g_ch, C)
  d = (conv(3, C, d_ch) + conv(3, d_ch, d_ch) + conv(1, C, d_ch)         # optimized block
       + 2 * conv(3, d_ch, d_ch) + conv(1, d_ch, d_ch)                    # down block
       + 2 * 2 * conv(3, d_ch, d_ch)                                      # two plain blocks
       + d_ch + 1)                                                        # Dense
  assert (_count(g_vars), _count(d_vars)) == (g, d) == (340099, 66849)


def test_paper_widths_at_width_64():
  _, _, g_vars, d_vars, _ = _init(_config(width=64, z_dim=128))
  assert g_vars["params"]["Dense_0"]["kernel"].shape == (128, 4 * 4 * 256)
  assert d_vars["params"]["Dense_0"]["kernel"].shape == (128, 1)


def test_spectral_norm_on_every_discriminator_layer():
  _, D, _, d_vars, _ = _init(_config(spectral_norm=True))
  sigmas = [p for p, _ in jax.tree_util.tree_leaves_with_path(d_vars["batch_stats"])
            if p[-1].key.endswith("/sigma")]
  n_layers = sum(1 for p, _ in jax.tree_util.tree_leaves_with_path(d_vars["params"])
                 if p[-1].key == "kernel")
  assert len(sigmas) == n_layers == 3 + 3 + 2 + 2 + 1
  x = jax.random.normal(KEY, (2, 32, 32, 3))
  _, eval_updates = D.apply(d_vars, x, train=False, mutable=["batch_stats"])
  _, train_updates = D.apply(d_vars, x, train=True, mutable=["batch_stats"])
  assert all(np.array_equal(a, b) for a, b in zip(jax.tree.leaves(d_vars["batch_stats"]),
                                                  jax.tree.leaves(eval_updates["batch_stats"])))
  assert not np.allclose(jax.tree.leaves(train_updates["batch_stats"])[0],
                         jax.tree.leaves(d_vars["batch_stats"])[0])


def test_spectral_norm_divides_every_kernel_by_its_largest_singular_value():
  _, D, _, d_vars, _ = _init(_config(spectral_norm=True))
  _, D_plain = networks.get("resnet").build(_config(), (32, 32, 3))
  x = jax.random.normal(KEY, (2, 32, 32, 3))
  helpers.check_spectral_norm(D, D_plain, d_vars, x, num_layers=3 + 3 + 2 + 2 + 1)


def test_discriminator_without_spectral_norm_has_no_state():
  _, _, _, d_vars, _ = _init(_config())
  assert set(d_vars) == {"params"}


def test_generator_batch_stats_update_in_train_mode_only():
  G, _, g_vars, _, z = _init(_config(), batch=4)
  _, train_updates = G.apply(g_vars, z, train=True, mutable=["batch_stats"])
  _, eval_updates = G.apply(g_vars, z, train=False, mutable=["batch_stats"])
  before = jax.tree.leaves(g_vars["batch_stats"])
  assert len(before) == 2 * 7  # 2 per block x 3 + the final BatchNorm
  assert all(not np.allclose(a, b) for a, b in
             zip(before, jax.tree.leaves(train_updates["batch_stats"])))
  assert all(np.array_equal(a, b) for a, b in
             zip(before, jax.tree.leaves(eval_updates["batch_stats"])))


@pytest.mark.parametrize("shape", [(28, 28, 1), (64, 64, 3), (32, 32, 2)])
def test_only_32_pixels(shape):
  with pytest.raises(ValueError, match=r"32x32.*data\.image_size=32"):
    networks.get("resnet").build(_config(), shape)
