"""Conditional GAN (Mirza & Osindero, 2014) on the DCGAN networks: one-hot(y)
concatenated to z in G and as K planes on D's input; non-saturating loss, Adam 2e-4,
beta1 0.5, batch 64 (the DCGAN settings; the paper's MNIST MLPs with maxout and
dropout are replaced by the convolutional networks everyone uses for it now).

Scaled to the 2-core budget: STEPS steps (3.2 epochs of Fashion-MNIST; the DCGAN step
runs ~8.7 steps/s on 2 idle cores, so about 6 minutes plus the evaluation); scored with the domain classifier by
the 'classifier' and 'conditional' eval groups (class accuracy, FID, intra-FID, TSTR).

Args: ``data=fashion_mnist|mnist|cifar10|folder``, ``path=DIR`` (data=folder with one
sub-folder per class; set --config.model.num_classes), ``size=<pixels>``, ``smoke``.
"""
from gan_jax import config as config_lib

STEPS = 3000


def get_config(arg=None):
  arg = config_lib.parse_arg(arg, data="fashion_mnist", path="", size=0, smoke=False)
  c = config_lib.base()
  config_lib.set_data(c, arg.data, arg.path)
  config_lib.set_classes(c)
  c.method = "cgan"
  c.data.image_size = arg.size
  c.loss.name = "nonsaturating"
  c.data.batch_size = 64
  c.train.steps = STEPS
  for net in ("g", "d"):
    c.optim[net] = config_lib.optimizer("adam", lr=2e-4, b1=0.5, b2=0.999)
  c.log.every, c.sample.every, c.eval.every, c.ckpt.every = 100, 500, STEPS, 1000
  if arg.smoke:
    config_lib.smoke(c)
  c.lock()
  return c
