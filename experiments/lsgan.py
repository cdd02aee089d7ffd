"""LSGAN (Mao et al., 2017): least-squares losses (a=0, b=1, c=1) with everything else of
`experiments/dcgan.py`: the DCGAN networks, Adam 2e-4, beta1 0.5, batch 64.

Args: as dcgan.py: ``data=fashion_mnist|mnist|cifar10|celeb_a|folder|<toy>``,
``path=DIR`` (for data=folder), ``size=<pixels>`` (28, 32 or 64), ``smoke``.
"""
from experiments import dcgan


def get_config(arg=None):
  c = dcgan.get_config(arg)
  c.loss.name = "least_squares"  # an existing key: allowed on the locked config
  return c
