"""pix2pix (Isola et al., 2017): a U-Net G (or an encoder-decoder) and a PatchGAN D
(`networks/pix2pix.py`), trained with

  G* = arg min_G max_D L_cGAN(G, D) + lambda L_L1(G)                  (Eq. 4)

L_cGAN (Eq. 1): D judges (input, output) pairs, `model.d_conditional` True; the GAN
of Eq. 2 (D sees the output alone) is `model.d_conditional` False. L_L1 = E|b - G(a)|
(Eq. 3), lambda = `loss.content_weight` (100 in the paper); `loss.gan_weight` scales
the adversarial term (0 for L1 alone). The paper's five objectives of Table 1 are the
experiment's `loss=` switch (experiments/pix2pix.py):

  | loss | gan_weight | content_weight (lambda) | D sees |
  | --- | --- | --- | --- |
  | l1 | 0 | 100 | (D trains, G ignores it) |
  | gan | 1 | 0 | output |
  | cgan | 1 | 0 | (input, output) |
  | l1+gan | 1 | 100 | output |
  | l1+cgan | 1 | 100 | (input, output) |

The adversarial pair is `loss.name` (non-saturating in the paper: G maximises
log D(a, G(a))). Both weights are step arrays (sweeps, resume changes).
"""
from __future__ import annotations

import jax.numpy as jnp

from gan_jax import parallel
from gan_jax.methods import _paired
from gan_jax.networks import pix2pix as nets

HPARAM_KEYS = ("loss.gan_weight", "loss.content_weight")


class Pix2Pix(_paired.Paired):

  def __init__(self, config, data_shape, ctx=parallel.Context()):
    super().__init__(config, data_shape, nets.build(config, data_shape, ctx.axis_name), ctx)
    self.conditional = bool(config.model.d_conditional)

  def d_input(self, batch, image):
    return jnp.concatenate([batch["a"], image], axis=-1) if self.conditional else image


def build(config, data_shape, ctx=parallel.Context()):
  return Pix2Pix(config, data_shape, ctx)
