"""MLP generator and discriminator for 1-D and 2-D toy data (the WGAN-GP toy networks:
`depth` hidden layers of `width` ReLU units, Gulrajani et al., 2017, App. C). D may
append a minibatch layer to its last hidden features (`model.minibatch`)."""
from __future__ import annotations

import flax.linen as nn

from gan_jax.networks import minibatch as minibatch_lib
from gan_jax.networks.layers import maybe_sn

MINIBATCH_LAYERS = True  # D takes model.minibatch


class Generator(nn.Module):
  out_dim: int
  width: int = 512
  depth: int = 3

  @nn.compact
  def __call__(self, z, train: bool = True):
    x = z
    for _ in range(self.depth):
      x = nn.relu(nn.Dense(self.width)(x))
    return nn.Dense(self.out_dim)(x)


class Discriminator(nn.Module):
  width: int = 512
  depth: int = 3
  spectral_norm: bool = False
  minibatch: str = ""           # "" | disc | stddev, after the last hidden layer
  axis_name: str | None = None  # pmap axis of the minibatch layer's batch statistics

  @nn.compact
  def __call__(self, x, train: bool = True):
    for _ in range(self.depth):
      x = nn.relu(maybe_sn(nn.Dense(self.width), self.spectral_norm)(x, train))
    return minibatch_lib.mlp_logit(self.minibatch, x, self.axis_name, self.spectral_norm, train)


def d_batch_norm(model) -> bool:
  """Whether D normalises over the batch: never (no normalisation layers)."""
  del model
  return False


def build(config, data_shape, axis_name=None):
  """(G, D) for points of shape `data_shape` = (d,); `axis_name` (the pmap axis) gives
  D's minibatch layer the global batch's statistics."""
  m = config.model
  return (Generator(out_dim=data_shape[-1], width=m.width, depth=m.depth),
          Discriminator(width=m.width, depth=m.depth, spectral_norm=m.spectral_norm,
                        minibatch=m.minibatch, axis_name=axis_name))
