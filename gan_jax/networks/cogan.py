"""Coupled GAN networks (Liu & Tuzel, 2016, "Coupled generative adversarial networks",
Sec. 3 and Fig. 2): two generators that share their first layers and two discriminators
that share their last layers, as one Flax module each (a shared layer is one submodule
used by both sides).

Generator, z [B, z_dim] -> (x_a, x_b), each [B, S, S, C], w = model.width, S = 2^n:
  shared: Dense to 4 x 4 x min(2^(n-3) w, 8w), BatchNorm, ReLU; then 4x4 stride-2
    transposed convs, BatchNorm, ReLU, halving the channels, up to S/2 x S/2 (the
    high-level structure both domains share);
  per domain: one 4x4 stride-2 transposed conv to S x S x C, tanh (the low-level
    details, "the last layers decode them into pixels").
Discriminator, (x_a, x_b) -> (logits_a [B], logits_b [B]):
  per domain: a 4x4 stride-2 conv to w channels, LeakyReLU(0.2);
  shared: 4x4 stride-2 convs doubling the channels down to 4 x 4 (`model.d_norm`,
  LeakyReLU 0.2), Dense(1): the high-level features both domains are judged by.
Weights ~ N(0, 0.02) (DCGAN's initialisation, which the paper's code follows).
"""
from __future__ import annotations

import math

import flax.linen as nn
import jax.numpy as jnp

from gan_jax.networks import layers

SIZES = (16, 32, 64, 128)
PAD1 = ((1, 1), (1, 1))


def _norm_layer(kind: str, axis_name, key: str):
  """A normalisation module for `setup` (a shared layer must be one submodule):
  'batch' | 'layer' | 'instance', or None for 'none'."""
  layers.check_norm(kind, key)
  if kind == "batch":
    return nn.BatchNorm(momentum=layers.BATCHNORM_MOMENTUM, epsilon=1e-5, axis_name=axis_name)
  if kind == "layer":
    return nn.LayerNorm(epsilon=1e-5, reduction_axes=(1, 2, 3))
  if kind == "instance":
    return nn.InstanceNorm(epsilon=1e-5, use_scale=False, use_bias=False)
  return None


def _apply_norm(norm, x, train):
  if norm is None:
    return x
  if isinstance(norm, nn.BatchNorm):
    return norm(x, use_running_average=not train)
  return norm(x)


class CoupledGenerator(nn.Module):
  size: int
  channels: int
  width: int = 64
  norm: str = "batch"
  axis_name: str | None = None

  def setup(self):
    n = int(math.log2(self.size))
    widths = [min(self.width * 2 ** (n - 3 - i), 8 * self.width) for i in range(n - 2)]
    bias = self.norm != "batch"
    self.first = widths[0]
    self.dense = nn.Dense(4 * 4 * widths[0], kernel_init=layers.DCGAN_INIT)
    self.ups = [layers.ConvTranspose(w, (4, 4), (2, 2), use_bias=bias,
                                     kernel_init=layers.DCGAN_INIT) for w in widths[1:]]
    self.norms = [_norm_layer(self.norm, self.axis_name, "model.g_norm") for _ in widths]
    self.heads = [layers.ConvTranspose(self.channels, (4, 4), (2, 2),
                                       kernel_init=layers.DCGAN_INIT) for _ in "ab"]

  def __call__(self, z, train: bool = True):
    x = self.dense(z).reshape(z.shape[0], 4, 4, self.first)
    x = nn.relu(_apply_norm(self.norms[0], x, train))
    for up, norm in zip(self.ups, self.norms[1:]):
      x = nn.relu(_apply_norm(norm, up(x), train))
    return tuple(jnp.tanh(head(x)) for head in self.heads)


class CoupledDiscriminator(nn.Module):
  size: int
  width: int = 64
  norm: str = "batch"
  axis_name: str | None = None

  def setup(self):
    self.firsts = [layers.Conv(self.width, (4, 4), (2, 2), PAD1, kernel_init=layers.DCGAN_INIT)
                   for _ in "ab"]
    levels = int(math.log2(self.size)) - 3  # from S/2 down to 4 x 4
    bias = self.norm != "batch"
    self.convs = [layers.Conv(min(self.width * 2 ** (i + 1), 8 * self.width), (4, 4), (2, 2),
                              PAD1, use_bias=bias, kernel_init=layers.DCGAN_INIT)
                  for i in range(levels)]
    self.norms = [_norm_layer(self.norm, self.axis_name, "model.d_norm") for _ in range(levels)]
    self.dense = nn.Dense(1, kernel_init=layers.DCGAN_INIT)

  def __call__(self, x_a, x_b, train: bool = True):
    out = []
    for first, x in zip(self.firsts, (x_a, x_b)):
      x = nn.leaky_relu(first(x), 0.2)
      for conv, norm in zip(self.convs, self.norms):
        x = nn.leaky_relu(_apply_norm(norm, conv(x), train), 0.2)
      out.append(self.dense(x.reshape(x.shape[0], -1))[:, 0])
    return tuple(out)


def d_batch_norm(model) -> bool:
  """Whether D normalises over the batch: its normalisation is model.d_norm."""
  return model.d_norm == "batch"


def build(config, data_shape, axis_name=None):
  """(G, D) for images of `data_shape` (S, S, C), S in 16..128."""
  m = config.model
  size, channels = layers.image_shape(data_shape, SIZES, "CoGAN's networks")
  layers.check_norm(m.g_norm, "model.g_norm")
  layers.check_norm(m.d_norm, "model.d_norm")
  return (CoupledGenerator(size, channels, int(m.width), m.g_norm, axis_name),
          CoupledDiscriminator(size, int(m.d_width), m.d_norm, axis_name))
