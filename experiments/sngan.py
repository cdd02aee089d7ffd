"""SNGAN (Miyato et al., 2018): hinge loss, spectral normalisation on every D layer, the
CIFAR-10 ResNet of the paper's Table 4 at its widths (model.width=64: G 256 channels =
4w, D 128 = 2w; `networks/resnet.py`), z dim 128, Adam 2e-4 with betas (0, 0.9), 5 D
updates per G update, batch 64: the settings of the authors' unconditional CIFAR-10
config (github.com/pfnet-research/sngan_projection, configs/sn_cifar10_unconditional.yml).

Where this default run differs from that config: Fashion-MNIST resized to 32 px (1
channel) instead of CIFAR-10; 5,000 steps instead of 50,000 G updates; a constant
learning rate where the authors' code decays it linearly to 0 over the run
(``--config.optim.g.schedule=linear --config.optim.d.schedule=linear``); G updates on
batches of 64 where the authors' updater draws 128 samples for G.

Args: ``data=fashion_mnist|cifar10|folder``, ``path=DIR``, ``net=resnet|dcgan`` (dcgan:
the DCGAN networks at width 64, with spectral norm in D), ``smoke``.
"""
from gan_jax import config as config_lib


def get_config(arg=None):
  arg = config_lib.parse_arg(arg, data="fashion_mnist", path="", net="resnet", smoke=False)
  c = config_lib.base()
  config_lib.set_data(c, arg.data, arg.path)
  c.data.image_size = 32
  c.model.name, c.model.z_dim = arg.net, 128
  c.model.spectral_norm = True
  c.model.width = 64  # the paper's widths for resnet (G 4w = 256, D 2w = 128)
  c.loss.name = "hinge"
  c.train.n_critic, c.train.steps = 5, 5000
  c.data.batch_size = 64
  for net in ("g", "d"):
    c.optim[net] = config_lib.optimizer("adam", lr=2e-4, b1=0.0, b2=0.9)
  c.eval.metrics = ()  # the Fashion-MNIST classifier scores 28 px images
  c.log.every, c.sample.every, c.eval.every, c.ckpt.every = 100, 500, 1000, 1000
  if arg.smoke:
    config_lib.smoke(c)
  c.lock()
  return c
