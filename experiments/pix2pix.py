"""pix2pix (Isola et al., 2017): paired image-to-image translation with a U-Net G,
a PatchGAN D and L1 + conditional GAN loss (gan_jax/methods/pix2pix.py).

  python launch.py --config experiments/pix2pix.py --workdir runs/pix2pix
  python launch.py --config experiments/pix2pix.py:loss=l1 --workdir runs/pix2pix_l1

Args:
- ``data=edges2fashion|mosaic|fonts|folder_pairs`` (gan_jax/data/translation.py);
  ``path=`` (mosaic: ``photos`` or a folder; folder_pairs: the A|B layout),
  ``path_a=``, ``path_b=`` (folder_pairs by file name), ``size=`` (image size; 0: the
  data set's, 32 for edges2fashion and mosaic, 64 for fonts);
- ``loss=l1|gan|cgan|l1+gan|l1+cgan`` (the paper's Table 1 objectives; lambda = 100);
- ``l1_weight=`` lambda for the objectives with L1 (0: the paper's 100; a lower one is
  measured on fonts in docs/figures.md);
- ``patch=1|16|34|70|142|286|full`` (D's receptive field; Table 2);
- ``g=unet|encdec`` (with or without the skip connections; Fig. 5);
- ``steps=`` (0: the default), ``smoke``.

Defaults sized for 2 CPU cores (a few minutes each on an unshared machine): G and D
widths 16 (the paper: 64), batch 32 (the paper: 1 to 10; batch statistics, not instance
norm), 1,500 steps (0.8 epochs of edges2fashion); fonts (64 px): batch 16, 3,000 steps
(14 epochs of the 3,379 training characters; at 1,500 G still draws faint strokes,
docs/figures.md).
Adam 2e-4, beta1 0.5 as in the paper; the paper halves D's objective, which Adam's
scale invariance makes a no-op, so it is not done here.
"""
from gan_jax import config as config_lib

LOSSES = {  # loss -> (gan_weight, content_weight = lambda, D sees the input too)
    "l1": (0.0, 100.0, False),
    "gan": (1.0, 0.0, False),
    "cgan": (1.0, 0.0, True),
    "l1+gan": (1.0, 100.0, False),
    "l1+cgan": (1.0, 100.0, True),
}
DATA = ("edges2fashion", "mosaic", "fonts", "folder_pairs")


def get_config(arg=None):
  arg = config_lib.parse_arg(arg, data="edges2fashion", path="", path_a="", path_b="",
                             size=0, loss="l1+cgan", l1_weight=0.0, patch="70", g="unet", steps=0,
                             smoke=False)
  if arg.loss not in LOSSES:
    raise ValueError(f"loss={arg.loss!r}: use one of {', '.join(LOSSES)}.")
  if arg.data not in DATA:
    raise ValueError(f"data={arg.data!r}: use one of {', '.join(DATA)}.")
  c = config_lib.base()
  c.method = "pix2pix"
  c.data.name, c.data.path, c.data.path_a, c.data.path_b = (arg.data, arg.path, arg.path_a,
                                                            arg.path_b)
  c.data.image_size = arg.size
  c.data.batch_size = 32

  c.model.name = "pix2pix"
  c.model.g = arg.g
  c.model.patch = arg.patch
  c.model.width = 16
  c.model.d_width = 16
  c.model.dropout = 0.5
  c.model.dropout_layers = 3
  gan_weight, content_weight, conditional = LOSSES[arg.loss]
  c.model.d_conditional = conditional

  c.loss.name = "nonsaturating"
  c.loss.gan_weight = gan_weight
  if arg.l1_weight < 0:
    raise ValueError(f"l1_weight={arg.l1_weight:g}: lambda must be positive (0: the paper's "
                     "100).")
  if arg.l1_weight:
    if not content_weight:
      raise ValueError(f"l1_weight={arg.l1_weight:g} with loss={arg.loss}, which has no L1 "
                       "term: use loss=l1, l1+gan or l1+cgan.")
    content_weight = arg.l1_weight
  c.loss.content_weight = content_weight   # lambda, the L1 weight (Eq. 4)

  for net in ("g", "d"):
    c.optim[net] = config_lib.optimizer("adam", lr=2e-4, b1=0.5, b2=0.999)
  if arg.data == "fonts":
    c.data.batch_size = 16
  c.train.steps = arg.steps or (3000 if arg.data == "fonts" else 1500)
  c.log.every, c.sample.every, c.ckpt.every = 100, 1000, 1000
  c.eval.every = c.train.steps
  c.eval.metrics = ("paired",)
  c.eval.num_samples = 1000   # held-out pairs (all of them when the split is smaller)
  c.sample.num = 24
  if arg.smoke:
    config_lib.smoke(c)
    c.data.limit = 512 if arg.data != "fonts" else 64  # fonts: the smoke classifier's 64
    c.model.d_width = 8
    c.eval.every = c.train.steps
    c.eval.num_samples, c.sample.num = 64, 6
  c.lock()
  return c


def get_sweep(arg=None):
  """The five objectives of Table 1 as one sweep: their loss weights (step arrays) and
  what D sees (``launch.py --config experiments/pix2pix.py --sweep --workdir DIR``), with
  the paper's lambda = 100 (the sweep sets the weights; ``loss=`` and ``l1_weight=`` do
  not apply to it)."""
  del arg
  return [{"loss.gan_weight": g, "loss.content_weight": l, "model.d_conditional": c}
          for g, l, c in LOSSES.values()]
