"""DCGAN generator and discriminator (Radford et al., 2016) for 28, 32 and 64 pixel
images, grayscale or RGB.

With w = model.width, s0 = 7 for 28 px and 4 for 32 and 64 px, and n_up =
log2(size / s0) (2, 3 or 4):

  G: z -> Dense(s0 * s0 * w * 2^(n_up-1)) -> norm -> ReLU
       -> (n_up - 1) x [ConvTranspose(4, stride 2, channels halved) -> norm -> ReLU]
       -> ConvTranspose(4, stride 2, C) -> tanh                       [B, H, W, C]
  D: x -> n_up x [Conv(4, stride 2, channels w, 2w, 4w, ...) -> norm (not the
       first) -> LeakyReLU(0.2)] -> flatten -> Dense(1)                logits [B]

Weights ~ N(0, 0.02), BatchNorm scale ~ N(1, 0.02), biases 0 (Sec. 4 of the paper and
its code). A layer followed by BatchNorm has no bias (BatchNorm's offset replaces it).
The transposed convolutions are `layers.ConvTranspose` and D's strided convolutions
`layers.Conv`: nn.ConvTranspose's and nn.Conv's maths and parameters, computed in
forms that are fast on XLA CPU (bench/vs_torch.py; layers.py says why).

D may append a minibatch layer (`model.minibatch`, networks/minibatch.py) to its
flattened last features, before Dense(1): the minibatch stddev is then one more
feature rather than Karras et al.'s constant map, the same thing to a linear last layer.

Class-conditional variants (`num_classes`, `condition`; networks/conditional.py): G
with one-hot(y) concatenated to z or conditional BatchNorm; D with one-hot planes on
its input, a projection term, or a class head on the flattened features.
"""
from __future__ import annotations

import math

import flax.linen as nn
import jax.numpy as jnp

from gan_jax.networks import conditional, layers, minibatch as minibatch_lib

START = {28: 7, 32: 4, 64: 4}  # image size -> G's first spatial size
# G's x2 upsampling (model.g_upsample): the paper's 4x4 stride-2 transposed convolution,
# or nearest-neighbour x2 then a 3x3 convolution (no checkerboard pattern; Odena et al.,
# 2016, "Deconvolution and Checkerboard Artifacts"). On captioned shapes' flat
# backgrounds the transposed form collapsed to one picture for every z (docs/figures.md,
# gan_cls_table); nearest did not.
UPSAMPLES = ("transpose", "nearest")
MINIBATCH_LAYERS = True  # D takes model.minibatch


def check_shape(data_shape) -> tuple[int, int]:
  """(size, channels) of a supported image shape (H, H, 1 | 3), else a ValueError."""
  return layers.image_shape(data_shape, tuple(START), "dcgan")


def num_up(size: int) -> int:
  return int(math.log2(size // START[size]))


class Generator(nn.Module):
  """z [B, z_dim] (and labels y [B] when conditional) -> images [B, size, size,
  channels] in [-1, 1]."""
  size: int
  channels: int
  width: int = 64
  norm: str = "batch"
  axis_name: str | None = None
  num_classes: int = 0
  condition: str = "none"  # none | concat | batchnorm
  upsample: str = "transpose"  # UPSAMPLES

  @nn.compact
  def __call__(self, z, train: bool = True, y=None):
    n_up, s0 = num_up(self.size), START[self.size]
    features = self.width * 2 ** (n_up - 1)
    if self.upsample == "nearest":
      up = lambda c, **kw: layers.UpsampleConv(c, (3, 3), kernel_init=layers.DCGAN_INIT, **kw)
    else:
      up = lambda c, **kw: layers.ConvTranspose(c, (4, 4), (2, 2),
                                                kernel_init=layers.DCGAN_INIT, **kw)
    norm = conditional.generator_norm(self.norm, self.axis_name, y, self.num_classes,
                                      self.condition, scale_init=layers.dcgan_scale_init)
    bias = self.norm != "batch"
    z = conditional.generator_input(z, y, self.num_classes, self.condition)
    x = nn.Dense(s0 * s0 * features, use_bias=bias, kernel_init=layers.DCGAN_INIT)(z)
    x = nn.relu(norm()(x.reshape(z.shape[0], s0, s0, features), train))
    for _ in range(n_up - 1):
      features //= 2
      x = up(features, use_bias=bias)(x)
      x = nn.relu(norm()(x, train))
    x = up(self.channels)(x)
    return jnp.tanh(x)


class Discriminator(nn.Module):
  """images [B, size, size, C] (and labels y [B] when conditional) -> logits [B] (raw;
  the loss applies any sigmoid), or (logits, class logits [B, K]) for 'classes'."""
  size: int
  width: int = 64
  norm: str = "batch"
  spectral_norm: bool = False
  axis_name: str | None = None
  num_classes: int = 0
  condition: str = "none"  # none | input | projection | classes
  minibatch: str = ""      # "" | disc | stddev, on the flattened last features

  @nn.compact
  def __call__(self, x, train: bool = True, y=None):
    bias = self.norm != "batch"
    x = conditional.discriminator_input(x, y, self.num_classes, self.condition)
    for i in range(num_up(self.size)):
      conv = layers.Conv(self.width * 2 ** i, (4, 4), (2, 2), padding="SAME",
                         use_bias=bias or i == 0, kernel_init=layers.DCGAN_INIT)
      x = layers.maybe_sn(conv, self.spectral_norm)(x, train)
      if i > 0:
        x = layers.norm(self.norm, self.axis_name, key="model.d_norm",
                        scale_init=layers.dcgan_scale_init)(x, train)
      x = nn.leaky_relu(x, 0.2)
    x = x.reshape(x.shape[0], -1)
    x = minibatch_lib.append(self.minibatch, x, self.axis_name)
    dense = nn.Dense(1, kernel_init=layers.DCGAN_INIT)
    out = layers.maybe_sn(dense, self.spectral_norm)(x, train)[:, 0]
    return conditional.discriminator_output(out, x, y, self.num_classes, self.condition,
                                            self.spectral_norm, train)


def d_batch_norm(model) -> bool:
  """Whether D normalises over the batch: its normalisation is model.d_norm."""
  return model.d_norm == "batch"


def build(config, data_shape, axis_name=None):
  """(G, D) for images of `data_shape` = (H, H, C), H in 28 | 32 | 64, C in 1 | 3;
  `axis_name` is the pmap axis over which BatchNorm averages its statistics."""
  size, channels = check_shape(data_shape)
  m = config.model
  layers.check_norm(m.g_norm, "model.g_norm")
  layers.check_norm(m.d_norm, "model.d_norm")
  return (Generator(size, channels, m.width, m.g_norm, axis_name),
          Discriminator(size, m.width, m.d_norm, m.spectral_norm, axis_name,
                        minibatch=m.minibatch))
