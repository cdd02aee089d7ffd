"""gan_jax.networks.dcgan: shapes, parameter counts, initialisation, BatchNorm modes,
cross-device statistics, the supported sizes, and one real train step."""
from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from tests.networks import helpers
from gan_jax import methods, train_step as step_lib
from gan_jax.networks import dcgan

KEY = helpers.KEY


def _config(width=8, z_dim=16, **model):
  return helpers.model_config("dcgan", width, z_dim, **model)


def _init(config, shape, batch=2):
  return helpers.build(config, shape, batch)


_variables, _count = helpers.variables, helpers.count


@pytest.mark.parametrize("size", [28, 32, 64])
@pytest.mark.parametrize("channels", [1, 3])
def test_shapes_and_ranges(size, channels):
  helpers.check_shapes(_config(), (size, size, channels), z_scale=30.0)


def test_parameter_counts_by_hand_28px_width_64():
  G, D, g_vars, d_vars, _ = _init(_config(width=64, z_dim=100), (28, 28, 1))
  w, z = 64, 100
  g = (z * 7 * 7 * 2 * w            # Dense, no bias (BatchNorm follows)
       + 2 * (2 * w)                # BatchNorm scale, offset
       + 4 * 4 * 2 * w * w          # ConvTranspose 2w -> w, no bias
       + 2 * w                      # BatchNorm
       + 4 * 4 * w * 1 + 1)         # ConvTranspose w -> 1, bias
  d = (4 * 4 * 1 * w + w            # Conv 1 -> w, bias (no norm after it)
       + 4 * 4 * w * 2 * w          # Conv w -> 2w, no bias
       + 2 * (2 * w)                # BatchNorm
       + 7 * 7 * 2 * w + 1)         # Dense
  assert (_count(g_vars), _count(d_vars)) == (g, d) == (759681, 138689)
  kernels = jax.tree.map(jnp.shape, g_vars["params"])
  assert kernels["ConvTranspose_0"]["kernel"] == (4, 4, 128, 64)  # nn.ConvTranspose layout


def test_layer_norm_critic_has_biases_and_no_batch_stats():
  _, _, _, d_vars, _ = _init(_config(width=64, z_dim=100, d_norm="layer"), (28, 28, 1))
  assert "batch_stats" not in d_vars
  w = 64
  assert _count(d_vars) == (16 * w + w) + (16 * w * 2 * w + 2 * w) + 2 * 2 * w + 49 * 2 * w + 1


def test_init_is_normal_0_02_and_batchnorm_scale_normal_1_0_02():
  G, D = dcgan.build(_config(width=64, z_dim=100), (28, 28, 1))
  g_vars = G.init(KEY, jnp.zeros((2, 100)), train=False)
  d_vars = D.init(KEY, jnp.zeros((2, 28, 28, 1)), train=False)
  g, d = g_vars["params"], d_vars["params"]
  for kernel in (g["Dense_0"]["kernel"], g["ConvTranspose_0"]["kernel"], d["Conv_1"]["kernel"]):
    assert abs(float(jnp.std(kernel)) - 0.02) < 5e-4
    assert abs(float(jnp.mean(kernel))) < 5e-4
  scale = jnp.concatenate([g_vars["params"]["BatchNorm_0"]["scale"],
                           g_vars["params"]["BatchNorm_1"]["scale"],
                           d_vars["params"]["BatchNorm_0"]["scale"]])
  assert abs(float(jnp.mean(scale)) - 1.0) < 0.01
  assert 0.01 < float(jnp.std(scale)) < 0.03
  np.testing.assert_array_equal(g_vars["params"]["BatchNorm_0"]["bias"], 0.0)


def test_batch_stats_update_in_train_mode_only():
  G, _, g_vars, _, z = _init(_config(), (32, 32, 1), batch=8)
  _, train_updates = G.apply(g_vars, z, train=True, mutable=["batch_stats"])
  _, eval_updates = G.apply(g_vars, z, train=False, mutable=["batch_stats"])
  before = jax.tree.leaves(g_vars["batch_stats"])
  assert all(not np.allclose(a, b) for a, b in
             zip(before, jax.tree.leaves(train_updates["batch_stats"])))
  assert all(np.array_equal(a, b) for a, b in
             zip(before, jax.tree.leaves(eval_updates["batch_stats"])))


def test_batchnorm_over_devices_equals_one_device():
  """D with axis_name under a 2-way mapped axis (vmap stands in for pmap) gives the
  logits and running statistics of one device on the whole batch."""
  config = _config()
  _, D = dcgan.build(config, (28, 28, 1))
  _, D_parallel = dcgan.build(config, (28, 28, 1), axis_name="devices")
  x = jax.random.normal(KEY, (8, 28, 28, 1))
  d_vars = _variables(D, x)
  logits, updates = D.apply(d_vars, x, train=True, mutable=["batch_stats"])
  split = jax.vmap(lambda v: D_parallel.apply(d_vars, v, train=True, mutable=["batch_stats"]),
                   axis_name="devices")
  logits_n, updates_n = split(x.reshape(2, 4, 28, 28, 1))
  np.testing.assert_allclose(logits_n.reshape(8), logits, rtol=1e-4, atol=1e-5)
  for one, many in zip(jax.tree.leaves(updates), jax.tree.leaves(updates_n)):
    np.testing.assert_allclose(many[0], one, rtol=1e-4, atol=1e-6)


def test_spectral_norm_keeps_its_state_in_batch_stats():
  _, D, _, d_vars, _ = _init(_config(d_norm="none", spectral_norm=True), (28, 28, 1))
  names = {"/".join(str(k.key) for k in path) for path, _ in
           jax.tree_util.tree_leaves_with_path(d_vars["batch_stats"])}
  assert any(n.endswith("kernel/sigma") for n in names) and len(names) == 2 * 3  # u, sigma x 3


@pytest.mark.parametrize("d_norm", ["none", "batch"])
def test_spectral_norm_divides_every_kernel_by_its_largest_singular_value(d_norm):
  """sigma converges to sigma_max of each kernel reshaped to [k*k*C_in, C_out], and D
  applies W / sigma_max in every layer (with BatchNorm between them too)."""
  config = _config(d_norm=d_norm, spectral_norm=True)
  _, D, _, d_vars, _ = _init(config, (28, 28, 1), batch=4)
  _, D_plain = dcgan.build(_config(d_norm=d_norm), (28, 28, 1))
  x = jax.random.normal(KEY, (4, 28, 28, 1))
  helpers.check_spectral_norm(D, D_plain, d_vars, x, num_layers=3)


@pytest.mark.parametrize("shape", [(48, 48, 1), (28, 32, 1), (28, 28, 2), (28, 28)])
def test_unsupported_shapes_name_the_sizes_and_the_key(shape):
  with pytest.raises(ValueError, match=r"28, 32, 64.*data\.image_size"):
    dcgan.build(_config(), shape)


def test_unknown_norm_names_the_key():
  with pytest.raises(ValueError, match="model.g_norm"):
    dcgan.build(_config(g_norm="group"), (28, 28, 1))


def test_one_train_step_is_finite_and_moves_both_networks():
  c = _config(width=8, z_dim=8)
  c.data.batch_size = 8
  method = methods.get("gan").build(c, (28, 28, 1))
  batch = {"x": np.random.default_rng(0).uniform(-1, 1, (1, 8, 28, 28, 1)).astype(np.float32)}
  method.init = lambda key, b: (_variables(method.G, jnp.zeros((2, 8))),
                                _variables(method.D, jnp.asarray(b["x"][:2])))
  state = step_lib.init_state(c, method, KEY, {"x": batch["x"][0]})
  step = jax.jit(step_lib.keyed(step_lib.make_train_step(c, method)))
  new, metrics = step(state, batch)
  assert all(np.isfinite(float(v)) for v in metrics.values())
  for old_vars, new_vars in ((state.g, new.g), (state.d, new.d)):
    assert not np.allclose(old_vars["params"]["BatchNorm_0"]["scale"],
                           new_vars["params"]["BatchNorm_0"]["scale"])
