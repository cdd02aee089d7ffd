"""cGAN with a projection discriminator and conditional BatchNorm in G (Miyato & Koyama,
2018): hinge loss, spectral normalisation on every D layer (the embedding included),
no normalisation in D, Adam 2e-4 with betas (0, 0.9) (the paper's settings).

Why a file of its own rather than `sngan.py:conditional`: the default is scored by the
28-pixel Fashion-MNIST classifier, so it runs the DCGAN networks at 28 px (the SNGAN
ResNet is 32-pixel only, ``net=resnet``, which the classifier cannot score), and it
must fit the 2-core budget: n_critic = 2 D updates per G update instead of the paper's
5, and STEPS steps (4.3 epochs of D batches; about as long as experiments/cgan.py's
3,000 single-update steps).

Args: ``data=fashion_mnist|mnist|cifar10|folder``, ``path=DIR``, ``net=dcgan|resnet``,
``smoke``.
"""
from gan_jax import config as config_lib

STEPS = 2000


def get_config(arg=None):
  arg = config_lib.parse_arg(arg, data="fashion_mnist", path="", net="dcgan", smoke=False)
  c = config_lib.base()
  config_lib.set_data(c, arg.data, arg.path)
  config_lib.set_classes(c)
  c.method = "projection"
  c.model.name = arg.net
  if arg.net == "resnet":
    c.data.image_size, c.model.z_dim, c.model.width = 32, 128, 64
    c.eval.metrics = ()  # the Fashion-MNIST classifier scores 28 px images
  c.model.spectral_norm, c.model.d_norm = True, "none"
  c.loss.name = "hinge"
  c.train.n_critic, c.train.steps = 2, STEPS
  c.data.batch_size = 64
  for net in ("g", "d"):
    c.optim[net] = config_lib.optimizer("adam", lr=2e-4, b1=0.0, b2=0.9)
  c.log.every, c.sample.every, c.eval.every, c.ckpt.every = 100, 500, STEPS, 1000
  if arg.smoke:
    config_lib.smoke(c)
  c.lock()
  return c
