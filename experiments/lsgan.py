"""LSGAN (Mao et al., 2017): least-squares losses (a=0, b=1, c=1) with the DCGAN networks,
Adam 2e-4, beta1 0.5, batch 64.

Args: ``data=fashion_mnist|mnist|cifar10|folder|<toy>``, ``path=DIR``, ``size=<pixels>``,
``smoke``.
"""
from gan_jax import config as config_lib


def get_config(arg=None):
  arg = config_lib.parse_arg(arg, data="fashion_mnist", path="", size=0, smoke=False)
  c = config_lib.base()
  images = config_lib.set_data(c, arg.data, arg.path)
  c.data.image_size = arg.size
  c.loss.name = "least_squares"
  c.data.batch_size = 64 if images else 256
  c.train.steps = 6000 if images else 4000
  for net in ("g", "d"):
    c.optim[net] = config_lib.optimizer("adam", lr=2e-4, b1=0.5, b2=0.999)
  c.log.every, c.sample.every, c.eval.every, c.ckpt.every = 100, 500, 2000, 1000
  if arg.smoke:
    config_lib.smoke(c)
  c.lock()
  return c
