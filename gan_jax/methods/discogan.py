"""DiscoGAN (Kim et al., 2017, "Learning to discover cross-domain relations with
generative adversarial networks"): two generators G_AB, G_BA and two discriminators
D_A, D_B, trained with

  L_G = L_GAN_B + L_CONST_A + L_GAN_A + L_CONST_B                     (Eq. 5)
  L_CONST_A = d(G_BA(G_AB(x_A)), x_A),  L_GAN_B = -E log D_B(G_AB(x_A))  (Eq. 3, 4)

with d the squared error (the authors' code uses MSE), the non-saturating GAN loss, no
image pool and no identity term: `methods/_unpaired.py` with `DISTANCE` l2. Its networks
(encoder-decoder G, DCGAN-like D with BatchNorm) are `networks/discogan.py`;
experiments/cyclegan.py's `variant=discogan` sets them up.
"""
from __future__ import annotations

from gan_jax import parallel
from gan_jax.methods import _unpaired

HPARAM_KEYS = _unpaired.HPARAM_KEYS


class DiscoGan(_unpaired.Unpaired):
  DISTANCE = "l2"


def build(config, data_shape, ctx=parallel.Context()):
  return DiscoGan(config, data_shape, ctx)
