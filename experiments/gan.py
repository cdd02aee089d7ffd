"""A GAN on toy data with any loss pair.

Args (comma list): loss=minimax|nonsaturating|lsgan|hinge, data=ring8|grid25|swissroll|
pdf1d|gauss1d, smoke. E.g. ``--config experiments/gan.py:loss=minimax,data=ring8``.
"""
from gan_jax import config as config_lib


def get_config(arg=None):
  arg = config_lib.parse_arg(arg, loss="nonsaturating", data="grid25", smoke=False)
  c = config_lib.base()
  c.data.name = arg.data
  c.loss.name = arg.loss
  c.model.width, c.model.depth = 512, 3
  c.data.batch_size = 256
  c.train.steps = 10_000
  c.optim.g = config_lib.optimizer("adam", lr=1e-4, b1=0.5, b2=0.999)
  c.optim.d = config_lib.optimizer("adam", lr=1e-4, b1=0.5, b2=0.999)
  if arg.smoke:
    c.train.steps, c.model.width, c.data.batch_size = 20, 32, 64
    c.log.every = c.sample.every = c.eval.every = c.ckpt.every = 10
    c.eval.num_samples = c.sample.num = 256
  c.lock()
  return c
