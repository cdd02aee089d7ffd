"""The CelebA 64x64 GAN of a lecture-notes Keras example (model.name='celeba_keras').

Two knobs, as in that example: the filter size k = model.kernel_size (5 there) and the
capacity factor c = model.width (16 there). Only 64x64 images, 1 or 3 channels.

  G: z -> Dense(4*4*8c) -> BN -> ReLU -> [B, 4, 4, 8c]
       -> 4 x [UpSampling2D(2) -> Conv(k) -> BN -> ReLU], channels 4c, 2c, c, c/2
          (upsampling + convolution computed as one `layers.UpsampleConv`)
       -> Conv(k, C) -> tanh                                          [B, 64, 64, C]
  D: x -> 4 x [Conv(k) -> BN -> Conv(k, stride 2) -> BN -> LeakyReLU(0.3)],
       channels c, 2c, 4c, 8c (64 -> 4 pixels)
       -> global average pooling -> Dense(1)                           logits [B]

The Keras example ends D with a sigmoid; here D returns the logit and the loss
(`loss.name`, e.g. 'nonsaturating') applies the sigmoid, which is the same model with
a numerically stable loss. BN is model.g_norm / model.d_norm ('batch' in the example).
Kernels use Keras' default Glorot-uniform initialisation, biases zeros.
"""
from __future__ import annotations

import flax.linen as nn
import jax.numpy as jnp

from gan_jax.networks import layers

SIZE = 64
KERAS_INIT = nn.initializers.glorot_uniform()  # Keras' default for Dense and Conv2D


def check_shape(data_shape) -> int:
  """The channel count of a (64, 64, 1 | 3) shape, else a ValueError."""
  return layers.image_shape(data_shape, (SIZE,), "celeba_keras",
                            ", or model.name='dcgan' for 28 or 32 pixels")[1]


class Generator(nn.Module):
  """z [B, z_dim] -> images [B, 64, 64, channels] in [-1, 1]."""
  channels: int
  capacity: int = 16
  kernel_size: int = 5
  norm: str = "batch"
  axis_name: str | None = None

  @nn.compact
  def __call__(self, z, train: bool = True):
    c, k = self.capacity, (self.kernel_size, self.kernel_size)
    norm = lambda: layers.norm(self.norm, self.axis_name, key="model.g_norm")
    bias = self.norm != "batch"
    x = nn.Dense(4 * 4 * 8 * c, use_bias=bias, kernel_init=KERAS_INIT)(z)
    x = nn.relu(norm()(x.reshape(z.shape[0], 4, 4, 8 * c), train))
    for i in range(1, 5):
      x = layers.UpsampleConv(max(8 * c // 2 ** i, 1), k, use_bias=bias,
                              kernel_init=KERAS_INIT)(x)
      x = nn.relu(norm()(x, train))
    return jnp.tanh(nn.Conv(self.channels, k, padding="SAME", kernel_init=KERAS_INIT)(x))


class Discriminator(nn.Module):
  """images [B, 64, 64, C] -> logits [B] (no sigmoid: the loss applies it)."""
  capacity: int = 16
  kernel_size: int = 5
  norm: str = "batch"
  spectral_norm: bool = False
  axis_name: str | None = None

  @nn.compact
  def __call__(self, x, train: bool = True):
    k = (self.kernel_size, self.kernel_size)
    norm = lambda: layers.norm(self.norm, self.axis_name, key="model.d_norm")
    bias = self.norm != "batch"
    for i in range(4):
      features = self.capacity * 2 ** i
      for strides in ((1, 1), (2, 2)):
        conv = layers.Conv(features, k, strides, padding="SAME", use_bias=bias,
                           kernel_init=KERAS_INIT)
        x = norm()(layers.maybe_sn(conv, self.spectral_norm)(x, train), train)
      x = nn.leaky_relu(x, 0.3)
    x = jnp.mean(x, axis=(1, 2))
    return layers.maybe_sn(nn.Dense(1, kernel_init=KERAS_INIT), self.spectral_norm)(x, train)[:, 0]


def d_batch_norm(model) -> bool:
  """Whether D normalises over the batch: its normalisation is model.d_norm."""
  return model.d_norm == "batch"


def build(config, data_shape, axis_name=None):
  """(G, D) for 64x64 images; `axis_name` is the pmap axis of BatchNorm's statistics."""
  channels = check_shape(data_shape)
  m = config.model
  layers.check_norm(m.g_norm, "model.g_norm")
  layers.check_norm(m.d_norm, "model.d_norm")
  return (Generator(channels, m.width, m.kernel_size, m.g_norm, axis_name),
          Discriminator(m.width, m.kernel_size, m.d_norm, m.spectral_norm, axis_name))
