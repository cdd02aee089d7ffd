"""Progressive growing of GANs (Karras et al., 2018): G and D grow from 4x4 to the data's
size, each new resolution faded in and then stabilised; equalised learning rate, pixel
norm, minibatch stddev, WGAN-GP with the drift term (gan_jax/methods/progan.py,
gan_jax/networks/progan.py).

Args: ``data=fashion_mnist|mnist|cifar10|celeb_a|folder`` (``path=DIR`` for a folder,
e.g. anime faces), ``size=<pixels>`` (a power of 2 from 8; default 32, or 64 for a
folder), ``paper`` (the paper's settings, for a GPU), ``smoke``.

| setting | paper (authors' config.py, Sec. A.1) | this default (2 CPU cores) |
| --- | --- | --- |
| resolutions | 4 -> 1024 (CelebA-HQ), 4 -> 256 (LSUN), 4 -> 32 (CIFAR-10) | 4 -> 32 (Fashion-MNIST resized) |
| images per fade / per stabilisation | 600k / 600k (paper text: 800k) | 25,600 / 25,600 (400 steps of 64) |
| images in all | 12M (CelebA-HQ, `total_kimg` 12000) | 3,400 steps x 64 = 218k (32 px from step 2,000) |
| channels nf(r) | min(512, 16384 / r) (`width` 512, `fmap_base` 8192) | min(64, 512 / r) (`width` 64, `fmap_base` 256) |
| z | 512-d N(0, I) | 128-d N(0, I) |
| batch | 16 at 1024 px, larger at low resolutions (per GPU count) | 64 throughout |
| optimiser | Adam lr 0.001, beta (0, 0.99), eps 1e-8, reset at each level change | the same |
| loss | WGAN-GP, lambda 10, n_critic 1, drift 0.001 | the same |
| G EMA | 0.999 (`G_smoothing`) | 0.999 |

Time: 19.4 minutes on 2 idle CPU cores (2026-12-08, training with its compiles and
the final scoring; the classifier already cached). The stage steps run at 12.5x, 2.0x,
0.77x and 0.46x the DCGAN-32 step's speed (bench/progan_speed.py, idle), so 1,400
steps at 32 px take most of it. The EMA decay 0.999 (the authors' `G_smoothing`) has
a half-life of 693 steps, a fifth of this run.

The batch at every stage is one size here (one data shape through the run); the
paper's 600k-image phases take 12M images for 1024 px, ~8 GPU-days. ``paper`` sets the
paper's widths, z, 600k-image phases and a step count of 12M images at batch 16 (per
1024 px); at 32 px the authors' CIFAR-10 run used batch 64 and the same phases.
"""
import ml_collections

from gan_jax import config as config_lib


def get_config(arg=None):
  arg = config_lib.parse_arg(arg, data="fashion_mnist", path="", size=0, paper=False,
                             smoke=False)
  c = config_lib.base()
  config_lib.set_data(c, arg.data, arg.path)
  c.method = "progan"
  c.data.image_size = arg.size or (64 if arg.data == "folder" else 32)
  c.model.name, c.model.width, c.model.z_dim = "progan", 64, 128
  c.model.fmap_base = 256  # channels min(64, 512 / r): 64, 64, 32, 16 at 4, 8, 16, 32 px
  c.loss.name = "wasserstein"
  c.loss.drift = 0.001
  c.regularizers.gradient_penalty = config_lib.regularizer(weight=10.0)
  c.train.n_critic = 1
  for net in ("g", "d"):
    c.optim[net] = config_lib.optimizer("adam", lr=1e-3, b1=0.0, b2=0.99)
  c.ema.decay = 0.999
  c.data.batch_size = 64
  c.growth = ml_collections.ConfigDict()
  c.growth.stable_images = 25_600  # images shown to D per stabilisation (400 steps)
  c.growth.fade_images = 25_600    # images over which alpha goes from 0 to 1 (400 steps)
  c.growth.reset_optimizer = True  # Adam's moments to 0 at each fade / stabilisation start
  c.train.steps = 3400  # 4 -> 8 -> 16 -> 32 px by step 2000, then 32 px
  c.log.every, c.sample.every, c.eval.every, c.ckpt.every = 100, 200, 0, 400
  if arg.paper:
    c.model.width, c.model.z_dim, c.model.fmap_base = 512, 512, 8192
    c.growth.stable_images = c.growth.fade_images = 600_000
    c.data.batch_size = 16
    c.train.steps = 12_000_000 // 16
    c.log.every, c.sample.every, c.ckpt.every = 1000, 10_000, 10_000
  if arg.smoke:
    config_lib.smoke(c)
    c.data.image_size = arg.size or 8
    c.model.z_dim = 16
    c.growth.stable_images = c.growth.fade_images = 4 * c.data.batch_size
    c.train.steps = 16
    c.log.every, c.sample.every, c.ckpt.every, c.eval.every = 4, 8, 16, 16
  c.lock()
  return c


def get_sweep(arg=None):
  """2 seeds x the drift weight (array-valued: one vmapped step per stage on an
  accelerator; on CPU the convolutional members run one after another)."""
  from gan_jax import sweep
  return sweep.product(sweep.axis("loss.drift", [0.001, 0.01]), sweep.seeds(2))
