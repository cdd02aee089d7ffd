"""The domain classifier used by the image metrics (IS, FID/KID/PR on its features, class
coverage): a small ConvNet trained on the real training split, tested on the test split.

  python launch.py --config experiments/classifier.py

Without --workdir it goes to the user cache ($GAN_JAX_CACHE/classifiers/<data>-<version>,
default ~/.cache/gan_jax), where every run's evaluation finds it; a run that needs it
and finds none builds it there itself (gan_jax/classifier.py, `ensure`).

  python launch.py --config experiments/classifier.py:data=fonts

  python launch.py --config experiments/classifier.py:data=fonts_both
  python launch.py --config experiments/classifier.py:data=fonts_style

Args: ``data=fashion_mnist|mnist|fonts|fonts_both|fonts_style``, ``smoke`` (one short
epoch on a subset-sized run), ``content`` (another seed and 2 epochs: the feature network
of SRGAN's content loss, kept apart from the classifier that scores the outputs).
``fonts``: the character classifier of the Ming (target) glyphs, at 32 px, on random
affine copies (gan_jax/classifier.py), for pix2pix's FCN-score analog on `fonts`;
``characters=test`` (default: the 376 characters pix2pix holds out, 300 epochs) or
``all`` (3,755 classes: 120 epochs reached only 2.6% on held-out copies; 1,000 epochs
are set, not measured here). ``fonts_both``: the same character classifier trained on
both fonts' glyphs (content preservation of Kai <-> Ming translations on
`fonts_unpaired`, whose test split is the same 376 characters), ``characters`` as for
``fonts`` (150 / 500 epochs: the same number of steps over twice the images; not
measured here). ``fonts_style``: Kai / Ming (the style score of those translations),
trained on the training characters, tested on the held-out ones.
"""
from gan_jax import config as config_lib

GLYPHS = ("fonts", "fonts_both", "fonts_style")


def get_config(arg=None):
  arg = config_lib.parse_arg(arg, data="fashion_mnist", characters="test", smoke=False,
                             content=False)
  c = config_lib.base()
  c.method = "classifier"
  c.data.name = arg.data
  c.data.batch_size = 128
  c.model.name, c.model.width = "classifier", 32
  c.train.epochs = 8
  c.optim.d = config_lib.optimizer("adam", lr=2e-3)
  c.eval.metrics = ()
  if arg.data in ("fonts", "fonts_both"):  # one image per class (per font): many short
    c.data.characters = arg.characters      # epochs of affine copies
    c.data.image_size, c.data.batch_size = 32, 64
    c.train.epochs = 300 if arg.characters == "test" else 1000
    if arg.data == "fonts_both":  # twice the images per epoch: the same number of steps
      c.train.epochs //= 2
  if arg.data == "fonts_style":  # Kai / Ming over the 3,379 training characters' glyphs
    c.data.image_size, c.train.epochs = 32, 10
  if arg.content:
    c.seed, c.train.epochs = 1, 2
  if arg.smoke:
    c.train.epochs, c.model.width = 1, 4
    if arg.data in GLYPHS:  # 64 characters, 400 steps: ~50% on held-out copies (fonts)
      if arg.data != "fonts_style":
        c.data.characters = "all"
      c.data.limit, c.data.batch_size = 64, 16
      c.train.epochs = {"fonts": 100, "fonts_both": 50, "fonts_style": 20}[arg.data]
  c.lock()
  return c
