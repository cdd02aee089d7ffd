"""DiscoGAN networks (Kim et al., 2017, "Learning to discover cross-domain relations with
generative adversarial networks", Sec. 4 and the authors' code SKTBrain/DiscoGAN).

Generator, an encoder-decoder without skips, w = model.width (64 in the paper), for S x S
images: 4x4 stride-2 convs to w, 2w, 4w, 8w ... channels down to a 4 x 4 map
(log2(S) - 2 of them; four at the paper's 64 px), LeakyReLU(0.2) after each and
BatchNorm after all but the first; then 4x4 stride-2 transposed convs back up, BatchNorm
and ReLU after each but the last, which gives the image's channels and tanh.

Discriminator: 4x4 stride-2 convs (BatchNorm after all but the first, LeakyReLU 0.2)
down to 4 x 4, then one logit per image: `networks.pix2pix.PatchGAN` with patch 'full'
(its final Dense over the 4 x 4 map is the authors' last 4x4 convolution).
"""
from __future__ import annotations

import math

import flax.linen as nn
import jax.numpy as jnp

from gan_jax.networks import layers, pix2pix

SIZES = (16, 32, 64, 128, 256)
PAD1 = ((1, 1), (1, 1))


class EncoderDecoder(nn.Module):
  """Images [B, S, S, C_in] in [-1, 1] -> images [B, S, S, channels] in [-1, 1]."""
  channels: int
  width: int = 64
  norm: str = "batch"
  axis_name: str | None = None

  @nn.compact
  def __call__(self, x, train: bool = True):
    levels = int(math.log2(x.shape[1])) - 2
    widths = [min(self.width * 2 ** i, 8 * self.width) for i in range(levels)]
    norm = lambda: layers.norm(self.norm, self.axis_name, key="model.g_norm")
    bias = self.norm != "batch"
    for i, w in enumerate(widths):
      x = layers.Conv(w, (4, 4), (2, 2), PAD1, use_bias=i == 0 or bias,
                      kernel_init=layers.DCGAN_INIT)(x)
      if i:
        x = norm()(x, train)
      x = nn.leaky_relu(x, 0.2)
    for i in reversed(range(levels)):
      top = i == 0
      x = layers.ConvTranspose(self.channels if top else widths[i - 1], (4, 4), (2, 2),
                               "SAME", use_bias=top or bias, kernel_init=layers.DCGAN_INIT)(x)
      if top:
        return jnp.tanh(x)
      x = nn.relu(norm()(x, train))
    raise AssertionError("unreachable: the loop returns at level 0")


def d_batch_norm(model) -> bool:
  """Whether D normalises over the batch: its normalisation is model.d_norm."""
  return model.d_norm == "batch"


def build(config, data_shape, axis_name=None):
  """(G, D) for images of `data_shape` (S, S, C), S in 16..256."""
  m = config.model
  _, channels = layers.image_shape(data_shape, SIZES, "DiscoGAN's networks")
  layers.check_norm(m.g_norm, "model.g_norm")
  layers.check_norm(m.d_norm, "model.d_norm")
  g = EncoderDecoder(channels, int(m.width), m.g_norm, axis_name)
  d = pix2pix.PatchGAN("full", int(m.d_width), m.d_norm, m.spectral_norm, axis_name)
  return g, d
