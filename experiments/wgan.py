"""Wasserstein GAN: weight clipping (Arjovsky et al., 2017) or gradient penalty
(Gulrajani et al., 2017).

Args (comma list):
- ``penalty=gp|clip``: WGAN-GP (Adam, beta (0.5, 0.9), n_critic 5) or WGAN with weight
  clipping (RMSProp 5e-5, c = 0.01, n_critic 5, the WGAN paper's Algorithm 1).
- ``data=grid25|ring8|swissroll|pdf1d|gauss1d``.
- ``paper``: the papers' exact toy settings (WGAN-GP: lambda 10, Adam 1e-4, 512-unit
  MLPs, batch 256, 100k iterations in the authors' code). Without it, the defaults
  are tuned to recover all 25 modes of grid25 within minutes on 2 CPU cores:
  lambda 0.1 (the value of the authors' toy code), Adam 1e-3 for both networks
  decayed linearly to 0 over 4000 steps (the decay of the authors' CIFAR code),
  256-unit MLPs.
- ``lam=<float>``, ``lr=<float>``: override lambda and both learning rates.
- ``smoke``: a few steps with tiny networks.
"""
from gan_jax import config as config_lib


def get_config(arg=None):
  arg = config_lib.parse_arg(arg, penalty="gp", data="grid25", paper=False, lam=-1.0,
                             lr=-1.0, smoke=False)
  c = config_lib.base()
  c.data.name = arg.data
  c.data.batch_size = 256
  c.loss.name = "wasserstein"
  c.train.n_critic = 5
  c.model.depth = 3
  if arg.penalty == "gp":
    lam, lr, c.model.width, c.train.steps = (10.0, 1e-4, 512, 100_000) if arg.paper else (
        0.1, 1e-3, 256, 4000)
    lam = arg.lam if arg.lam >= 0 else lam
    lr = arg.lr if arg.lr > 0 else lr
    c.regularizers.gradient_penalty = config_lib.regularizer(weight=lam)
    for net in ("g", "d"):
      c.optim[net] = config_lib.optimizer("adam", lr=lr, b1=0.5, b2=0.9,
                                          schedule="constant" if arg.paper else "linear")
  elif arg.penalty == "clip":
    lr = arg.lr if arg.lr > 0 else 5e-5
    c.regularizers.weight_clip = config_lib.regularizer(c=0.01)
    for net in ("g", "d"):
      c.optim[net] = config_lib.optimizer("rmsprop", lr=lr)
    c.model.width, c.train.steps = 512, 10_000
  else:
    raise ValueError(f"penalty must be gp or clip, got {arg.penalty!r}.")
  c.log.every, c.sample.every, c.eval.every, c.ckpt.every = 100, 500, 500, 500
  if arg.smoke:
    c.train.steps, c.model.width, c.data.batch_size = 20, 32, 64
    c.log.every = c.sample.every = c.eval.every = c.ckpt.every = 10
    c.eval.num_samples = c.sample.num = 256
  c.lock()
  return c
