"""Networks of unpaired translation: CycleGAN's ResNet generator (reflection padding,
instance norm, exact doubling up-convolutions), DiscoGAN's encoder-decoder, CoGAN's
shared layers; and the 'instance' normalisation."""
import flax.linen as nn
import jax
import jax.numpy as jnp
import numpy as np
import pytest

from gan_jax.networks import cogan, cyclegan, discogan, layers


def test_instance_norm_normalises_each_sample_and_channel_alone():
  x = jax.random.normal(jax.random.PRNGKey(0), (3, 8, 8, 4)) * 5 + 2

  class Norm(nn.Module):
    @nn.compact
    def __call__(self, x):
      return layers.norm("instance")(x, True)
  variables = Norm().init(jax.random.PRNGKey(1), x)
  assert variables == {} or not jax.tree.leaves(variables)  # no scale, offset or statistics
  y = Norm().apply(variables, x)
  np.testing.assert_allclose(y.mean(axis=(1, 2)), 0, atol=1e-5)
  np.testing.assert_allclose(y.var(axis=(1, 2)), 1, atol=1e-3)
  # One sample's output does not depend on the others in the batch.
  np.testing.assert_allclose(Norm().apply(variables, x[:1]), y[:1], atol=1e-6)


def test_reflection_padding_mirrors_without_repeating_the_border():
  x = jnp.arange(4.0).reshape(1, 1, 4, 1)
  padded = cyclegan.reflect(jnp.broadcast_to(x, (1, 4, 4, 1)), 2)
  np.testing.assert_array_equal(padded[0, 0, :, 0], [2, 1, 0, 1, 2, 3, 2, 1])


@pytest.mark.parametrize("size, blocks", [(32, 2), (16, 0)])
def test_resnet_generator_layout(size, blocks):
  g = cyclegan.ResnetGenerator(channels=3, width=4, blocks=blocks)
  x = jax.random.uniform(jax.random.PRNGKey(0), (2, size, size, 3), minval=-1, maxval=1)
  variables = g.init(jax.random.PRNGKey(1), x, train=False)
  y = g.apply(variables, x, train=False)
  assert y.shape == (2, size, size, 3) and float(jnp.abs(y).max()) <= 1
  p = variables["params"]
  # c7s1-4, d8, d16, blocks x 2 convs of 16, u8, u4, c7s1-3: kernels and biases.
  assert p["Conv_0"]["kernel"].shape == (7, 7, 3, 4)
  assert p["Conv_2"]["kernel"].shape == (3, 3, 8, 16)
  assert sum(k.startswith("ResnetBlock") for k in p) == blocks
  assert p["ConvTranspose_0"]["kernel"].shape == (3, 3, 16, 8)
  assert p["Conv_3"]["kernel"].shape == (7, 7, 4, 3) and "bias" in p["Conv_3"]
  assert "batch_stats" not in variables  # instance norm keeps no statistics


def test_the_up_convolution_doubles_like_pytorchs_output_padding():
  """ConvTranspose(k=3, s=2, padding=1, output_padding=1) in PyTorch: output o gets
  x[i] * w[k] for o = 2 i + k - 1; here lax's padding (1, 2) with the kernel flipped."""
  rng = np.random.default_rng(0)
  x, w = rng.normal(size=(1, 3, 3, 1)), rng.normal(size=(3, 3))
  want = np.zeros((7, 7))  # (H - 1) * 2 - 2 + 3 + 1 = 6 rows, plus one cropped margin
  for i in range(3):
    for j in range(3):
      for ki in range(3):
        for kj in range(3):
          want[2 * i + ki, 2 * j + kj] += x[0, i, j, 0] * w[ki, kj]
  want = want[1:7, 1:7]
  kernel = jnp.asarray(w[::-1, ::-1, None, None], jnp.float32)
  got = layers.conv_transpose(jnp.asarray(x, jnp.float32), kernel, (2, 2), cyclegan.UP_PADDING)
  np.testing.assert_allclose(got[0, :, :, 0], want, rtol=1e-5, atol=1e-6)


def test_discogan_encoder_decoder_goes_down_to_4x4():
  g = discogan.EncoderDecoder(channels=1, width=4)
  x = jnp.zeros((2, 32, 32, 1))
  variables = g.init(jax.random.PRNGKey(0), x, train=False)
  assert g.apply(variables, x, train=False).shape == (2, 32, 32, 1)
  convs = sorted(k for k in variables["params"] if k.startswith("Conv_"))
  assert len(convs) == 3  # 32 -> 16 -> 8 -> 4
  assert variables["params"]["Conv_2"]["kernel"].shape == (4, 4, 8, 16)


def test_cogan_shares_g_first_and_d_last_layers():
  g, d = cogan.CoupledGenerator(32, 1, width=4), cogan.CoupledDiscriminator(32, width=4)
  z = jax.random.normal(jax.random.PRNGKey(0), (3, 10))
  gv = g.init(jax.random.PRNGKey(1), z, train=False)
  x_a, x_b = g.apply(gv, z, train=False)
  assert x_a.shape == x_b.shape == (3, 32, 32, 1)
  assert set(gv["params"]) == {"dense", "ups_0", "ups_1", "heads_0", "heads_1"} | {
      f"norms_{i}" for i in range(3)}
  # Changing one head changes one domain's images only: everything before is shared.
  gv2 = jax.tree_util.tree_map_with_path(
      lambda path, v: v * 0 if "heads_1" in jax.tree_util.keystr(path) else v, gv)
  y_a, y_b = g.apply(gv2, z, train=False)
  np.testing.assert_array_equal(y_a, x_a)
  assert not np.allclose(y_b, x_b)
  dv = d.init(jax.random.PRNGKey(2), x_a, x_b, train=False)
  assert {"firsts_0", "firsts_1", "convs_0", "convs_1", "dense"} <= set(dv["params"])
  # With B's first layer set to A's, D judges one image the same on both sides: every
  # layer after the first is shared.
  params = {**dv["params"], "firsts_1": dv["params"]["firsts_0"]}
  out_a, out_b = d.apply({**dv, "params": params}, x_a, x_a, train=False)
  np.testing.assert_allclose(out_a, out_b, rtol=1e-6)
  assert not np.allclose(*d.apply(dv, x_a, x_a, train=False))
