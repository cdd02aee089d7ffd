"""Wasserstein GAN: weight clipping (Arjovsky et al., 2017) or gradient penalty
(Gulrajani et al., 2017), on Fashion-MNIST by default or on any toy set.

Args (comma list):
- ``data=fashion_mnist|mnist|cifar10|folder|grid25|ring8|swissroll|pdf1d|gauss1d``
  (``path=DIR`` with data=folder).
- ``penalty=gp|clip``: WGAN-GP (lambda 10, Adam 1e-4, beta (0.5, 0.9), n_critic 5, a
  layer-norm critic: the paper's settings for images) or WGAN with weight clipping
  (RMSProp 5e-5, c = 0.01, n_critic 5: the WGAN paper's Algorithm 1). On images the
  DCGAN networks run at width 32 (half the paper's 64, a quarter of the FLOPs) so the
  default run fits 15 minutes on 2 CPU cores; ``--config.model.width=64`` restores it.
- ``paper``: on toy data, the WGAN-GP paper's toy settings (lambda 10, Adam 1e-4,
  512-unit MLPs, batch 256, 100k iterations in the authors' code). Without it the toy
  defaults are tuned to recover all 25 modes of grid25 within minutes on 2 CPU cores:
  lambda 0.1 (the value in the authors' toy code), Adam 1e-3 decayed linearly to 0 over
  4,000 steps (the decay of the authors' CIFAR code), 256-unit MLPs.
- ``lam=<float>``, ``lr=<float>``: override lambda and both learning rates.
- ``pack=<m>``, ``unroll=<k>``, ``minibatch=disc|stddev``: the mode-collapse remedies
  of experiments/gan.py (PacGAN, unrolled critic, minibatch layers in the critic; the
  progressive GAN pairs WGAN-GP with the minibatch stddev). A packed critic's gradient
  penalty is taken per pack (gan_jax/packing.py).
- ``smoke``: a few steps with tiny networks.
"""
from gan_jax import config as config_lib


def get_config(arg=None):
  arg = config_lib.parse_arg(arg, penalty="gp", data="fashion_mnist", path="", paper=False,
                             lam=-1.0, lr=-1.0, smoke=False, **config_lib.MODE_ARGS)
  if arg.penalty not in ("gp", "clip"):
    raise ValueError(f"penalty must be gp or clip, got {arg.penalty!r}.")
  c = config_lib.base()
  images = config_lib.set_data(c, arg.data, arg.path)
  c.loss.name = "wasserstein"
  c.train.n_critic = 5
  c.log.every, c.sample.every, c.eval.every, c.ckpt.every = 100, 500, 500, 500
  if images:
    c.data.batch_size, c.train.steps, c.model.width = 64, 3000, 32
    c.model.d_norm = "layer"  # WGAN-GP: no batch norm in the critic
    lam, lr, schedule = 10.0, 1e-4, "constant"
    c.sample.every, c.eval.every = 250, 1000
  elif arg.paper:
    c.data.batch_size, c.model.width, c.train.steps = 256, 512, 100_000
    lam, lr, schedule = 10.0, 1e-4, "constant"
  else:
    c.data.batch_size, c.model.width, c.train.steps = 256, 256, 4000
    lam, lr, schedule = 0.1, 1e-3, "linear"
  lam = arg.lam if arg.lam >= 0 else lam
  if arg.penalty == "gp":
    lr = arg.lr if arg.lr > 0 else lr
    c.regularizers.gradient_penalty = config_lib.regularizer(weight=lam)
    for net in ("g", "d"):
      c.optim[net] = config_lib.optimizer("adam", lr=lr, b1=0.5, b2=0.9, schedule=schedule)
  else:
    lr = arg.lr if arg.lr > 0 else 5e-5
    c.regularizers.weight_clip = config_lib.regularizer(c=0.01)
    for net in ("g", "d"):
      c.optim[net] = config_lib.optimizer("rmsprop", lr=lr)
    if not images:
      c.model.width, c.train.steps = 512, 10_000
  if arg.smoke:
    config_lib.smoke(c)
  config_lib.set_modes(c, arg)
  c.lock()
  return c


def get_sweep(arg=None):
  """Learning rate x penalty weight x 2 seeds: all array-valued, one vmapped step."""
  from gan_jax import sweep
  return sweep.product(sweep.axis("optim.d.lr", [3e-4, 1e-3]),
                       sweep.axis("regularizers.gradient_penalty.weight", [0.1, 1.0]),
                       sweep.seeds(2))
