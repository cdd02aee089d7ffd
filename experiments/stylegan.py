"""StyleGAN2 (Karras et al., 2020) at small scale: mapping network, modulated /
demodulated convolutions, noise inputs, skip G, residual D with the minibatch stddev,
equalised learning rate, non-saturating logistic loss, style mixing 0.9, lazy R1 (every
16 D updates, weight x 16), optional lazy path length regularisation, truncation at
sampling (gan_jax/methods/stylegan.py, gan_jax/networks/stylegan.py).

Args: ``data=fashion_mnist|mnist|folder`` (``path=DIR``: e.g. anime faces; ``size=64``),
``size=<pixels>`` (0: the data's own; 28, or s0 2^k with s0 = 4: 16, 32, 64, ...),
``paper`` (the paper's networks and settings, for a GPU), ``smoke``.

Fashion-MNIST runs at its own 28 px (a 7x7 constant, then 14 and 28) so that the
Fashion-MNIST classifier scores it beside DCGAN and WGAN-GP; ``size=32`` gives the
paper's 4x4 constant (8, 16, 32) but no classifier scores (they are for 28 px).

| setting | paper (config F; stylegan2-ada-pytorch) | default here (2 CPU cores) |
| --- | --- | --- |
| z, w dims | 512, 512 | 128, 128 |
| mapping | 8 layers, lr x 0.01 | 2 layers (ADA's low-res `cifar` config), lr x 0.01 |
| channels | 512 up to 32 px, halved per doubling above | width 16 at the output size, x2 per halving (28: 16, 14: 32, 7: 64) |
| batch, Adam | 32; lr 0.002, betas (0, 0.99), for lazy regularisation every k steps lr x k/(k+1) and betas ^ k/(k+1) (k = 16 for D, 4 for G) | lr 0.002, betas (0, 0.99) unadjusted (the penalty is added to the ordinary D step, not a separate optimiser step) |
| R1 | gamma 10 (FFHQ), every 16, weight x 16 | gamma 0.01 (ADA's CIFAR value), every 16, x 16 |
| path length | weight 2, every 4, decay 0.01, half batch | off (`--config.stylegan.pl_weight=2.0` turns it on: every 4, whole batch) |
| style mixing | 0.9 | 0.9 |
| G EMA | half-life 10k images (0.9978 at batch 32) | 0.998 |
| w_avg EMA | 0.995 | 0.995 |
| minibatch stddev | groups of 4 | the whole (global) batch |
| up / down | [1,3,3,1] FIR | bilinear resize / 2x2 mean |
| training | 25M images (FFHQ) | 6,000 steps = 192k images |

Time: the default's 6,000 steps took 55.7 min on the shared 2-core machine (load
average 9, the classifier's first build included); its step runs at 0.49-0.96 of DCGAN's
steps/s (docs/benchmarks.md), which puts it at 14-28 min on 2 idle cores (DCGAN's 6,000
steps: 13.8 min). Scores: FID 89.1 (classifier features), README's results table.

``paper`` sets the paper's sizes (z, w 512, 8 mapping layers, width 128: 512 channels at
7 px, 256 at 14, 128 at 28), R1 gamma 10 and path length weight 2; with a GPU also train far longer
(``--config.train.steps=...``).
"""
from gan_jax import config as config_lib


def get_config(arg=None):
  arg = config_lib.parse_arg(arg, data="fashion_mnist", path="", size=0, paper=False,
                             smoke=False)
  c = config_lib.base()
  config_lib.set_data(c, arg.data, arg.path)
  c.data.image_size = arg.size
  if arg.size not in (0, 28):
    c.eval.metrics = ()  # the Fashion-MNIST classifier scores 28 px images
  c.method, c.model.name = "stylegan", "stylegan"
  c.model.z_dim, c.model.width = 128, 16
  c.stylegan = config_lib.ml_collections.ConfigDict(dict(
      w_dim=128, mapping_layers=2, lr_mul=0.01, w_avg_beta=0.995, mixing_prob=0.9,
      pl_weight=0.0, pl_every=4, pl_decay=0.01))
  c.sample.truncation = 1.0  # psi; 1: none
  c.loss.name = "nonsaturating"
  c.regularizers.r1 = config_lib.regularizer(weight=0.01, every=16)
  c.data.batch_size, c.train.steps = 32, 6000
  for net in ("g", "d"):
    c.optim[net] = config_lib.optimizer("adam", lr=0.002, b1=0.0, b2=0.99)
  c.ema.decay = 0.998
  c.log.every, c.sample.every, c.eval.every, c.ckpt.every = 100, 500, 6000, 1000
  if arg.paper:
    c.model.z_dim, c.model.width = 512, 128
    c.stylegan.w_dim, c.stylegan.mapping_layers, c.stylegan.pl_weight = 512, 8, 2.0
    c.regularizers.r1.weight = 10.0
  if arg.smoke:
    config_lib.smoke(c)
    c.model.z_dim = c.stylegan.w_dim = 16
  c.lock()
  return c
