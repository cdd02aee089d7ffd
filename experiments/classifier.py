"""The domain classifier used by the image metrics (IS, FID/KID/PR on its features, class
coverage): a small ConvNet trained on the real training split, tested on the test split.

  python launch.py --config experiments/classifier.py

Without --workdir it goes to the user cache ($GAN_JAX_CACHE/classifiers/<data>-<version>,
default ~/.cache/gan_jax), where every run's evaluation finds it; a run that needs it
and finds none builds it there itself (gan_jax/classifier.py, `ensure`).

  python launch.py --config experiments/classifier.py:data=fonts

Args: ``data=fashion_mnist|mnist|fonts``, ``smoke`` (one short epoch on a subset-sized
run), ``content`` (another seed and 2 epochs: the feature network of SRGAN's content
loss, kept apart from the classifier that scores the outputs). ``fonts``: the character classifier of the Ming (target) glyphs, at 32 px, on
random affine copies (gan_jax/classifier.py), for pix2pix's FCN-score analog on `fonts`;
``characters=test`` (default: the 376 characters pix2pix holds out, 300 epochs) or
``all`` (3,755 classes: 120 epochs reached only 2.6% on held-out copies; 1,000 epochs
are set, not measured here).
"""
from gan_jax import config as config_lib


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
  if arg.data == "fonts":  # one image per class: many short epochs of affine copies
    c.data.characters = arg.characters
    c.data.image_size, c.data.batch_size = 32, 64
    c.train.epochs = 300 if arg.characters == "test" else 1000
  if arg.content:
    c.seed, c.train.epochs = 1, 2
  if arg.smoke:
    c.train.epochs, c.model.width = 1, 4
    if arg.data == "fonts":  # 64 characters, 400 steps: ~50% on held-out copies
      c.data.characters = "all"
      c.data.limit, c.data.batch_size, c.train.epochs = 64, 16, 100
  c.lock()
  return c
