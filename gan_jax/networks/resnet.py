"""SNGAN ResNet generator and discriminator for 32x32 images (Miyato et al., 2018,
App. B.4, Table 4: the CIFAR-10 ResNet; blocks as in Gulrajani et al., 2017).

With w = model.width (64 reproduces the paper: G 256 channels = 4w, D 128 = 2w):

  G: z -> Dense(4*4*4w) -> [B, 4, 4, 4w] -> 3 x GBlock(up) (4 -> 32 pixels)
       -> BN -> ReLU -> Conv3x3(C) -> tanh                              [B, 32, 32, C]
     GBlock: BN-ReLU-Upsample-Conv3x3-BN-ReLU-Conv3x3 + Upsample-Conv1x1 shortcut
  D: x -> OptimizedBlock(2w, down) -> DBlock(down) -> DBlock -> DBlock
       -> ReLU -> global sum pooling -> Dense(1)                         logits [B]
     OptimizedBlock: Conv3x3-ReLU-Conv3x3-AvgPool + AvgPool-Conv1x1 shortcut
     DBlock: ReLU-Conv3x3-ReLU-Conv3x3(-AvgPool) + Conv1x1(-AvgPool) shortcut when it
     downsamples, identity otherwise.

Spectral normalisation on every D layer when model.spectral_norm (the paper uses it
with the hinge loss). G's normalisation is model.g_norm; D has none (as in the paper;
model.d_norm is not read). Nearest upsampling followed by a convolution is one
`layers.UpsampleConv` (the same maths, 2.25x fewer FLOPs for 3x3 kernels).
Initialisation as in the SNGAN code: Glorot-uniform, scaled by sqrt(2) in the
residual branches.

Class-conditional variants (`num_classes`, `condition`; networks/conditional.py), as in
Miyato & Koyama (2018): G with conditional BatchNorm in every block (or one-hot(y)
concatenated to z), D with the projection term (or a class head, or label planes on
its input) on the sum-pooled features.
"""
from __future__ import annotations

import flax.linen as nn
import jax.numpy as jnp

from gan_jax.networks import conditional, layers

SIZE = 32
RESIDUAL_INIT = nn.initializers.variance_scaling(2.0, "fan_avg", "uniform")
SHORTCUT_INIT = nn.initializers.glorot_uniform()


def check_shape(data_shape) -> int:
  """The channel count of a (32, 32, 1 | 3) shape, else a ValueError."""
  return layers.image_shape(data_shape, (SIZE,), "resnet",
                            ", or model.name='dcgan' for 28 or 64 pixels")[1]


def avg_pool(x):
  """2x2 average pooling, [B, H, W, C] -> [B, H/2, W/2, C]."""
  b, h, w, c = x.shape
  return x.reshape(b, h // 2, 2, w // 2, 2, c).mean(axis=(2, 4))


def conv(features, kernel, init=RESIDUAL_INIT):
  return nn.Conv(features, (kernel, kernel), padding="SAME", kernel_init=init)


class GBlock(nn.Module):
  features: int
  norm: str = "batch"
  axis_name: str | None = None
  num_classes: int = 0
  condition: str = "none"

  @nn.compact
  def __call__(self, x, train: bool, y=None):
    norm = conditional.generator_norm(self.norm, self.axis_name, y, self.num_classes,
                                      self.condition)
    h = nn.relu(norm()(x, train))
    h = layers.UpsampleConv(self.features, (3, 3), kernel_init=RESIDUAL_INIT)(h)
    h = conv(self.features, 3)(nn.relu(norm()(h, train)))
    shortcut = layers.UpsampleConv(self.features, (1, 1), kernel_init=SHORTCUT_INIT)(x)
    return h + shortcut


class DBlock(nn.Module):
  features: int
  down: bool = True
  optimized: bool = False  # the first block: no ReLU before the first conv, pool first
  spectral_norm: bool = False

  @nn.compact
  def __call__(self, x, train: bool):
    sn = lambda layer, v: layers.maybe_sn(layer, self.spectral_norm)(v, train)
    h = x if self.optimized else nn.relu(x)
    h = sn(conv(self.features, 3), nn.relu(sn(conv(self.features, 3), h)))
    if self.down:
      h = avg_pool(h)
    if self.optimized:
      return h + sn(conv(self.features, 1, SHORTCUT_INIT), avg_pool(x))
    if self.down or x.shape[-1] != self.features:
      shortcut = sn(conv(self.features, 1, SHORTCUT_INIT), x)
      return h + (avg_pool(shortcut) if self.down else shortcut)
    return h + x


class Generator(nn.Module):
  """z [B, z_dim] (and labels y [B] when conditional) -> images [B, 32, 32, channels]
  in [-1, 1]."""
  channels: int
  width: int = 64
  norm: str = "batch"
  axis_name: str | None = None
  num_classes: int = 0
  condition: str = "none"  # none | concat | batchnorm

  @nn.compact
  def __call__(self, z, train: bool = True, y=None):
    features = 4 * self.width
    z = conditional.generator_input(z, y, self.num_classes, self.condition)
    x = nn.Dense(4 * 4 * features, kernel_init=SHORTCUT_INIT)(z)
    x = x.reshape(z.shape[0], 4, 4, features)
    for _ in range(3):
      x = GBlock(features, self.norm, self.axis_name, self.num_classes,
                 self.condition)(x, train, y)
    norm = conditional.generator_norm(self.norm, self.axis_name, y, self.num_classes,
                                      self.condition)
    x = nn.relu(norm()(x, train))
    return jnp.tanh(conv(self.channels, 3, SHORTCUT_INIT)(x))


class Discriminator(nn.Module):
  """images [B, 32, 32, C] (and labels y [B] when conditional) -> logits [B] (raw; the
  loss applies any sigmoid), or (logits, class logits [B, K]) for 'classes'."""
  width: int = 64
  spectral_norm: bool = False
  num_classes: int = 0
  condition: str = "none"  # none | input | projection | classes

  @nn.compact
  def __call__(self, x, train: bool = True, y=None):
    features, sn = 2 * self.width, self.spectral_norm
    x = conditional.discriminator_input(x, y, self.num_classes, self.condition)
    x = DBlock(features, down=True, optimized=True, spectral_norm=sn)(x, train)
    x = DBlock(features, down=True, spectral_norm=sn)(x, train)
    x = DBlock(features, down=False, spectral_norm=sn)(x, train)
    x = DBlock(features, down=False, spectral_norm=sn)(x, train)
    x = jnp.sum(nn.relu(x), axis=(1, 2))
    dense = nn.Dense(1, kernel_init=SHORTCUT_INIT)
    out = layers.maybe_sn(dense, sn)(x, train)[:, 0]
    return conditional.discriminator_output(out, x, y, self.num_classes, self.condition,
                                            sn, train)


def d_batch_norm(model) -> bool:
  """Whether D normalises over the batch: never (D has no normalisation layers)."""
  del model
  return False


def build(config, data_shape, axis_name=None):
  """(G, D) for 32x32 images; `axis_name` is the pmap axis of G's BatchNorm statistics."""
  channels = check_shape(data_shape)
  m = config.model
  layers.check_norm(m.g_norm, "model.g_norm")
  return (Generator(channels, m.width, m.g_norm, axis_name),
          Discriminator(m.width, m.spectral_norm))
