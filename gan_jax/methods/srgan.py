"""SRGAN and SRResNet (Ledig et al., 2017): 4x single-image super-resolution.

The input is the target downsampled by `model.scale` (`downsample`: bicubic with
antialiasing, the paper's LR images), so any image data set serves: Fashion-MNIST 28 px
(7 -> 28), glyphs 64 px (16 -> 64), photo crops. With HR images from a paired source
(`fonts`, ...) the target `b` is super-resolved and `a` is ignored.

  l_SR = content_weight * l_X + gan_weight * l_Gen                       (Eq. 3)

- `loss.content` = ``mse``: l_X = mean (G(a) - b)^2 over pixels in [-1, 1] (Eq. 4, the
  MSE-based SRResNet / SRGAN-MSE);
- ``features``: l_X = mean (phi(G(a)) - phi(b))^2 over a feature map phi of a frozen
  classifier (Eq. 5, the paper's VGG54 loss: the last conv layer's activations, after
  the ReLU). Here phi is the in-framework domain classifier (`gan_jax.classifier`
  ConvNet, `loss.content_network`, default the cached `experiments/classifier.py:content`: a
  classifier trained with another seed than the one the scores use, so the loss does not
  optimise the evaluation's own features), layer `loss.content_layer` (``conv2``: its
  last conv, the VGG54 analog; ``conv1``; ``dense``: the 128-d features). The paper
  rescales its VGG loss by 1/12.75 to match the MSE's scale; `loss.feature_scale`
  plays that role (see experiments/srgan.py for the value measured here). Pretrained
  VGG weights are not available offline; this framework does not convert them.
- l_Gen = the adversarial loss `loss.name` (non-saturating: -log D(G(a)), Eq. 6) with
  gan_weight 1e-3; gan_weight 0 is the SRResNet baseline.

D (`networks/srresnet.py`) sees the SR or HR image alone (not a conditional D).
"""
from __future__ import annotations


import jax
import jax.numpy as jnp
import numpy as np

from gan_jax import classifier as classifier_lib, parallel
from gan_jax.methods import _paired
from gan_jax.networks import srresnet

HPARAM_KEYS = ("loss.gan_weight", "loss.content_weight")
CONTENTS = ("mse", "features")
LAYERS = {"conv1": "Conv_0", "conv2": "Conv_1", "dense": "Dense_0"}


def downsample(images, scale: int):
  """[N, H, W, C] -> [N, H / scale, W / scale, C]: bicubic with antialiasing
  (`jax.image.resize`), clipped to [-1, 1]."""
  n, h, w, c = images.shape
  small = jax.image.resize(jnp.asarray(images), (n, h // scale, w // scale, c), "bicubic",
                           antialias=True)
  return jnp.clip(small, -1.0, 1.0)


def upsample_bicubic(images, scale: int):
  """The bicubic baseline: [N, h, w, C] -> [N, scale h, scale w, C] in [-1, 1]."""
  n, h, w, c = images.shape
  return jnp.clip(jax.image.resize(jnp.asarray(images), (n, h * scale, w * scale, c),
                                   "bicubic"), -1.0, 1.0)


def content_path(config) -> str:
  """`loss.content_network`, else the cached `experiments/classifier.py:content` of the
  data's domain (built on first use, like the evaluation classifier)."""
  args = ",".join(filter(None, ["content", config.eval.classifier_args]))
  return classifier_lib.ensure(config.loss.content_network,
                               classifier_lib.domain(config.data.name) or config.data.name,
                               args)


def feature_map(model, variables, layer: str):
  """images -> the activations (after ReLU) of `layer` of a classifier ConvNet."""
  if layer not in LAYERS:
    raise ValueError(f"loss.content_layer={layer!r}: use one of {', '.join(LAYERS)}.")

  def phi(images):
    _, state = model.apply(variables, images, train=False, capture_intermediates=True,
                           mutable=["intermediates"])
    return jax.nn.relu(state["intermediates"][LAYERS[layer]]["__call__"][0])
  return phi


class SRGAN(_paired.Paired):

  def __init__(self, config, data_shape, ctx=parallel.Context()):
    super().__init__(config, data_shape, srresnet.build(config, data_shape, ctx.axis_name), ctx)
    self.scale = int(config.model.scale)
    self.content_kind = config.loss.content
    if self.content_kind not in CONTENTS:
      raise ValueError(f"loss.content={self.content_kind!r}: use one of {', '.join(CONTENTS)}.")
    self.phi, self.feature_scale = None, float(config.loss.feature_scale)
    if self.content_kind == "features":
      try:
        path = content_path(config)
      except classifier_lib.Unavailable as e:
        raise FileNotFoundError(f"loss.content=features needs a feature network "
                                f"(loss.content_network): {e}") from None
      model, variables, self.content_info = classifier_lib.load(path)
      self.phi = feature_map(model, jax.device_put(variables), config.loss.content_layer)

  def target(self, batch):
    return batch["b"] if "b" in batch else batch["x"]

  def g_input(self, batch):
    return downsample(self.target(batch), self.scale)

  def content(self, fake, batch):
    b = self.target(batch)
    if self.phi is None:
      return jnp.mean((fake - b) ** 2)
    return self.feature_scale * jnp.mean((self.phi(fake) - jax.lax.stop_gradient(self.phi(b))) ** 2)

  def d_loss(self, d_params, d_collections, batch, fake, key, hp, ctx, d_update, reg_config):
    return super().d_loss(d_params, d_collections, {**batch, "b": self.target(batch)}, fake,
                          key, hp, ctx, d_update, reg_config)

  def conditions(self, n: int, seed: int, data=None, **options) -> dict:
    """Held-out HR images b, their LR inputs a, labels y where the data have them."""
    del options
    if data is None:
      raise ValueError("SRGAN samples from held-out data; pass the split.")
    b, y = data.arrays(None if n >= data.size else n, seed)
    out = {"a": np.asarray(downsample(b, self.scale)), "b": np.asarray(b, np.float32)}
    if y is not None:
      out["y"] = np.asarray(y, np.int32)
    return out

  def sample(self, g_vars, conditions: dict) -> dict:
    return {"x": self.G.apply(g_vars, conditions["a"], train=False)}


def build(config, data_shape, ctx=parallel.Context()):
  return SRGAN(config, data_shape, ctx)
