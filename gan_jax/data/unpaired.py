"""Unpaired translation sources: batches of domain-A and domain-B images drawn
independently (CycleGAN's setting: no example of one domain has a partner in the other).

Each side is its own stream over its own examples: side s (0 for A, 1 for B) reads
epoch e as the permutation ``default_rng([seed, e, s])``, so the two sides may have
different sizes and each cycles through its own epochs; with `flip`, each side's
flips are independent too. ``batch(index)`` is random access, so a resumed run
continues with the very next pair of batches.
"""
from __future__ import annotations

import numpy as np

from gan_jax.data import images as images_lib


class UnpairedSource:
  """Random-access batches {"a": [B, ...], "b": [B, ...]} of one split.

  `aligned`: a[i] and b[i] show the same item in the two domains (e.g. one character
  in two fonts, on a test split); `examples` then picks the same rows on both sides.
  `labels_a`, `labels_b`: optional int labels of each side's examples (e.g. character
  indices, for scoring content preservation), returned by `examples(labels=True)`.
  Attributes: `shape` (one b's shape), `input_shape` (one a's shape), `size` (the
  larger side), `sizes` (both), `batch_size`, `name`, `num_classes` (0).
  """

  num_classes = 0

  def __init__(self, a: np.ndarray, b: np.ndarray, batch_size: int, seed: int,
               flip: bool = False, name: str = "unpaired", aligned: bool = False,
               labels_a=None, labels_b=None):
    if aligned and len(a) != len(b):
      raise ValueError(f"{name}: aligned sides need equal sizes, got {len(a)} and {len(b)}.")
    self.a, self.b, self.aligned = a, b, aligned
    self.labels = [None if y is None else np.asarray(y, np.int32) for y in (labels_a, labels_b)]
    self.batch_size, self.seed, self.flip, self.name = batch_size, seed, flip, name
    self.sizes = (len(a), len(b))
    self.size = max(self.sizes)
    self.shape, self.input_shape = tuple(b.shape[1:]), tuple(a.shape[1:])
    self.epochs = [images_lib.Epochs(len(x), batch_size, seed, side=s, name=f"{name} side {k}")
                   for s, (k, x) in enumerate((("a", a), ("b", b)))]

  def batch(self, index: int) -> dict:
    """{"a": float32 [B, ...], "b": float32 [B, ...]} in [-1, 1], drawn independently."""
    out = {}
    for side, (key, images) in enumerate((("a", self.a), ("b", self.b))):
      x = images_lib.to_float(images[self.epochs[side].rows(index)])
      if self.flip:
        flips = images_lib.flip_mask(self.seed, index, len(x), side=side)
        x[flips] = x[flips, :, ::-1]
      out[key] = x
    return out

  def examples(self, n: int | None = None, seed: int = 0, labels: bool = False) -> dict:
    """{"a": [n, ...], "b": [n, ...]}: `n` of each side chosen by `seed` (sorted indices;
    all, in order, when None), no flips. Aligned sources pick the same rows on both sides
    (a[i], b[i] are one item); otherwise each side has its own choice. `labels=True`
    adds "y_a" and "y_b", the chosen examples' labels, where the source has them."""
    rows_a = images_lib.choose(self.sizes[0], n, seed, f"{self.name} side a")
    rows_b = rows_a if self.aligned else images_lib.choose(
        self.sizes[1], n, seed, f"{self.name} side b", stream=1)
    out = {"a": images_lib.to_float(self.a[rows_a]), "b": images_lib.to_float(self.b[rows_b])}
    for key, y, rows in (("y_a", self.labels[0], rows_a), ("y_b", self.labels[1], rows_b)):
      if labels and y is not None:
        out[key] = y[rows]
    return out

  def reference(self, n: int, seed: int) -> np.ndarray:
    """`n` real images of domain B (the A -> B direction's reference), chosen by `seed`."""
    rows = images_lib.choose(self.sizes[1], n, seed, f"{self.name} side b", stream=1)
    return images_lib.to_float(self.b[rows])
