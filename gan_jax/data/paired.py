"""Paired image-to-image sources: batches of (input `a`, target `b`) examples.

A `PairedSource` holds one split as uint8 arrays `a` [N, H, W, Ca] and `b` [N, H, W, Cb]
(same N, same H and W) and serves ``batch(index) -> {"a", "b", "y" where labelled}``
in [-1, 1] by the rules of `images.ImageSource`: epoch e = index // batches_per_epoch
is the permutation ``default_rng([seed, e])``, and with `flip` the same horizontal flip
is applied to an example's `a` and `b` (a flipped input must map to a flipped target).
"""
from __future__ import annotations

import numpy as np

from gan_jax.data import images as images_lib


class PairedSource:
  """Random-access (input, target) batches of one split.

  Attributes: `shape` (one target's shape), `input_shape` (one input's shape), `size`,
  `batch_size`, `num_classes` (0 without labels), `name`, `batches_per_epoch`.
  """

  def __init__(self, a: np.ndarray, b: np.ndarray, labels, batch_size: int, seed: int,
               flip: bool = False, name: str = "paired", num_classes: int = 0):
    if len(a) != len(b) or a.shape[1:3] != b.shape[1:3]:
      raise ValueError(f"{name}: inputs {a.shape} and targets {b.shape} must have the same "
                       "number of examples and the same height and width.")
    if labels is not None and len(labels) != len(a):
      raise ValueError(f"{name}: {len(labels)} labels for {len(a)} examples.")
    self.a, self.b = a, b
    self.labels = None if labels is None else np.asarray(labels, np.int32)
    self.batch_size, self.seed, self.flip, self.name = batch_size, seed, flip, name
    self.num_classes = num_classes
    self.size = len(a)
    self.shape, self.input_shape = tuple(b.shape[1:]), tuple(a.shape[1:])
    self.epochs = images_lib.Epochs(self.size, batch_size, seed, name=name)
    self.batches_per_epoch = self.epochs.batches_per_epoch

  def _take(self, rows: np.ndarray) -> dict:
    out = {"a": images_lib.to_float(self.a[rows]), "b": images_lib.to_float(self.b[rows])}
    if self.labels is not None:
      out["y"] = self.labels[rows]
    return out

  def batch(self, index: int) -> dict:
    """{"a": float32 [B, H, W, Ca], "b": float32 [B, H, W, Cb] in [-1, 1], "y": int32 [B]
    where labelled}: batch `index` of the seeded stream."""
    out = self._take(self.epochs.rows(index))
    if self.flip:
      flips = images_lib.flip_mask(self.seed, index, self.batch_size)
      for k in ("a", "b"):
        out[k][flips] = out[k][flips, :, ::-1]
    return out

  def examples(self, n: int | None = None, seed: int = 0) -> dict:
    """`n` examples chosen by `seed` (sorted indices; all, in order, when None), without
    flips: the batch keys over [n, ...], for evaluation and `--mode sample`."""
    return self._take(images_lib.choose(self.size, n, seed, self.name))

  def arrays(self, n: int | None = None, seed: int = 0):
    """(targets [n, ...], labels or None) as `ImageSource.arrays`: the real images of the
    target domain, e.g. for FID references and for training a target-domain classifier."""
    out = self.examples(n, seed)
    return out["b"], out.get("y")

  def reference(self, n: int, seed: int) -> np.ndarray:
    return self.examples(n, seed)["b"]
