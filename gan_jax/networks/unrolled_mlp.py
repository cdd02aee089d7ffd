"""The 2-D mixture networks of the unrolled GAN paper (Metz et al., 2017, App. A.1).

- G: `model.depth` (2) hidden layers of `model.width` (128) ReLU units, then a linear
  Dense to the data dimension; z ~ N(0, I_256) in the paper (`model.z_dim`).
- D: the input scaled by 1/4 ("to roughly scale to (-1, 1)"), 1 hidden layer of
  `model.width` ReLU units, then a linear Dense to one logit.
- Every weight matrix orthogonal with scale 0.8, biases 0.

D may append a minibatch layer to its hidden features (`model.minibatch`).
"""
from __future__ import annotations

import flax.linen as nn

from gan_jax.networks import minibatch as minibatch_lib
from gan_jax.networks.layers import maybe_sn

MINIBATCH_LAYERS = True  # D takes model.minibatch
INIT = nn.initializers.orthogonal(scale=0.8)
D_DEPTH, D_INPUT_SCALE = 1, 0.25


class Generator(nn.Module):
  out_dim: int
  width: int = 128
  depth: int = 2

  @nn.compact
  def __call__(self, z, train: bool = True):
    x = z
    for _ in range(self.depth):
      x = nn.relu(nn.Dense(self.width, kernel_init=INIT)(x))
    return nn.Dense(self.out_dim, kernel_init=INIT)(x)


class Discriminator(nn.Module):
  width: int = 128
  spectral_norm: bool = False
  minibatch: str = ""           # "" | disc | stddev, after the hidden layer
  axis_name: str | None = None  # pmap axis of the minibatch layer's batch statistics

  @nn.compact
  def __call__(self, x, train: bool = True):
    x = D_INPUT_SCALE * x
    for _ in range(D_DEPTH):
      x = nn.relu(maybe_sn(nn.Dense(self.width, kernel_init=INIT), self.spectral_norm)(x, train))
    return minibatch_lib.mlp_logit(self.minibatch, x, self.axis_name, self.spectral_norm, train, INIT)


def d_batch_norm(model) -> bool:
  """Whether D normalises over the batch: never (no normalisation layers)."""
  del model
  return False


def build(config, data_shape, axis_name=None):
  """(G, D) for points of shape `data_shape` = (d,)."""
  m = config.model
  return (Generator(out_dim=data_shape[-1], width=m.width, depth=m.depth),
          Discriminator(width=m.width, spectral_norm=m.spectral_norm, minibatch=m.minibatch,
                        axis_name=axis_name))
