"""pix2pix networks: PatchGAN receptive fields, the U-Net's skips, dropout; SRResNet."""
import jax
import jax.numpy as jnp
import numpy as np
import pytest

from gan_jax.networks import pix2pix, srresnet
from tests.networks.helpers import variables


@pytest.mark.parametrize("patch,expected", [("1", 1), ("16", 16), ("34", 34), ("70", 70),
                                            ("142", 142), ("286", 286)])
def test_receptive_field_formula(patch, expected):
  # The paper's sizes: 70 = 3 stride-2 4x4 convs + 2 stride-1 4x4 convs.
  assert pix2pix.receptive_field(patch) == expected
  assert pix2pix.receptive_field("full", 32) == 32


def measured_field(patch: str, size: int) -> tuple[int, int]:
  """(rows, cols) of the input pixels on which the central output of D depends: the
  bounding box of the nonzero gradient of that output w.r.t. the input."""
  D = pix2pix.PatchGAN(patch, width=4)
  x = jax.random.normal(jax.random.PRNGKey(1), (1, size, size, 1))
  d_vars = variables(D, x)
  out = D.apply(d_vars, x, train=False)
  if patch == "full":
    grad = jax.grad(lambda x: D.apply(d_vars, x, train=False).sum())(x)
  else:
    i, j = out.shape[1] // 2, out.shape[2] // 2
    grad = jax.grad(lambda x: D.apply(d_vars, x, train=False)[0, i, j])(x)
  rows, cols = np.nonzero(np.abs(np.asarray(grad[0, ..., 0])) > 0)
  return rows.max() - rows.min() + 1, cols.max() - cols.min() + 1


@pytest.mark.parametrize("patch", ["1", "16", "34", "70"])
def test_receptive_field_by_perturbation(patch):
  # On 128-px inputs, the central patch lies inside the image: every pixel of the
  # formula's field (and no other) changes that output.
  r = pix2pix.receptive_field(patch)
  assert measured_field(patch, 128) == (r, r)


def test_full_discriminator_sees_the_whole_image():
  assert measured_field("full", 32) == (32, 32)


@pytest.mark.parametrize("patch,size", [("1", 32), ("16", 32), ("34", 32), ("70", 32),
                                        ("70", 64), ("full", 32)])
def test_patch_output_sizes(patch, size):
  D = pix2pix.PatchGAN(patch, width=4)
  x = jnp.zeros((2, size, size, 2))
  out = D.apply(variables(D, x), x, train=False)
  side = pix2pix.output_size(patch, size)
  assert out.shape == ((2,) if patch == "full" else (2, side, side))
  assert {"1": 32, "16": 14, "34": 6, "70": 2 if size == 32 else 6}.get(patch, 1) == side


def test_bad_patch_and_too_deep_patch_fail_clearly():
  with pytest.raises(ValueError, match="model.patch='50'"):
    pix2pix.check_patch("50")
  with pytest.raises(ValueError, match="too deep for 16x16"):
    pix2pix.check_shape((16, 16, 1), "286")


def unet_pair(size=32, channels=1):
  a = jax.random.normal(jax.random.PRNGKey(2), (2, size, size, channels))
  nets = [pix2pix.UNet(channels, width=4, skips=skips) for skips in (True, False)]
  return a, nets, [variables(g, a) for g in nets]


def test_unet_uses_its_skips_and_encdec_has_none():
  a, (unet, encdec), (u_vars, e_vars) = unet_pair()
  # The top decoder layer reads [encoder level 0 (4 ch), decoder (4 ch)] in the U-Net,
  # only the decoder's 4 channels without skips.
  top = lambda v: v["params"][max(k for k in v["params"] if k.startswith("ConvTranspose"))]
  assert top(u_vars)["kernel"].shape[2] == 8 and top(e_vars)["kernel"].shape[2] == 4
  # Zeroing the weights that read the skip changes the U-Net's output.
  out = unet.apply(u_vars, a, train=False)
  cut = jax.tree.map(lambda x: x, u_vars)
  layer = max(k for k in u_vars["params"] if k.startswith("ConvTranspose"))
  kernel = cut["params"][layer]["kernel"]
  cut["params"][layer]["kernel"] = kernel.at[:, :, :4].set(0.0)
  assert float(jnp.abs(unet.apply(cut, a, train=False) - out).max()) > 1e-3
  assert encdec.apply(e_vars, a, train=False).shape == out.shape == (2, 32, 32, 1)


def test_unet_dropout_is_the_noise_in_training_only():
  a, (unet, _), (u_vars, _) = unet_pair(size=16)
  run = lambda key: unet.apply(u_vars, a, train=True, rngs={"dropout": key},
                               mutable=["batch_stats"])[0]
  assert float(jnp.abs(run(jax.random.PRNGKey(0)) - run(jax.random.PRNGKey(1))).max()) > 1e-4
  np.testing.assert_array_equal(run(jax.random.PRNGKey(3)), run(jax.random.PRNGKey(3)))
  e1, e2 = unet.apply(u_vars, a, train=False), unet.apply(u_vars, a, train=False)
  np.testing.assert_array_equal(e1, e2)


def test_pixel_shuffle_matches_pytorch_order():
  r, c = 2, 3
  x = np.arange(1 * 2 * 2 * c * r * r, dtype=np.float32).reshape(1, 2, 2, c * r * r)
  out = np.asarray(srresnet.pixel_shuffle(jnp.asarray(x), r))
  # PyTorch: out[c, h r + i, w r + j] = in[c r^2 + i r + j, h, w] (here channels last).
  for h in range(2):
    for w in range(2):
      for ch in range(c):
        for i in range(r):
          for j in range(r):
            assert out[0, h * r + i, w * r + j, ch] == x[0, h, w, ch * r * r + i * r + j]


def test_srresnet_upscales_by_four_and_d_gives_one_logit():
  g = srresnet.SRResNet(1, scale=4, width=4, depth=1)
  d = srresnet.SRDiscriminator(width=2)
  lr = jnp.zeros((2, 7, 7, 1))
  sr = g.apply(variables(g, lr), lr, train=False)
  assert sr.shape == (2, 28, 28, 1)
  assert d.apply(variables(d, sr), sr, train=False).shape == (2,)
