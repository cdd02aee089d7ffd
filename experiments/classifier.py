"""The domain classifier used by the image metrics (IS, FID/KID/PR on its features, class
coverage): a small ConvNet trained on the real training split, tested on the test split.

  python launch.py --config experiments/classifier.py

Without --workdir it goes to the user cache ($GAN_JAX_CACHE/classifiers/<data>-<version>,
default ~/.cache/gan_jax), where every run's evaluation finds it; a run that needs it
and finds none builds it there itself (gan_jax/classifier.py, `ensure`).

Args: ``data=fashion_mnist|mnist``, ``smoke`` (one short epoch on a subset-sized run).
"""
from gan_jax import config as config_lib


def get_config(arg=None):
  arg = config_lib.parse_arg(arg, data="fashion_mnist", smoke=False)
  c = config_lib.base()
  c.method = "classifier"
  c.data.name = arg.data
  c.data.batch_size = 128
  c.model.name, c.model.width = "classifier", 32
  c.train.epochs = 8
  c.optim.d = config_lib.optimizer("adam", lr=2e-3)
  c.eval.metrics = ()
  if arg.smoke:
    c.train.epochs, c.model.width = 1, 4
  c.lock()
  return c
