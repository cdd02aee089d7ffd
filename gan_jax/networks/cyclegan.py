"""CycleGAN networks (Zhu et al., 2017, "Unpaired image-to-image translation using
cycle-consistent adversarial networks", Sec. 4 and App. 7.2): a ResNet generator after
Johnson et al. (2016) and the 70x70 PatchGAN discriminator of pix2pix.

Generator (`ResnetGenerator`), w = model.width (the paper's 64), for S x S images
(S divisible by 4), every conv followed by the norm (`model.g_norm`, instance norm in the
paper) and ReLU unless said otherwise:

  c7s1-w: reflection pad 3, Conv 7x7 stride 1 to w channels
  d2w, d4w: Conv 3x3 stride 2 (zero pad 1) to 2w, 4w channels
  R4w x `model.blocks`: residual blocks [reflection pad 1, Conv 3x3, norm, ReLU,
      reflection pad 1, Conv 3x3, norm] + the block's input (6 blocks for 128-px
      images, 9 for 256 px and up)
  u2w, uw: ConvTranspose 3x3 stride 2 (PyTorch padding 1, output padding 1: exactly
      doubles the size) to 2w, w channels
  c7s1-C: reflection pad 3, Conv 7x7 to the image's C channels, tanh (no norm)

Convolutions carry a bias, as in the authors' code with instance norm (which has no
offset of its own); weights ~ N(0, 0.02) (their `init_type='normal'`). This is the
layout of the authors' PyTorch `ResnetGenerator` (pytorch-CycleGAN-and-pix2pix).

Discriminator: `networks.pix2pix.PatchGAN` (`model.patch`, 70 in the paper: C64-C128-
C256-C512 with 4x4 convs, then a 1-channel conv; `model.d_norm` instance in the paper),
one least-squares output per patch.
"""
from __future__ import annotations

import flax.linen as nn
import jax.numpy as jnp

from gan_jax.networks import layers, pix2pix

SIZES = (16, 32, 64, 128, 256)
# PyTorch ConvTranspose2d(k=3, s=2, padding=1, output_padding=1) as the padding of
# lax.conv_transpose's dilated input: (k - 1 - p, k - 1 - p + output_padding).
UP_PADDING = ((1, 2), (1, 2))


def reflect(x, pad: int):
  """Reflection padding of H and W (PyTorch's ReflectionPad2d): edges mirrored without
  repeating the border pixel."""
  return jnp.pad(x, ((0, 0), (pad, pad), (pad, pad), (0, 0)), mode="reflect")


class ResnetBlock(nn.Module):
  """x + [pad, conv 3x3, norm, ReLU, pad, conv 3x3, norm](x); channels unchanged."""
  norm: str = "instance"
  axis_name: str | None = None

  @nn.compact
  def __call__(self, x, train: bool = True):
    features = x.shape[-1]
    norm = lambda: layers.norm(self.norm, self.axis_name, key="model.g_norm")
    bias = self.norm != "batch"
    y = layers.Conv(features, (3, 3), padding="VALID", use_bias=bias,
                    kernel_init=layers.DCGAN_INIT)(reflect(x, 1))
    y = nn.relu(norm()(y, train))
    y = layers.Conv(features, (3, 3), padding="VALID", use_bias=bias,
                    kernel_init=layers.DCGAN_INIT)(reflect(y, 1))
    return x + norm()(y, train)


class ResnetGenerator(nn.Module):
  """Images [B, S, S, C_in] in [-1, 1] -> images [B, S, S, channels] in [-1, 1]."""
  channels: int
  width: int = 64
  blocks: int = 9
  norm: str = "instance"
  axis_name: str | None = None

  @nn.compact
  def __call__(self, x, train: bool = True):
    norm = lambda: layers.norm(self.norm, self.axis_name, key="model.g_norm")
    bias = self.norm != "batch"
    conv = lambda f, k, s=1, pad="VALID": layers.Conv(
        f, (k, k), (s, s), pad, use_bias=bias, kernel_init=layers.DCGAN_INIT)
    x = nn.relu(norm()(conv(self.width, 7)(reflect(x, 3)), train))
    for mult in (2, 4):  # downsampling
      x = nn.relu(norm()(conv(self.width * mult, 3, 2, ((1, 1), (1, 1)))(x), train))
    for _ in range(self.blocks):
      x = ResnetBlock(self.norm, self.axis_name)(x, train)
    for mult in (2, 1):  # upsampling
      x = layers.ConvTranspose(self.width * mult, (3, 3), (2, 2), UP_PADDING, use_bias=bias,
                               kernel_init=layers.DCGAN_INIT)(x)
      x = nn.relu(norm()(x, train))
    x = layers.Conv(self.channels, (7, 7), padding="VALID",
                    kernel_init=layers.DCGAN_INIT)(reflect(x, 3))
    return jnp.tanh(x)


def d_batch_norm(model) -> bool:
  """Whether D normalises over the batch: its normalisation is model.d_norm."""
  return model.d_norm == "batch"


def build(config, data_shape, axis_name=None):
  """(G, D) for images of `data_shape` (S, S, C), S in 16..256: one direction's ResNet
  generator and one domain's PatchGAN (the method makes two of each from them)."""
  m = config.model
  _, channels = layers.image_shape(data_shape, SIZES, "CycleGAN's networks")
  pix2pix.check_shape(data_shape, str(m.patch))
  layers.check_norm(m.g_norm, "model.g_norm")
  layers.check_norm(m.d_norm, "model.d_norm")
  if int(m.blocks) < 0:
    raise ValueError(f"model.blocks={m.blocks}: the number of residual blocks must be >= 0 "
                     "(6 for 128-px images, 9 for 256 px in the paper).")
  g = ResnetGenerator(channels, int(m.width), int(m.blocks), m.g_norm, axis_name)
  d = pix2pix.PatchGAN(str(m.patch), int(m.d_width), m.d_norm, m.spectral_norm, axis_name)
  return g, d
