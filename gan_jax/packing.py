"""PacGAN packing (Lin et al., 2018): D decides on m samples at once, all real or all
generated, which penalises a G that drops modes (the paper's Sec. 3-4).

`model.pack = m` (1: off). The paper's D takes the m samples concatenated: for its 2-D
grids and rings the m points' coordinates form one input of m * 2 numbers (its code:
`input_dim = num_xdim * num_packing`), for images the m images are stacked along the
channels. Here the same: `pack` concatenates consecutive samples along the last axis,
the feature axis of points [B, d] and the channel axis of NHWC images.

Batch convention: data.batch_size counts samples, so a batch of B samples makes B / m
D decisions. The paper keeps the number of decisions (its code: a batch of 100 packs,
i.e. 100 m points), and `experiments/gan.py:pack=m` follows it by multiplying the
batch by m (`config.set_modes`); `--config.model.pack=m` alone keeps the sample count.

Regularizers see D as a function of the packed input: the gradient penalty interpolates
between a real and a fake pack with one eps per pack and takes the norm of D's
gradient over the whole pack (m * d numbers), the Lipschitz constraint on the D that is
trained; R1 and DRAGAN likewise. The paper does not combine packing with a penalty.
"""
from __future__ import annotations

import jax
import jax.numpy as jnp


def pack(x: jax.Array, m: int) -> jax.Array:
  """[B, ..., C] -> [B / m, ..., m * C]: samples m i, ..., m i + m - 1 concatenated
  along the last axis, in that order (for points [B, d]: row i is the m points'
  coordinates one after another). m = 1 returns `x`; B must be a multiple of m."""
  if m == 1:
    return x
  if x.shape[0] % m:
    raise ValueError(f"model.pack={m} needs a batch that is a multiple of {m} on every "
                     f"device; got {x.shape[0]} samples. Set data.batch_size to a multiple "
                     f"of {m} x the device count.")
  x = x.reshape((x.shape[0] // m, m) + x.shape[1:])
  x = jnp.moveaxis(x, 1, -2)  # [B / m, ..., m, C]
  return x.reshape(x.shape[:-2] + (m * x.shape[-1],))


def pack_each(x: jax.Array, m: int) -> jax.Array:
  """[N, ..., C] -> [N, ..., m * C]: every sample packed with m - 1 copies of itself,
  so a packed D scores single samples (its surface on a grid, a grid's annotations)."""
  return pack(jnp.repeat(x, m, axis=0), m)
