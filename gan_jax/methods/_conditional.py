"""What the class-conditional methods (cgan, projection, acgan) share: G(z, y) and a
D that also reads y, through the one generic train step.

Training: G is conditioned on the labels of the real batch it is paired with (y ~ the
data's class distribution, as BigGAN and StudioGAN draw fake labels), so D sees real
and generated images with the same labels and a gradient penalty interpolates between
pairs that share their label.

Sampling (../shared/DESIGN.md, "Method families"): `conditions(n, seed, labels=...)`
is the class x z layout, interleaved: sample i has the (i mod K)-th requested class
and z column i // K, so every class gets n/K samples (the first n mod K classes one
more) with the same z columns, samples.npz's `y` is balanced, and `grid` draws one
class per row and one z per column. Interleaving (rather than class after class) keeps
every run of consecutive samples balanced, which scores computed over consecutive
splits (the Inception Score's 10 splits) assume.
"""
from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np

from gan_jax import parallel
from gan_jax.methods import gan
from gan_jax.networks import conditional


class ConditionalGan(gan.Gan):
  FAMILY = "class-conditional"
  SAMPLE_KEYS = ("x", "y")
  G_CONDITION = "concat"  # how y enters G and D (networks/conditional.py)
  D_CONDITION = "input"

  def __init__(self, config, data_shape, ctx=parallel.Context()):
    super().__init__(config, data_shape, ctx)
    self.num_classes = int(config.model.num_classes)
    if self.num_classes < 2:
      raise ValueError(
          f"Method {config.method!r} is class-conditional but model.num_classes="
          f"{self.num_classes}. The experiments set it from the data set "
          "(gan_jax.data.datasets.NUM_CLASSES); for data.name=folder set "
          "--config.model.num_classes=<number of class sub-folders>.")
    self.G, self.D = conditional.with_condition(
        self.G, self.D, self.num_classes, self.G_CONDITION, self.D_CONDITION,
        config.model.name)

  def init(self, key, batch):
    k_g, k_d = jax.random.split(key)
    x = jnp.asarray(batch["x"][:2])
    y = jnp.zeros((2,), jnp.int32)
    g_vars = self.G.init(k_g, jnp.zeros((2, self.z_dim)), train=False, y=y)
    d_vars = self.D.init(k_d, x, train=False, y=y)
    return dict(g_vars), dict(d_vars)

  def generate(self, g_vars, batch, key, ctx, train: bool):
    z = self.latent(key, batch["x"].shape[0], ctx)
    return gan.apply(self.G, g_vars, z, train, y=batch["y"])

  def critic(self, variables, x, batch):
    return gan.apply(self.D, variables, x, train=True, y=batch["y"])

  def requested(self, labels=None) -> list[int]:
    """The classes to sample: `labels` (e.g. from --labels 3,7) checked, else all."""
    if labels is None:
      return list(range(self.num_classes))
    classes = [int(c) for c in labels]
    bad = [c for c in classes if not 0 <= c < self.num_classes]
    if not classes or bad or len(set(classes)) != len(classes):
      raise ValueError(f"--labels must be distinct class indices in [0, {self.num_classes}) "
                       f"(model.num_classes={self.num_classes}); got {list(labels)}.")
    return classes

  def conditions(self, n: int, seed: int, data=None, labels=None, **options) -> dict:
    """{"z": [n, z_dim], "y": [n] int32} in the interleaved class x z layout (module
    docstring) for the requested `labels` (default: every class), from `seed`."""
    del data
    if options:
      super().conditions(n, seed, **options)  # the base class names the unknown options
    classes = np.asarray(self.requested(labels), np.int32)
    k = len(classes)
    columns = np.asarray(self.latent(jax.random.PRNGKey(seed), -(-n // k)))
    i = np.arange(n)
    return {"z": columns[i // k], "y": classes[i % k]}

  def interpolation_conditions(self, z, seed: int, pairs: int = 1) -> dict:
    """z's rows in `pairs` equal blocks, block p at class (c0 + p) mod K with c0 drawn
    from `seed`: each walk moves z at a fixed y, neighbouring blocks show other classes."""
    z = np.asarray(z)
    if len(z) % pairs:
      raise ValueError(f"{len(z)} latents do not split into {pairs} equal blocks of walks.")
    first = int(np.random.default_rng(seed).integers(self.num_classes))
    y = (first + np.arange(pairs)) % self.num_classes
    return {"z": z, "y": np.repeat(y, len(z) // pairs).astype(np.int32)}

  def sample(self, g_vars, conditions: dict) -> dict:
    """{"x": G(z, y)} in eval mode (running BatchNorm statistics)."""
    return {"x": self.G.apply(g_vars, conditions["z"], train=False, y=conditions["y"])}

  def grid(self, record: dict):
    """(images, rows): one row per class in order of first appearance, its samples
    along the row (the same z per column in the class x z layout), short rows padded
    white."""
    x, y = np.asarray(record["x"]), np.asarray(record["y"])
    classes = list(dict.fromkeys(y.tolist()))
    rows = [x[y == c] for c in classes]
    cols = max(len(r) for r in rows)
    blank = np.ones((1,) + x.shape[1:], x.dtype)
    cells = [np.concatenate([r] + [blank] * (cols - len(r))) for r in rows]
    return np.concatenate(cells), len(classes)

  def discriminate(self, d_vars, x, y):
    """D(x, y) in eval mode."""
    return self.D.apply(d_vars, x, train=False, y=y)
