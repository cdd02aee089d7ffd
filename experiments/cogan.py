"""Coupled GAN (Liu & Tuzel, 2016): two GANs with shared generator and discriminator
layers, trained on unpaired images of two domains, learn their joint distribution
(gan_jax/methods/cogan.py); translations go through the z an image inverts to.

  python launch.py --config experiments/cogan.py --workdir runs/cogan_fonts
  python launch.py --config experiments/cogan.py:data=sneaker2boot --workdir runs/cogan_s2b

Args: ``data=fonts_unpaired|sneaker2boot|folder2`` (``path=``, ``path_a=``, ``path_b=``
for folder2), ``size=``, ``steps=`` (0: the default), ``smoke``.

The paper's settings next to the defaults here (sized for 2 CPU cores):

| | paper (digits, Sec. 5) | here |
| --- | --- | --- |
| images | 28 x 28 digits | 32 x 32 glyphs / Fashion-MNIST |
| G | shares all but its last layer | DCGAN-like, width 32; all but the last transposed conv shared |
| D | shares all but its first layer | DCGAN-like, width 32; all but the first conv shared |
| loss | minimax (GAN) | non-saturating |
| optimizer, batch | Adam 2e-4, betas (0.5, 0.999), batch 128 | the same Adam, batch 32 |
| length | 25,000 iterations | 3,000 steps |
| translation | z search, then G_b(z*) | 200 Adam steps (lr 0.05) per image |
"""
from gan_jax import config as config_lib

DATA = ("fonts_unpaired", "sneaker2boot", "folder2")


def get_config(arg=None):
  arg = config_lib.parse_arg(arg, data="fonts_unpaired", path="", path_a="", path_b="",
                             size=0, steps=0, smoke=False)
  if arg.data not in DATA:
    raise ValueError(f"data={arg.data!r}: use one of {', '.join(DATA)}.")
  c = config_lib.base()
  c.method = "cogan"
  c.data.name, c.data.path, c.data.path_a, c.data.path_b = (arg.data, arg.path, arg.path_a,
                                                            arg.path_b)
  c.data.image_size = arg.size or (32 if arg.data == "fonts_unpaired" else 0)
  c.data.batch_size = 32
  c.model.name, c.model.width, c.model.d_width, c.model.z_dim = "cogan", 32, 32, 100
  c.model.g_norm, c.model.d_norm = "batch", "batch"
  c.model.invert_steps = 200
  c.loss.name = "nonsaturating"
  for net in ("g", "d"):
    c.optim[net] = config_lib.optimizer("adam", lr=2e-4, b1=0.5, b2=0.999)
  c.train.steps = arg.steps or 3000
  c.log.every, c.sample.every, c.ckpt.every = 100, 1000, 1000
  c.eval.every = c.train.steps
  c.eval.metrics = ("unpaired",)
  c.eval.num_samples = 1000
  c.sample.num = 12
  if arg.smoke:
    config_lib.smoke(c)
    c.model.d_width, c.model.invert_steps = 8, 5
    c.data.limit = 64 if arg.data == "fonts_unpaired" else 256
    c.eval.every = c.train.steps
    c.eval.num_samples, c.sample.num = 32, 6
  c.lock()
  return c
