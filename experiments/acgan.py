"""AC-GAN (Odena et al., 2017) on the DCGAN networks: G(z, one-hot(c)), D with an
adversarial and a class head; class log-likelihood weight 1 (`loss.class_weight`, the
paper's plain sum), non-saturating loss, Adam 2e-4, beta1 0.5 (the paper's settings),
batch 64 (the paper: 100).

Scaled to the 2-core budget: STEPS steps (3.2 epochs of Fashion-MNIST, about 6
minutes on 2 idle cores plus the evaluation; the paper trains CIFAR-10 for 50,000
steps); scored like experiments/cgan.py.

Args: ``data=fashion_mnist|mnist|cifar10|folder``, ``path=DIR``, ``size=<pixels>``,
``weight=<class_weight>``, ``smoke``.
"""
from gan_jax import config as config_lib

STEPS = 3000


def get_config(arg=None):
  arg = config_lib.parse_arg(arg, data="fashion_mnist", path="", size=0, weight=1.0,
                             smoke=False)
  c = config_lib.base()
  config_lib.set_data(c, arg.data, arg.path)
  config_lib.set_classes(c)
  c.method = "acgan"
  c.data.image_size = arg.size
  c.loss.name = "nonsaturating"
  c.loss.class_weight = arg.weight
  c.data.batch_size = 64
  c.train.steps = STEPS
  for net in ("g", "d"):
    c.optim[net] = config_lib.optimizer("adam", lr=2e-4, b1=0.5, b2=0.999)
  c.log.every, c.sample.every, c.eval.every, c.ckpt.every = 100, 500, STEPS, 1000
  if arg.smoke:
    config_lib.smoke(c)
  c.lock()
  return c


def get_sweep(arg=None):
  """The class log-likelihood weight (0.1, 1, 3) x 2 seeds: how much the class terms
  trade intra-class diversity (intra recall) for class accuracy."""
  from gan_jax import sweep
  return sweep.product(sweep.axis("loss.class_weight", [0.1, 1.0, 3.0]), sweep.seeds(2))
