"""SEGAN's networks: shapes at the paper's sizes, the skip connections, D's logits."""
import jax
import jax.numpy as jnp
import numpy as np
import pytest

from gan_jax.networks import segan


def test_paper_widths_and_the_bottleneck_shape():
  assert segan.widths(16, 11) == (16, 32, 32, 64, 64, 128, 128, 256, 256, 512, 1024)
  g = segan.Generator(segan.widths(1, 11), kernel_size=31)
  x, z = jnp.zeros((1, 16384)), jnp.zeros((1, 8, 64))  # 16384 / 2^11 = 8 samples
  shapes = jax.eval_shape(lambda: g.init_with_output(jax.random.PRNGKey(0), x, z))
  out, params = shapes
  assert out.shape == (1, 16384)
  # 11 strided convs, 11 transposed convs, 21 PReLUs (none after the last layer)
  names = list(params["params"])
  assert sum(n.startswith("Conv_") for n in names) == 11
  assert sum(n.startswith("ConvTranspose_") for n in names) == 11
  assert sum(n.startswith("PReLU_") for n in names) == 21
  # decoder input channels: z + code (2 x 64), then decoder output + skip (2 c_i)
  assert params["params"]["ConvTranspose_0"]["kernel"].shape == (1, 31, 128, 32)
  assert params["params"]["ConvTranspose_1"]["kernel"].shape == (1, 31, 64, 16)
  with pytest.raises(ValueError, match="multiple of 2"):
    segan.check_window(16000, 11)


@pytest.mark.parametrize("skips", [True, False])
def test_skip_connections_carry_the_input_past_the_bottleneck(skips):
  """With the bottleneck path cut (first decoder layer zeroed), G's output still depends
  on its input only through the skips."""
  g = segan.Generator(segan.widths(2, 4), kernel_size=7, skips=skips)
  rng = np.random.default_rng(0)
  x = jnp.asarray(rng.normal(size=(2, 256)), jnp.float32)
  z = jnp.zeros((2, 16, 16))
  params = jax.jit(g.init)(jax.random.PRNGKey(0), x, z)
  apply = jax.jit(g.apply)
  cut = jax.tree_util.tree_map_with_path(
      lambda p, v: jnp.zeros_like(v) if "ConvTranspose_0" in jax.tree_util.keystr(p) else v,
      params)
  out_a = apply(cut, x, z)
  out_b = apply(cut, 2 * x + 1, z)
  changed = float(jnp.max(jnp.abs(out_a - out_b)))
  assert (changed > 1e-3) if skips else (changed == 0.0)
  # and the full network does use the bottleneck: z changes the output (a little, at
  # the N(0, 0.02) initialisation)
  assert float(jnp.max(jnp.abs(apply(params, x, z) - apply(params, x, z + 1)))) > 1e-7


def test_discriminator_scores_pairs():
  d = segan.Discriminator(segan.widths(2, 4), kernel_size=7)
  pair = jnp.asarray(np.random.default_rng(1).normal(size=(3, 256, 2)), jnp.float32)
  variables = d.init(jax.random.PRNGKey(0), pair, train=False)
  logits, _ = d.apply(variables, pair, train=True, mutable=["batch_stats"])
  assert logits.shape == (3,) and bool(jnp.all(jnp.isfinite(logits)))
  slopes = segan.PReLU().init(jax.random.PRNGKey(0), jnp.ones((1, 5)))["params"]["slope"]
  np.testing.assert_array_equal(slopes, np.zeros(5))  # PReLU starts as ReLU


def test_a_residual_generator_starts_near_the_identity():
  """model.residual: x_hat = x + tanh(h), so at the N(0, 0.02) initialisation G's output is
  its input plus a small correction; without it the output is near zero."""
  x = jnp.asarray(0.3 * np.random.default_rng(2).normal(size=(2, 64)), jnp.float32)
  z = jnp.asarray(np.random.default_rng(3).normal(size=(2, 8, 2)), jnp.float32)
  for residual in (True, False):
    g = segan.Generator(segan.widths(1, 3), kernel_size=5, residual=residual)
    out = g.apply(g.init(jax.random.PRNGKey(0), x, z), x, z)
    err = float(jnp.max(jnp.abs(out - x)))
    assert (err < 0.05) if residual else (err > 0.5), (residual, err)
