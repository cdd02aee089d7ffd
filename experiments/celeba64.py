"""The CelebA 64x64 GAN of the lecture notes' Keras example: its architecture
(`networks/celeba_keras.py`: 5x5 filters, capacity factor 16) and settings: z dim 100,
batch 32, one D and one G update per iteration, Adam 2e-4, non-saturating loss, a
sample grid every 80 iterations.

Data: ``celeb_a`` through tensorflow-datasets (needs a prepared or downloadable copy),
or any folder of face images with ``data=folder,path=DIR`` (center-cropped and resized
to 64x64), e.g. a folder of anime faces. Args: ``data=``, ``path=``, ``smoke``.
"""
from gan_jax import config as config_lib


def get_config(arg=None):
  arg = config_lib.parse_arg(arg, data="celeb_a", path="", smoke=False)
  c = config_lib.base()
  config_lib.set_data(c, arg.data, arg.path)
  c.data.image_size, c.data.channels = 64, 3
  c.model.name, c.model.width, c.model.kernel_size, c.model.z_dim = "celeba_keras", 16, 5, 100
  c.loss.name = "nonsaturating"
  c.data.batch_size = 32
  c.train.steps = 10_000
  for net in ("g", "d"):
    c.optim[net] = config_lib.optimizer("adam", lr=2e-4, b1=0.5, b2=0.999)
  c.eval.metrics = ()
  c.log.every, c.sample.every, c.eval.every, c.ckpt.every = 80, 80, 1000, 1000
  if arg.smoke:
    config_lib.smoke(c)
    c.model.width = 4
  c.lock()
  return c
