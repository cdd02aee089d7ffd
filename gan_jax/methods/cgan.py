"""Conditional GAN (Mirza & Osindero, 2014, "Conditional Generative Adversarial Nets"):
y enters G as one-hot(y) concatenated to z, and D as K one-hot planes concatenated to
the image channels (the paper feeds y to a hidden layer of each network; at the input
of D's convolutions is the usual convolutional form). The objective is any loss pair,
now of D(x, y) and D(G(z, y), y) (paper, Eq. 2). Networks: the dcgan or resnet family
(`model.name`) with these conditions (networks/conditional.py).
"""
from __future__ import annotations

from gan_jax import parallel
from gan_jax.methods import _conditional

HPARAM_KEYS = ()


class Cgan(_conditional.ConditionalGan):
  G_CONDITION = "concat"
  D_CONDITION = "input"


def build(config, data_shape, ctx=parallel.Context()):
  return Cgan(config, data_shape, ctx)
