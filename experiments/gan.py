"""A GAN with any loss pair, on toy data by default.

Args (comma list): ``loss=minimax|nonsaturating|lsgan|hinge``, ``data=grid25|ring8|
swissroll|pdf1d|gauss1d|fashion_mnist|...``, ``smoke``. The networks are the WGAN-GP toy
MLPs (3 hidden layers of 512 ReLU units), Adam 1e-4, beta1 0.5, batch 256.
E.g. ``--config experiments/gan.py:loss=minimax,data=ring8``.

Mode-collapse remedies (off by default; any combination):
- ``pack=<m>``: PacGAN (Lin et al., 2018), D decides on packs of m samples (model.pack);
  the batch grows to m x 256 samples so D still makes 256 decisions, as in the paper.
- ``unroll=<k>``: unrolled GAN (Metz et al., 2017), G's loss through k unrolled D
  updates (train.unroll; k = 5 in the authors' 2-D notebook).
- ``minibatch=disc|stddev``: minibatch discrimination (Salimans et al., 2016) or the
  minibatch stddev layer (Karras et al., 2018) in D (model.minibatch).
"""
from gan_jax import config as config_lib


def get_config(arg=None):
  arg = config_lib.parse_arg(arg, loss="nonsaturating", data="grid25", path="", smoke=False,
                             **config_lib.MODE_ARGS)
  c = config_lib.base()
  images = config_lib.set_data(c, arg.data, arg.path)
  c.loss.name = arg.loss
  c.data.batch_size = 64 if images else 256
  c.model.width, c.model.depth = (64, 3) if images else (512, 3)
  c.train.steps = 10_000
  c.log.every, c.sample.every, c.eval.every, c.ckpt.every = 100, 1000, 1000, 1000
  for net in ("g", "d"):
    c.optim[net] = config_lib.optimizer("adam", lr=1e-4, b1=0.5, b2=0.999)
  if arg.smoke:
    config_lib.smoke(c)
  config_lib.set_modes(c, arg)
  c.lock()
  return c


def get_sweep(arg=None):
  """Every loss x 3 seeds (one vmapped group per loss)."""
  from gan_jax import sweep
  return sweep.product(sweep.axis("loss.name", ["minimax", "nonsaturating", "least_squares",
                                                "hinge"]), sweep.seeds(3))
