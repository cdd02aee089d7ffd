"""The 2-D mixture networks of PacGAN (Lin et al., 2018; the authors' code
`synthetic_data_experiments/2DGrid_GAN&PacGAN`, built on ALI's code).

- G: `model.depth` (4) hidden layers of `model.width` (400) units, each Dense (no bias)
  -> BatchNorm -> ReLU, then a linear Dense to the data dimension (with bias).
- D: 3 maxout layers of `model.width // 2` (200) units with 5 pieces each, then a
  linear Dense to one logit. With packing (`model.pack = m`) D's input is the m points'
  coordinates concatenated (m * 2 numbers), as in the paper (gan_jax/packing.py).
- Every weight ~ N(0, 0.02), biases 0 (the code's IsotropicGaussian(0.02), Constant(0)).
- BatchNorm keeps running statistics with momentum 0.95 (the code's population update
  p <- 0.95 p + 0.05 m), used at sampling (`train=False`).

D may append a minibatch layer to its last hidden features (`model.minibatch`).
"""
from __future__ import annotations

import flax.linen as nn

from gan_jax.networks import minibatch as minibatch_lib
from gan_jax.networks.layers import maybe_sn

MINIBATCH_LAYERS = True  # D takes model.minibatch
INIT = nn.initializers.normal(0.02)
PIECES = 5
D_DEPTH = 3


class Generator(nn.Module):
  out_dim: int
  width: int = 400
  depth: int = 4
  axis_name: str | None = None

  @nn.compact
  def __call__(self, z, train: bool = True):
    x = z
    for _ in range(self.depth):
      x = nn.Dense(self.width, use_bias=False, kernel_init=INIT)(x)
      x = nn.BatchNorm(momentum=0.95, epsilon=1e-5, axis_name=self.axis_name)(
          x, use_running_average=not train)
      x = nn.relu(x)
    return nn.Dense(self.out_dim, kernel_init=INIT)(x)


class Discriminator(nn.Module):
  width: int = 200
  spectral_norm: bool = False
  minibatch: str = ""           # "" | disc | stddev, after the last hidden layer
  axis_name: str | None = None  # pmap axis of the minibatch layer's batch statistics

  @nn.compact
  def __call__(self, x, train: bool = True):
    for _ in range(D_DEPTH):
      h = maybe_sn(nn.Dense(self.width * PIECES, kernel_init=INIT), self.spectral_norm)(x, train)
      x = h.reshape(h.shape[:-1] + (self.width, PIECES)).max(-1)
    return minibatch_lib.mlp_logit(self.minibatch, x, self.axis_name, self.spectral_norm, train, INIT)


def d_batch_norm(model) -> bool:
  """Whether D normalises over the batch: no (only G has BatchNorm)."""
  del model
  return False


def build(config, data_shape, axis_name=None):
  """(G, D) for points of shape `data_shape` = (d,); `axis_name` (the pmap axis) gives
  G's BatchNorm and D's minibatch layer the global batch's statistics."""
  m = config.model
  return (Generator(out_dim=data_shape[-1], width=m.width, depth=m.depth, axis_name=axis_name),
          Discriminator(width=max(1, m.width // 2), spectral_norm=m.spectral_norm,
                        minibatch=m.minibatch, axis_name=axis_name))
