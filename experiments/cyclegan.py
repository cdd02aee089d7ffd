"""Unpaired image-to-image translation: CycleGAN (Zhu et al., 2017) and its relatives
DiscoGAN (Kim et al., 2017) and DualGAN (Yi et al., 2017), one loss with different
networks and weights (gan_jax/methods/_unpaired.py).

  python launch.py --config experiments/cyclegan.py --workdir runs/cyclegan_fonts
  python launch.py --config experiments/cyclegan.py:data=sneaker2boot --workdir runs/s2b
  python launch.py --config experiments/cyclegan.py:ablation=gan_only,identity=0 --workdir runs/gan_only

Args:
- ``data=fonts_unpaired|sneaker2boot|folder2`` (gan_jax/data/translation.py): Kai <-> Ming
  glyphs with disjoint training characters (32 px here), Fashion-MNIST sneakers <->
  ankle boots (32 px), or a user's two folders (``path_a=``, ``path_b=``, or ``path=`` with
  trainA/ trainB/ testA/ testB/; 64 px); ``size=`` overrides the image size;
- ``variant=cyclegan|discogan|dualgan``;
- ``ablation=full|cycle_only|gan_only|forward|backward``: the loss terms of CycleGAN's
  Table 4: all of them; the cycles without the GAN terms; the GAN terms without cycles;
  GAN + forward cycle (A -> B -> A); GAN + backward cycle (B -> A -> B);
- ``identity=`` the identity term's weight as a share of the cycle weight (CycleGAN
  only; 0.5 in the authors' code, 0 in the paper's Table 4 ablation);
- ``blocks=`` residual blocks of CycleGAN's generators (6; the paper: 6 at 128 px, 9 at
  256 px); ``steps=`` (0: the default), ``smoke``.

The paper's settings next to the defaults here (sized for 2 CPU cores):

| | paper (CycleGAN) | here |
| --- | --- | --- |
| images | 256 x 256 (128 for some) | 32 x 32 |
| G | ResNet, width 64, 9 blocks | ResNet, width 16, 6 blocks |
| D | 70x70 PatchGAN, width 64, instance norm | the same layers, width 16 (on 32 px a 70x70 patch sees the whole image) |
| batch | 1 | 8 |
| loss | least squares, lambda 10, identity 0.5 lambda | the same |
| pool | 50 images per D | 50 |
| optimizer | Adam 2e-4, betas (0.5, 0.999), 100 epochs + 100 of linear decay | the same rates, `linear_after` decay from half of the steps |
| length | 200 epochs (e.g. 1,000 images: 200k steps) | 2,000 steps (~9 epochs of the fonts) |

DiscoGAN (`variant=discogan`): encoder-decoder G and DCGAN-like D with BatchNorm
(width 16; the paper's 64), non-saturating GAN loss, squared-error reconstructions of
weight 1 (Eq. 5), no pool, Adam 2e-4, betas (0.5, 0.999). DualGAN (`variant=dualgan`):
pix2pix's U-Net (dropout as noise) and 70x70 PatchGAN (width 16), WGAN loss with weight
clipping c = 0.01, two critic updates per step, RMSProp 5e-5, L1 reconstructions of
weight lambda = 100 (the paper: within [100, 1000]).
"""
from gan_jax import config as config_lib

DATA = ("fonts_unpaired", "sneaker2boot", "folder2")
VARIANTS = ("cyclegan", "discogan", "dualgan")
# ablation -> (GAN terms on, forward cycle on, backward cycle on)
ABLATIONS = {"full": (1, 1, 1), "cycle_only": (0, 1, 1), "gan_only": (1, 0, 0),
             "forward": (1, 1, 0), "backward": (1, 0, 1)}
# variant -> (gan_weight, cycle weight lambda): the GAN term of the least-squares loss
# is 1/2 E[(D - 1)^2] in gan_jax.losses, the CycleGAN paper's E[(D - 1)^2], hence 2.
WEIGHTS = {"cyclegan": (2.0, 10.0), "discogan": (1.0, 1.0), "dualgan": (1.0, 100.0)}


def get_config(arg=None):
  arg = config_lib.parse_arg(arg, data="fonts_unpaired", path="", path_a="", path_b="",
                             size=0, variant="cyclegan", ablation="full", identity=0.5,
                             blocks=6, steps=0, smoke=False)
  for key, value, valid in (("data", arg.data, DATA), ("variant", arg.variant, VARIANTS),
                            ("ablation", arg.ablation, tuple(ABLATIONS))):
    if value not in valid:
      raise ValueError(f"{key}={value!r}: use one of {', '.join(valid)}.")
  c = config_lib.base()
  c.method = arg.variant
  set_data(c, arg)

  m = c.model
  m.width, m.d_width, m.blocks, m.patch = 16, 16, arg.blocks, "70"
  m.pool_size = 0
  m.g, m.dropout, m.dropout_layers = "unet", 0.5, 3  # DualGAN's U-Net (pix2pix's)
  gan_weight, lam = WEIGHTS[arg.variant]
  on_gan, on_forward, on_backward = ABLATIONS[arg.ablation]
  c.loss.gan_weight = gan_weight * on_gan
  c.loss.cycle_a_weight = lam * on_forward   # forward: |G_ba(G_ab(a)) - a|
  c.loss.cycle_b_weight = lam * on_backward  # backward: |G_ab(G_ba(b)) - b|
  c.loss.identity_weight = 0.0
  if arg.variant == "cyclegan":
    m.name, m.g_norm, m.d_norm, m.pool_size = "cyclegan", "instance", "instance", 50
    c.loss.name = "least_squares"
    c.loss.identity_weight = arg.identity * lam
    for net in ("g", "d"):
      c.optim[net] = config_lib.optimizer("adam", lr=2e-4, b1=0.5, b2=0.999,
                                          schedule="linear_after", decay_start=0.5)
  elif arg.variant == "discogan":
    m.name, m.g_norm, m.d_norm = "discogan", "batch", "batch"
    c.loss.name = "nonsaturating"
    for net in ("g", "d"):
      c.optim[net] = config_lib.optimizer("adam", lr=2e-4, b1=0.5, b2=0.999)
  else:
    m.name, m.g_norm, m.d_norm = "pix2pix", "batch", "batch"
    c.loss.name = "wasserstein"
    c.regularizers.weight_clip = config_lib.regularizer(c=0.01)
    c.train.n_critic = 2
    for net in ("g", "d"):
      c.optim[net] = config_lib.optimizer("rmsprop", lr=5e-5)

  return finish(c, arg)


def set_data(c, arg) -> None:
  """The data args (`data`, `path`, `path_a`, `path_b`, `size`) of this file and
  unit.py: 32-px glyphs for fonts_unpaired, the data set's size else; batch 8."""
  c.data.name, c.data.path, c.data.path_a, c.data.path_b = (arg.data, arg.path, arg.path_a,
                                                            arg.path_b)
  c.data.image_size = arg.size or (32 if arg.data == "fonts_unpaired" else 0)
  c.data.batch_size = 8


def finish(c, arg):
  """Length (`steps`, default 2,000), logging, the unpaired scores at the last step and
  the `smoke` sizes of this file and unit.py; locks and returns `c`."""
  c.train.steps = arg.steps or 2000
  c.log.every, c.sample.every, c.ckpt.every = 100, 500, 500
  c.eval.every = c.train.steps
  c.eval.metrics = ("unpaired",)
  c.eval.num_samples = 1000  # held-out examples of each domain (all when fewer)
  c.sample.num = 12
  if arg.smoke:
    config_lib.smoke(c)
    c.data.batch_size, c.model.d_width, c.model.blocks = 4, 8, 1
    c.data.limit = 64 if arg.data == "fonts_unpaired" else 256
    c.eval.every = c.train.steps
    c.eval.num_samples, c.sample.num = 32, 6
  c.lock()
  return c


def get_sweep(arg=None):
  """The five loss variants of CycleGAN's Table 4 as one sweep (their loss weights are
  step arrays): ``launch.py --config experiments/cyclegan.py:identity=0 --sweep``."""
  base = get_config(arg)
  gan, lam = base.loss.gan_weight or WEIGHTS[base.method][0], WEIGHTS[base.method][1]
  return [{"loss.gan_weight": gan * g, "loss.cycle_a_weight": lam * f,
           "loss.cycle_b_weight": lam * b} for g, f, b in ABLATIONS.values()]
