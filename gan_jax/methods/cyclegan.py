"""CycleGAN (Zhu et al., 2017, "Unpaired image-to-image translation using
cycle-consistent adversarial networks"): two ResNet generators and two 70x70 PatchGANs
(`networks/cyclegan.py`), trained with

  L(G, F, D_X, D_Y) = L_GAN(G, D_Y, X, Y) + L_GAN(F, D_X, Y, X) + lambda L_cyc(G, F)   (Eq. 3)
  L_cyc = E_x ||F(G(x)) - x||_1 + E_y ||G(F(y)) - y||_1                                (Eq. 2)

with the least-squares GAN loss (Sec. 4, "Training details": G minimises
E[(D(G(x)) - 1)^2], D minimises E[(D(y) - 1)^2] + E[D(G(x))^2]), lambda = 10, the
identity term lambda_idt E||G(y) - y||_1 + E||F(x) - x||_1 with lambda_idt = 0.5 lambda
(Sec. 5.2; the authors' code default), and D updated from a pool of the 50 latest
generated images (`gan_jax.image_pool`). G = G_ab, F = G_ba, X = A, Y = B here; the loss
and its weights are `methods/_unpaired.py`'s. `loss.name` least_squares gives D's
loss exactly (1/2 of each square, as the authors' code halves D's objective); G's
`g_least_squares` is 1/2 E[(D - 1)^2], so the paper's G term is `loss.gan_weight` 2
(experiments/cyclegan.py sets it).

The paper's ablations (Table 4) are weight switches: cycle alone (gan_weight 0), GAN
alone (both cycle weights 0), GAN + forward cycle (cycle_b_weight 0), GAN + backward
cycle (cycle_a_weight 0).
"""
from __future__ import annotations

from gan_jax import parallel
from gan_jax.methods import _unpaired

HPARAM_KEYS = _unpaired.HPARAM_KEYS


class CycleGan(_unpaired.Unpaired):
  DISTANCE = "l1"


def build(config, data_shape, ctx=parallel.Context()):
  return CycleGan(config, data_shape, ctx)
