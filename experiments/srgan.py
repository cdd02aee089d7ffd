"""SRGAN / SRResNet (Ledig et al., 2017): 4x super-resolution, 7 -> 28 px Fashion-MNIST
(gan_jax/methods/srgan.py).

  python launch.py --config experiments/srgan.py:content=mse,adversarial=0 --workdir runs/srresnet
  python launch.py --config experiments/srgan.py --workdir runs/srgan

Args:
- ``content=mse|features``: the pixel MSE (SRResNet, SRGAN-MSE) or the squared distance
  of the content classifier's last conv activations (the VGG54 analog; the network is
  `loss.content_network`, default `experiments/classifier.py:content` (seed 1, 2 epochs),
  built into the user cache on first use like the evaluation classifier);
- ``adversarial=`` the adversarial weight (1e-3 in the paper; 0: the SRResNet baseline,
  no GAN); SRResNet = ``content=mse,adversarial=0``, SRGAN = the defaults
  (``content=features,adversarial=0.001``);
- ``data=fashion_mnist|folder`` (HR images; ``path=`` for a folder; ``size=``);
- ``steps=`` (0: the default), ``smoke``.

The feature loss is not rescaled (`loss.feature_scale` 1): on bicubic 7 -> 28 test images
its value (0.078 with the seed-0 classifier's conv2) is already of the pixel MSE's order
(0.111), which is what the paper's 1/12.75 for VGG54 achieves. Sized for 2 CPU cores:
G width 32 with 6 residual blocks (the paper: 64, 16), D width 16, batch 32,
1,500 steps, both trained from scratch (the paper starts SRGAN from a trained SRResNet).
"""
from gan_jax import config as config_lib


def get_config(arg=None):
  arg = config_lib.parse_arg(arg, data="fashion_mnist", path="", size=0, content="features",
                             adversarial=1e-3, steps=0, smoke=False)
  c = config_lib.base()
  config_lib.set_data(c, arg.data, arg.path)
  c.method = "srgan"
  c.data.image_size = arg.size
  c.data.batch_size = 32
  c.model.name = "srresnet"
  c.model.scale = 4
  c.model.width = 32
  c.model.depth = 6
  c.model.d_width = 16

  c.loss.name = "nonsaturating"
  c.loss.content = arg.content
  c.loss.content_weight = 1.0
  c.loss.gan_weight = arg.adversarial
  c.loss.content_network = ""   # "": the cached experiments/classifier.py:content
  c.loss.content_layer = "conv2"
  c.loss.feature_scale = 1.0

  for net in ("g", "d"):
    c.optim[net] = config_lib.optimizer("adam", lr=1e-4, b1=0.9, b2=0.999)
  c.train.steps = arg.steps or 1500
  c.log.every, c.sample.every, c.ckpt.every = 100, 1000, 1000
  c.eval.every = c.train.steps
  c.eval.metrics = ("paired",)
  c.eval.num_samples = 1000
  c.sample.num = 24
  if arg.smoke:
    config_lib.smoke(c)
    c.model.depth, c.model.d_width = 1, 4
    c.eval.every = c.train.steps
    c.eval.num_samples, c.sample.num = 64, 6
  c.lock()
  return c
