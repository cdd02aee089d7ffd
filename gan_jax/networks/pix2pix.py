"""pix2pix networks (Isola et al., 2017, "Image-to-image translation with conditional
adversarial networks", Sec. 3.2 and App. 6.1): a U-Net generator (or the same
encoder-decoder without skips) and a PatchGAN discriminator whose receptive field is a
config value.

Generator (`model.g`), for square images of S = 2^n pixels (16 ... 256), w = model.width:

  encoder level i = 0 .. n-1: Conv(4x4, stride 2) to min(w 2^i, 8w) channels; BatchNorm
    except at the first and the innermost level; LeakyReLU(0.2) before every conv but
    the first. Level n-1 is the 1x1 bottleneck.
  decoder, from the bottleneck up: ReLU -> ConvTranspose(4x4, stride 2) back to level
    i-1's channels (the image's channels and tanh at the top) -> BatchNorm -> Dropout(0.5)
    at the `model.dropout_layers` deepest levels below the bottleneck (3 in the paper: its
    only noise, "provided in the form of dropout") -> with ``unet``: concatenated with the
    encoder's output of the same resolution (the skip connections); ``encdec``: not.
  This is the layout of the authors' PyTorch code (UnetGenerator): the paper's 256-px
  C64-C128-C256-C512-C512-C512-C512-C512 is n = 8, w = 64.

Discriminator (`model.patch`), a fully convolutional map of logits [B, h, w] (each one
judges one patch; the loss averages them) built from 4x4 convolutions with padding 1, w =
model.d_width, every conv but the first and the last followed by BatchNorm, LeakyReLU(0.2)
after every conv but the last:

  | patch | layers (stride) | receptive field |
  | --- | --- | --- |
  | ``1`` (PixelGAN) | three 1x1 convs (w, 2w, 1) | 1 x 1 |
  | ``16`` | C(w, s2), C(2w, s1), C(1, s1) | 16 x 16 |
  | ``34`` | C(w, s2), C(2w, s2), C(4w, s1), C(1, s1) | 34 x 34 |
  | ``70`` | C(w, s2), C(2w, s2), C(4w, s2), C(8w, s1), C(1, s1) | 70 x 70 (the paper's) |
  | ``142`` / ``286`` | 4 / 5 stride-2 convs, then the two stride-1 ones | 142 / 286 |
  | ``full`` (ImageGAN) | stride-2 convs down to 4 x 4, then Dense(1) | the whole image |

The receptive field of stacked convs with kernels k_l and strides s_l is
r = 1 + sum_l (k_l - 1) prod_{m<l} s_m (`receptive_field`; the authors' 70 x 70 is
3 stride-2 4x4 convs + 2 stride-1 4x4 convs); tests/networks/test_pix2pix.py checks
it against the set of input pixels that change one output. On images smaller than the
receptive field, zero padding covers the rest. D sees the input a and the output
concatenated on channels for the cGAN loss, the output alone for the GAN loss (the
method decides, `methods/pix2pix.py`).
"""
from __future__ import annotations

import math

import flax.linen as nn
import jax.numpy as jnp

from gan_jax.networks import layers

G_KINDS = ("unet", "encdec")
PATCHES = ("1", "16", "34", "70", "142", "286", "full")
_STRIDED = {"16": 1, "34": 2, "70": 3, "142": 4, "286": 5}  # stride-2 convs before 2 s1 ones
PAD1 = ((1, 1), (1, 1))


def check_patch(patch: str) -> None:
  if str(patch) not in PATCHES:
    raise ValueError(f"model.patch={patch!r} is not a PatchGAN size; use one of "
                     f"{', '.join(PATCHES)} (1: PixelGAN, full: one logit per image).")


def conv_stack(patch: str) -> list[tuple[int, int]]:
  """The (kernel, stride) of each conv of a PatchGAN size ('full' ends in a Dense)."""
  check_patch(patch)
  if patch == "1":
    return [(1, 1)] * 3
  return [(4, 2)] * _STRIDED[patch] + [(4, 1), (4, 1)]


def receptive_field(patch: str, size: int | None = None) -> int:
  """Pixels per side one output of D sees: 1 + sum_l (k_l - 1) prod_{m<l} s_m; for
  'full' the image size `size`."""
  if patch == "full":
    if size is None:
      raise ValueError("The receptive field of model.patch='full' is the image: pass size.")
    return size
  r, jump = 1, 1
  for k, s in conv_stack(patch):
    r += (k - 1) * jump
    jump *= s
  return r


def output_size(patch: str, size: int) -> int:
  """Side of D's logit map for S x S images (1 for 'full')."""
  if patch == "full":
    return 1
  for k, s in conv_stack(patch):
    size = (size + (2 if k == 4 else 0) - k) // s + 1
  return size


class UNet(nn.Module):
  """a [B, S, S, Ca] in [-1, 1] -> b-like [B, S, S, channels] in [-1, 1]."""
  channels: int
  width: int = 64
  skips: bool = True
  dropout: float = 0.5
  dropout_layers: int = 3
  norm: str = "batch"
  axis_name: str | None = None

  @nn.compact
  def __call__(self, a, train: bool = True):
    n = int(math.log2(a.shape[1]))
    widths = [min(self.width * 2 ** i, 8 * self.width) for i in range(n)]
    norm = lambda: layers.norm(self.norm, self.axis_name, key="model.g_norm")
    bias = self.norm != "batch"
    x, encoded = a, []
    for i in range(n):
      if i:
        x = nn.leaky_relu(x, 0.2)
      normed = 0 < i < n - 1
      x = layers.Conv(widths[i], (4, 4), (2, 2), PAD1, use_bias=not normed or bias,
                      kernel_init=layers.DCGAN_INIT)(x)
      if normed:
        x = norm()(x, train)
      encoded.append(x)
    for i in reversed(range(n)):  # the decoder layer that brings level i to level i-1
      x = nn.relu(x)
      top = i == 0
      x = layers.ConvTranspose(self.channels if top else widths[i - 1], (4, 4), (2, 2),
                               use_bias=top or bias, kernel_init=layers.DCGAN_INIT)(x)
      if top:
        return jnp.tanh(x)
      x = norm()(x, train)
      if n - 1 - self.dropout_layers <= i <= n - 2 and self.dropout > 0:
        x = nn.Dropout(self.dropout, deterministic=not train)(x)
      if self.skips:
        x = jnp.concatenate([encoded[i - 1], x], axis=-1)
    raise AssertionError("unreachable: the loop returns at level 0")


class PatchGAN(nn.Module):
  """Images [B, S, S, C] (C: the input's and the output's channels for a cGAN) ->
  logits [B, h, w] (one per patch; [B] for 'full')."""
  patch: str = "70"
  width: int = 64
  norm: str = "batch"
  spectral_norm: bool = False
  axis_name: str | None = None

  @nn.compact
  def __call__(self, x, train: bool = True):
    bias = self.norm != "batch"

    def block(x, features, k, s, i, last):
      pad = PAD1 if k == 4 else "VALID"
      conv = layers.Conv(features, (k, k), (s, s), pad, use_bias=i == 0 or last or bias,
                         kernel_init=layers.DCGAN_INIT)
      x = layers.maybe_sn(conv, self.spectral_norm)(x, train)
      if last:
        return x
      if i:
        x = layers.norm(self.norm, self.axis_name, key="model.d_norm")(x, train)
      return nn.leaky_relu(x, 0.2)

    if self.patch == "full":
      for i in range(int(math.log2(x.shape[1] // 4))):
        x = block(x, min(self.width * 2 ** i, 8 * self.width), 4, 2, i, False)
      dense = nn.Dense(1, kernel_init=layers.DCGAN_INIT)
      return layers.maybe_sn(dense, self.spectral_norm)(x.reshape(x.shape[0], -1), train)[:, 0]
    stack = conv_stack(self.patch)
    for i, (k, s) in enumerate(stack):
      last = i == len(stack) - 1
      x = block(x, 1 if last else min(self.width * 2 ** i, 8 * self.width), k, s, i, last)
    return x[..., 0]


def check_shape(data_shape, patch: str):
  size, channels = layers.image_shape(data_shape, (16, 32, 64, 128, 256), "pix2pix")
  check_patch(patch)
  if output_size(patch, size) < 1:
    raise ValueError(f"model.patch={patch} is too deep for {size}x{size} images (no output "
                     f"left); use a smaller patch or 'full'.")
  return size, channels


def build(config, data_shape, axis_name=None):
  """(G, D) for targets of `data_shape` (S, S, C), S a power of two in 16..256."""
  m = config.model
  _, channels = check_shape(data_shape, str(m.patch))
  if m.g not in G_KINDS:
    raise ValueError(f"model.g={m.g!r}: use one of {', '.join(G_KINDS)} (U-Net with skips, "
                     "or the encoder-decoder without them).")
  layers.check_norm(m.g_norm, "model.g_norm")
  layers.check_norm(m.d_norm, "model.d_norm")
  g = UNet(channels, m.width, m.g == "unet", m.dropout, m.dropout_layers, m.g_norm, axis_name)
  d = PatchGAN(str(m.patch), m.d_width, m.d_norm, m.spectral_norm, axis_name)
  return g, d


def d_batch_norm(model) -> bool:
  """Whether D normalises over the batch: its normalisation is model.d_norm."""
  return model.d_norm == "batch"
