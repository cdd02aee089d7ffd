"""SNGAN (Miyato et al., 2018): hinge loss, spectral normalisation in D, the ResNet
networks for 32 px, Adam 2e-4 with betas (0, 0.9), 5 D updates per G update, batch 64
(the paper's CIFAR-10 ResNet setting). Fashion-MNIST is resized to 32 px.

Args: ``data=fashion_mnist|cifar10|folder``, ``path=DIR``, ``net=resnet|dcgan``, ``smoke``.
"""
from gan_jax import config as config_lib


def get_config(arg=None):
  arg = config_lib.parse_arg(arg, data="fashion_mnist", path="", net="resnet", smoke=False)
  c = config_lib.base()
  config_lib.set_data(c, arg.data, arg.path)
  c.data.image_size = 32
  c.model.name, c.model.z_dim = arg.net, 128
  c.model.spectral_norm = True
  c.model.width = 128 if arg.net == "resnet" else 64
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
