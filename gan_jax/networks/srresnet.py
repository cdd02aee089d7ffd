"""SRResNet generator and SRGAN discriminator (Ledig et al., 2017, "Photo-realistic single
image super-resolution using a generative adversarial network", Fig. 4).

G, for an upscaling factor r = 2^u (model.scale, 4 in the paper), w = model.width (64),
B = model.depth residual blocks (16):

  LR [B, h, h, C] -> Conv(9x9, w) -> PReLU                                   (= s)
    -> B x [Conv(3x3, w) -> BN -> PReLU -> Conv(3x3, w) -> BN, + the block's input]
    -> Conv(3x3, w) -> BN, + s                                  (the long skip)
    -> u x [Conv(3x3, 4w) -> PixelShuffle(2) -> PReLU]          (sub-pixel upsampling,
                                                                 Shi et al., 2016)
    -> Conv(9x9, C) -> tanh                                      SR [B, rh, rh, C]

D: Conv(3x3, w) -> LeakyReLU(0.2), then 7 x [Conv(3x3) -> BN -> LeakyReLU(0.2)] with
channels w, 2w, 2w, 4w, 4w, 8w, 8w and strides 2, 1, 2, 1, 2, 1, 2 -> Dense(16 w) ->
LeakyReLU(0.2) -> Dense(1): one logit per image (the paper's 1024 units are 16 w with
w = 64; its final sigmoid is in the loss).
"""
from __future__ import annotations

import math

import flax.linen as nn
import jax.numpy as jnp

from gan_jax.networks import layers


def pixel_shuffle(x, r: int):
  """[B, H, W, C r^2] -> [B, H r, W r, C] (PyTorch's PixelShuffle channel order: input
  channel c r^2 + i r + j goes to output channel c at offset (i, j))."""
  b, h, w, c = x.shape
  x = x.reshape(b, h, w, c // (r * r), r, r)
  return x.transpose(0, 1, 4, 2, 5, 3).reshape(b, h * r, w * r, c // (r * r))


class SRResNet(nn.Module):
  """LR images [B, h, h, C] in [-1, 1] -> SR images [B, scale h, scale h, channels]."""
  channels: int
  scale: int = 4
  width: int = 64
  depth: int = 16
  norm: str = "batch"
  axis_name: str | None = None

  @nn.compact
  def __call__(self, lr, train: bool = True):
    norm = lambda: layers.norm(self.norm, self.axis_name, key="model.g_norm")
    conv = lambda features, k: nn.Conv(features, (k, k), padding="SAME")
    s = nn.PReLU(negative_slope_init=0.25)(conv(self.width, 9)(lr))
    x = s
    for _ in range(self.depth):
      y = nn.PReLU(negative_slope_init=0.25)(norm()(conv(self.width, 3)(x), train))
      x = x + norm()(conv(self.width, 3)(y), train)
    x = s + norm()(conv(self.width, 3)(x), train)
    for _ in range(int(math.log2(self.scale))):
      x = nn.PReLU(negative_slope_init=0.25)(pixel_shuffle(conv(4 * self.width, 3)(x), 2))
    return jnp.tanh(conv(self.channels, 9)(x))


class SRDiscriminator(nn.Module):
  """HR or SR images [B, H, H, C] -> logits [B]."""
  width: int = 64
  norm: str = "batch"
  spectral_norm: bool = False
  axis_name: str | None = None

  @nn.compact
  def __call__(self, x, train: bool = True):
    plan = [(1, 1), (1, 2), (2, 1), (2, 2), (4, 1), (4, 2), (8, 1), (8, 2)]  # (w mult, stride)
    for i, (mult, stride) in enumerate(plan):
      conv = layers.Conv(self.width * mult, (3, 3), (stride, stride), "SAME",
                         use_bias=i == 0 or self.norm != "batch")
      x = layers.maybe_sn(conv, self.spectral_norm)(x, train)
      if i:
        x = layers.norm(self.norm, self.axis_name, key="model.d_norm")(x, train)
      x = nn.leaky_relu(x, 0.2)
    x = nn.leaky_relu(layers.maybe_sn(nn.Dense(16 * self.width), self.spectral_norm)(
        x.reshape(x.shape[0], -1), train), 0.2)
    return layers.maybe_sn(nn.Dense(1), self.spectral_norm)(x, train)[:, 0]


def build(config, data_shape, axis_name=None):
  """(G, D) for HR images of `data_shape` (H, H, C) and model.scale (a power of 2)."""
  m = config.model
  size, channels = int(data_shape[0]), int(data_shape[-1])
  scale = int(m.scale)
  if scale < 2 or scale & (scale - 1) or size % scale:
    raise ValueError(f"model.scale={scale} must be a power of 2 that divides the image size "
                     f"{size} (e.g. 4: 7 -> 28 Fashion-MNIST, 16 -> 64 glyphs).")
  layers.check_norm(m.g_norm, "model.g_norm")
  layers.check_norm(m.d_norm, "model.d_norm")
  return (SRResNet(channels, scale, m.width, m.depth, m.g_norm, axis_name),
          SRDiscriminator(m.d_width, m.d_norm, m.spectral_norm, axis_name))


def d_batch_norm(model) -> bool:
  """Whether D normalises over the batch: its normalisation is model.d_norm."""
  return model.d_norm == "batch"
