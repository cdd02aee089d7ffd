"""The domain classifier used by the image metrics (IS, FID/KID/PR on its features, class
coverage): a small ConvNet trained on the real training split, tested on the test split.

  python launch.py --config experiments/classifier.py --workdir artifacts/classifier_fashion_mnist

  python launch.py --config experiments/classifier.py:data=fonts --workdir artifacts/classifier_fonts

  python launch.py --config experiments/classifier.py:data=fonts_both --workdir artifacts/classifier_fonts_both
  python launch.py --config experiments/classifier.py:data=fonts_style --workdir artifacts/classifier_fonts_style

Args: ``data=fashion_mnist|mnist|fonts|fonts_both|fonts_style``, ``smoke`` (one short
epoch on a subset-sized run). ``fonts``: the character classifier of the Ming (target)
glyphs, at 32 px, on random affine copies (gan_jax/classifier.py), for pix2pix's
FCN-score analog on `fonts`; ``fonts_both``: the character classifier of both fonts'
glyphs (content preservation of Kai <-> Ming translations, `fonts_unpaired`);
``fonts_style``: Kai / Ming (the style score of those translations), trained on the
training characters, tested on the held-out ones.
"""
from gan_jax import config as config_lib


def get_config(arg=None):
  arg = config_lib.parse_arg(arg, data="fashion_mnist", smoke=False)
  c = config_lib.base()
  c.method = "classifier"
  c.data.name = arg.data
  c.data.batch_size = 128
  c.model.name, c.model.width = "classifier", 32
  c.train.epochs = 8
  c.optim.d = config_lib.optimizer("adam", lr=2e-3)
  c.eval.metrics = ()
  glyphs = arg.data in ("fonts", "fonts_both", "fonts_style")
  if glyphs:  # one image per class (per font): many short epochs of affine copies
    c.data.image_size = 32
    c.train.epochs = {"fonts": 120, "fonts_both": 60, "fonts_style": 10}[arg.data]
  if arg.smoke:
    c.train.epochs, c.model.width = 1, 4
    if glyphs:  # 64 characters, 400 steps: ~90% on held-out copies (fonts)
      c.data.limit, c.data.batch_size = 64, 16
      c.train.epochs = {"fonts": 100, "fonts_both": 50, "fonts_style": 20}[arg.data]
  c.lock()
  return c
