"""DualGAN (Yi et al., 2017, "DualGAN: unsupervised dual learning for image-to-image
translation"): a primal generator G_A: U -> V and a dual G_B: V -> U, each with a
Wasserstein critic (weight clipping, Arjovsky et al., 2017), and the reconstruction
errors weighted by lambda_U, lambda_V:

  l_g(u, v) = lambda_U ||u - G_B(G_A(u, z), z')||_1 + lambda_V ||v - G_A(G_B(v, z'), z)||_1
              - D_V(G_A(u, z)) - D_U(G_B(v, z'))                        (Eq. 3)
  l_d^A(u, v) = D_A(G_A(u, z)) - D_A(v)                                  (Eq. 1)

`methods/_unpaired.py` with `DISTANCE` l1, `loss.name` wasserstein and
`regularizers.weight_clip` (c = 0.01); G's noise z is dropout, as in pix2pix, whose U-Net
and PatchGAN (`networks/pix2pix.py`) the paper takes. experiments/cyclegan.py's
`variant=dualgan` sets the paper's values (RMSProp 5e-5, n_critic 2, lambda 100 at the
low end of the paper's range [100, 1000]).
"""
from __future__ import annotations

from gan_jax import parallel
from gan_jax.methods import _unpaired

HPARAM_KEYS = _unpaired.HPARAM_KEYS


class DualGan(_unpaired.Unpaired):
  DISTANCE = "l1"


def build(config, data_shape, ctx=parallel.Context()):
  return DualGan(config, data_shape, ctx)
