"""gan_jax.networks.layers: the fast convolutions equal flax's, values and gradients;
the normalisation helper's modes."""
from __future__ import annotations

import flax.linen as nn
import jax
import jax.numpy as jnp
import numpy as np
import pytest

from gan_jax.networks import layers

KEY = jax.random.PRNGKey(0)
DN = ("NHWC", "HWIO", "NHWC")


def _values_and_grads(apply, params, x):
  """(y, d<y, ct>/dparams, d<y, ct>/dx) for a fixed random cotangent ct."""
  y, vjp = jax.jit(lambda p, v: jax.vjp(apply, p, v))(params, x)
  g_params, g_x = jax.jit(vjp)(jax.random.normal(jax.random.PRNGKey(7), y.shape))
  return y, g_params, g_x


def _assert_close(a, b, rtol=1e-5):
  scale = float(jnp.max(jnp.abs(b))) + 1e-12
  np.testing.assert_allclose(np.asarray(a) / scale, np.asarray(b) / scale, atol=rtol)


@pytest.mark.parametrize("kernel,stride,c_out", [(4, 2, 8), (4, 2, 1), (2, 2, 8), (6, 2, 3),
                                                 (6, 3, 4)])
def test_conv_transpose_equals_flax_values_and_gradients(kernel, stride, c_out):
  ours = layers.ConvTranspose(c_out, (kernel, kernel), (stride, stride), padding="SAME")
  ref = nn.ConvTranspose(c_out, (kernel, kernel), (stride, stride), padding="SAME")
  x = jax.random.normal(KEY, (3, 7, 5, 6))
  params = ours.init(KEY, x)
  assert jax.tree.map(jnp.shape, params) == jax.tree.map(jnp.shape, ref.init(KEY, x))
  y, g_params, g_x = _values_and_grads(ours.apply, params, x)
  y_ref, g_params_ref, g_x_ref = _values_and_grads(ref.apply, params, x)
  assert y.shape == (3, 7 * stride, 5 * stride, c_out)
  _assert_close(y, y_ref)
  _assert_close(g_x, g_x_ref)
  _assert_close(g_params["params"]["kernel"], g_params_ref["params"]["kernel"])
  _assert_close(g_params["params"]["bias"], g_params_ref["params"]["bias"])


@pytest.mark.parametrize("form", [layers.conv_transpose_phases, layers.conv_transpose_gemm])
@pytest.mark.parametrize("padding", ["SAME", "VALID", ((1, 2), (3, 0))])
def test_both_forms_equal_lax_conv_transpose(form, padding):
  x = jax.random.normal(KEY, (2, 5, 6, 3))
  kernel = jax.random.normal(jax.random.PRNGKey(1), (4, 4, 3, 5))
  ref = jax.lax.conv_transpose(x, kernel, (2, 2), padding, dimension_numbers=DN)
  out = form(x, kernel, (2, 2), padding)
  assert out.shape == ref.shape
  _assert_close(out, ref)


@pytest.mark.parametrize("kernel,stride", [(5, 2), (3, 2), (1, 2)])
def test_conv_transpose_kernel_not_a_multiple_of_the_stride(kernel, stride):
  x = jax.random.normal(KEY, (2, 5, 4, 3))
  w = jax.random.normal(jax.random.PRNGKey(1), (kernel, kernel, 3, 4))
  ref = jax.lax.conv_transpose(x, w, (stride, stride), "SAME", dimension_numbers=DN)
  for form in (layers.conv_transpose_phases, layers.conv_transpose_gemm):
    _assert_close(form(x, w, (stride, stride), "SAME"), ref)


def _gradient_penalty(apply):
  """params, x -> sum_i ||d tanh(f(x))_i / dx||^2: D's input gradient differentiated
  again, as the WGAN-GP penalty does."""
  def penalty(params, x):
    grad = jax.grad(lambda v: jnp.sum(jnp.tanh(apply(params, v))))(x)
    return jnp.sum(grad ** 2)
  return penalty


@pytest.mark.parametrize("kernel,stride,padding", [(4, 2, "SAME"), (5, 2, "SAME"),
                                                   (3, 2, "VALID"), (4, 2, ((2, 0), (1, 3)))])
def test_conv_equals_flax_to_second_order(kernel, stride, padding):
  ours = layers.Conv(6, (kernel, kernel), (stride, stride), padding)
  ref = nn.Conv(6, (kernel, kernel), (stride, stride), padding)
  x = jax.random.normal(KEY, (3, 13, 14, 4))
  params = ours.init(KEY, x)
  y, g_params, g_x = _values_and_grads(ours.apply, params, x)
  y_ref, g_params_ref, g_x_ref = _values_and_grads(ref.apply, params, x)
  _assert_close(y, y_ref)
  _assert_close(g_x, g_x_ref)
  _assert_close(g_params["params"]["kernel"], g_params_ref["params"]["kernel"])
  gp = jax.jit(jax.grad(_gradient_penalty(ours.apply), argnums=(0, 1)))(params, x)
  gp_ref = jax.jit(jax.grad(_gradient_penalty(ref.apply), argnums=(0, 1)))(params, x)
  for a, b in zip(jax.tree.leaves(gp), jax.tree.leaves(gp_ref)):
    _assert_close(a, b)


def _upsample_then_conv(params, x, factor=2):
  up = jnp.repeat(jnp.repeat(x, factor, axis=1), factor, axis=2)
  return nn.Conv(params["params"]["kernel"].shape[-1],
                 params["params"]["kernel"].shape[:2], padding="SAME").apply(params, up)


@pytest.mark.parametrize("kernel", [1, 3, 5])
def test_upsample_conv_equals_conv_of_upsampled_values_and_gradients(kernel):
  layer = layers.UpsampleConv(4, (kernel, kernel))
  x = jax.random.normal(KEY, (2, 4, 5, 3))
  params = layer.init(KEY, x)
  y, g_params, g_x = _values_and_grads(layer.apply, params, x)
  y_ref, g_params_ref, g_x_ref = _values_and_grads(_upsample_then_conv, params, x)
  assert y.shape == (2, 8, 10, 4)
  _assert_close(y, y_ref)
  _assert_close(g_x, g_x_ref)
  _assert_close(g_params["params"]["kernel"], g_params_ref["params"]["kernel"])


class _Normed(nn.Module):
  kind: str

  @nn.compact
  def __call__(self, x, train):
    return layers.norm(self.kind, key="model.d_norm")(x, train)


def test_batch_norm_updates_running_stats_in_train_mode_only():
  x = 3.0 + 2.0 * jax.random.normal(KEY, (16, 4, 4, 5))
  module = _Normed("batch")
  variables = module.init(KEY, x, train=False)
  stats0 = variables["batch_stats"]["BatchNorm_0"]
  np.testing.assert_allclose(stats0["mean"], 0.0)
  y, updates = module.apply(variables, x, train=True, mutable=["batch_stats"])
  mean = updates["batch_stats"]["BatchNorm_0"]["mean"]
  np.testing.assert_allclose(mean, 0.1 * jnp.mean(x, axis=(0, 1, 2)), rtol=1e-5)  # momentum 0.9
  np.testing.assert_allclose(jnp.mean(y, axis=(0, 1, 2)), 0.0, atol=1e-5)
  np.testing.assert_allclose(jnp.std(y, axis=(0, 1, 2)), 1.0, atol=1e-3)
  y_eval, updates_eval = module.apply(variables, x, train=False, mutable=["batch_stats"])
  np.testing.assert_allclose(updates_eval["batch_stats"]["BatchNorm_0"]["mean"], 0.0)
  np.testing.assert_allclose(y_eval, x / np.sqrt(1.0 + 1e-5), rtol=1e-5)  # running stats 0, 1


def test_layer_norm_normalises_each_sample_over_h_w_c():
  x = jax.random.normal(KEY, (3, 4, 4, 5)) * jnp.arange(1.0, 4.0)[:, None, None, None]
  module = _Normed("layer")
  variables = module.init(KEY, x, train=True)
  assert "batch_stats" not in variables
  assert variables["params"]["LayerNorm_0"]["scale"].shape == (5,)
  y = module.apply(variables, x, train=True)
  np.testing.assert_allclose(jnp.mean(y, axis=(1, 2, 3)), 0.0, atol=1e-5)
  np.testing.assert_allclose(jnp.std(y, axis=(1, 2, 3)), 1.0, atol=1e-3)


def test_norm_none_is_identity_and_unknown_names_the_key():
  x = jax.random.normal(KEY, (2, 3))
  np.testing.assert_array_equal(layers.norm("none")(x, True), x)
  with pytest.raises(ValueError, match="model.d_norm"):
    layers.norm("group", key="model.d_norm")


def test_dcgan_scale_init_is_normal_one_0_02():
  scale = layers.dcgan_scale_init(KEY, (20000,))
  assert abs(float(jnp.mean(scale)) - 1.0) < 1e-3
  assert abs(float(jnp.std(scale)) - 0.02) < 1e-3
