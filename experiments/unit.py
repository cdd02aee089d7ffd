"""UNIT (Liu, Breuel & Kautz, 2017): unpaired translation through a shared latent space,
two VAE-GANs whose encoders share their last layer and generators their first
(gan_jax/methods/unit.py, gan_jax/networks/unit.py); scored like CycleGAN.

  python launch.py --config experiments/unit.py --workdir runs/unit_fonts
  python launch.py --config experiments/unit.py:data=sneaker2boot --workdir runs/unit_s2b

Args: ``data=fonts_unpaired|sneaker2boot|folder2`` (``path=``, ``path_a=``, ``path_b=``
for folder2), ``size=``, ``blocks=`` (residual blocks per encoder and per generator,
the shared one included), ``steps=`` (0: the default), ``smoke``.

The paper's / authors' code's settings next to the defaults here (sized for 2 CPU cores):

| | paper / authors' code | here |
| --- | --- | --- |
| images | 256 x 256 (street scenes, animals, faces) | 32 x 32 glyphs / Fashion-MNIST |
| E, G | 3 convs + 4 residual blocks each way, width 64; last E / first G block shared (paper, 2017 code; the later code shares none) | CycleGAN's convs + 3 blocks each way, width 16, the paper's sharing |
| D | 3-scale PatchGAN (later code), least squares | one 70x70 PatchGAN of width 16 (sees all of a 32-px image), least squares |
| weights | GAN 1 (per scale), reconstruction 10, KL 0.01, cycle 10, cycle KL 0.01 (later code) | the same, one scale |
| optimizer | Adam 1e-4, betas (0.5, 0.999), weight decay 1e-4, rate halved every 100k steps, batch 1 | the same Adam without weight decay, constant rate, batch 8 |
| length | up to 1M iterations | 2,000 steps |
"""
from experiments import cyclegan
from gan_jax import config as config_lib
from gan_jax.methods import unit

DATA = cyclegan.DATA


def get_config(arg=None):
  arg = config_lib.parse_arg(arg, data="fonts_unpaired", path="", path_a="", path_b="",
                             size=0, blocks=3, steps=0, smoke=False)
  if arg.data not in DATA:
    raise ValueError(f"data={arg.data!r}: use one of {', '.join(DATA)}.")
  c = config_lib.base()
  c.method = "unit"
  cyclegan.set_data(c, arg)
  m = c.model
  m.name, m.width, m.d_width, m.blocks, m.patch = "unit", 16, 16, arg.blocks, "70"
  m.g_norm, m.d_norm, m.pool_size = "instance", "none", 0
  c.loss.name = "least_squares"
  # gan_jax's least-squares G term is 1/2 E[(D - 1)^2], the authors' E[(D - 1)^2]: 2 x 1.
  c.loss.gan_weight = 2.0
  c.loss.cycle_a_weight = c.loss.cycle_b_weight = 10.0
  c.loss.identity_weight = 0.0
  for key, weight in unit.TERM_WEIGHTS.items():
    c.loss[key] = weight
  for net in ("g", "d"):
    c.optim[net] = config_lib.optimizer("adam", lr=1e-4, b1=0.5, b2=0.999)
  return cyclegan.finish(c, arg)
