"""Projection discriminator with conditional BatchNorm in G (Miyato & Koyama, 2018,
"cGANs with Projection Discriminator"; the SNGAN / BigGAN conditional design).

D(x, y) = psi(phi(x)) + <embed(y), phi(x)> (paper, Eq. 3: the logit of a
log-linear model of p(y|x) added to the unconditional logit), and every BatchNorm of G
takes per-class gain and bias (paper, Sec. 5). The paper trains it with the hinge loss
and spectral normalisation on every D layer, the embedding included
(`experiments/projection.py` sets both). Networks: the dcgan or resnet family
(`model.name`) with these conditions (networks/conditional.py).
"""
from __future__ import annotations

from gan_jax import parallel
from gan_jax.methods import _conditional

HPARAM_KEYS = ()


class Projection(_conditional.ConditionalGan):
  G_CONDITION = "batchnorm"
  D_CONDITION = "projection"


def build(config, data_shape, ctx=parallel.Context()):
  return Projection(config, data_shape, ctx)
