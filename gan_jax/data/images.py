"""Image sources: random-access batches in [-1, 1], NHWC, with labels where they exist.

An `ImageSource` holds the examples of one split (uint8 [N, H, W, C] in memory, or any
random-access sequence of such images, e.g. a `tfds.data_source`) and serves
``batch(index)``: epoch e = index // batches_per_epoch is the permutation
``default_rng([seed, e])`` of the examples, batch `index` is its next slice (the
remainder of an epoch is dropped), flips come from ``default_rng([seed, index])``.
The position in the stream is one integer, saved in every checkpoint.
"""
from __future__ import annotations

import numpy as np
from PIL import Image


def to_float(images: np.ndarray) -> np.ndarray:
  """uint8 [..., C] -> float32 in [-1, 1]."""
  return images.astype(np.float32) / 127.5 - 1.0


def fit(image: np.ndarray, size: int, channels: int) -> np.ndarray:
  """Center-crops to a square, resizes to `size` (bilinear; 0 keeps the size) and
  converts to `channels` (1: luminance, 3: RGB; 0 keeps them). uint8 HWC in and out."""
  if image.ndim == 2:
    image = image[..., None]
  h, w = image.shape[:2]
  if h != w:
    s = min(h, w)
    top, left = (h - s) // 2, (w - s) // 2
    image = image[top:top + s, left:left + s]
  if size and image.shape[0] != size:
    pil = Image.fromarray(image[..., 0] if image.shape[-1] == 1 else image)
    image = np.asarray(pil.resize((size, size), Image.BILINEAR))
    if image.ndim == 2:
      image = image[..., None]
  if channels and image.shape[-1] != channels:
    if image.shape[-1] == 4:
      image = image[..., :3]
    if channels == 3 and image.shape[-1] == 1:
      image = np.repeat(image, 3, axis=-1)
    elif channels == 1 and image.shape[-1] == 3:
      image = np.asarray(Image.fromarray(image).convert("L"))[..., None]
  return image


def fit_all(images: np.ndarray, size: int, channels: int) -> np.ndarray:
  """`fit` for a whole uint8 array [N, H, W, C]; a no-op when nothing changes."""
  n, h, w, c = images.shape
  if (not size or size == h == w) and (not channels or channels == c):
    return images
  return np.stack([fit(im, size, channels) for im in images])


class ImageSource:
  """Random-access batches of one split. `images` is uint8 [N, H, W, C] or a sequence
  of records; `decode(record) -> (uint8 HWC image, label)` reads one record."""

  def __init__(self, images, labels, batch_size: int, seed: int, flip: bool = False,
               decode=None, name: str = "images", num_classes: int = 0):
    self.images, self.labels, self.decode = images, labels, decode
    self.batch_size, self.seed, self.flip, self.name = batch_size, seed, flip, name
    self.num_classes = num_classes
    self.size = len(images)
    if self.size < batch_size:
      raise ValueError(f"{name} has {self.size} examples, fewer than data.batch_size="
                       f"{batch_size} (one batch); set --config.data.batch_size to at most "
                       f"{self.size}, or add examples.")
    self.batches_per_epoch = self.size // batch_size
    first = self._examples(np.arange(1))[0]
    self.shape = first.shape[1:]
    self._epoch, self._perm = -1, None

  def _examples(self, index: np.ndarray):
    if self.decode is None:
      labels = None if self.labels is None else self.labels[index]
      return self.images[index], labels
    pairs = [self.decode(self.images[int(i)]) for i in index]
    labels = np.array([p[1] for p in pairs], np.int32) if pairs[0][1] is not None else None
    return np.stack([p[0] for p in pairs]), labels

  def _permutation(self, epoch: int) -> np.ndarray:
    if epoch != self._epoch:  # one permutation per epoch, kept while it is in use
      self._perm = np.random.default_rng([self.seed, epoch]).permutation(self.size)
      self._epoch = epoch
    return self._perm

  def batch(self, index: int) -> dict:
    epoch, k = divmod(index, self.batches_per_epoch)
    rows = self._permutation(epoch)[k * self.batch_size:(k + 1) * self.batch_size]
    images, labels = self._examples(rows)
    x = to_float(images)
    if self.flip:
      flips = np.random.default_rng([self.seed, index, 1]).random(len(x)) < 0.5
      x[flips] = x[flips, :, ::-1]
    out = {"x": x}
    if labels is not None:
      out["y"] = labels.astype(np.int32)
    return out

  def arrays(self, n: int | None = None, seed: int = 0):
    """(images float32 [n, ...] in [-1, 1], labels or None): `n` examples chosen by
    `seed` (all, in order, when None), no flips; for evaluation and classifiers."""
    if n is not None and n > self.size:
      raise ValueError(f"Asked for {n} real examples but {self.name} has {self.size}.")
    rows = np.arange(self.size) if n is None else np.sort(
        np.random.default_rng([seed, 2**31 - 1]).permutation(self.size)[:n])
    images, labels = self._examples(rows)
    return to_float(images), labels

  def reference(self, n: int, seed: int) -> np.ndarray:
    """Up to `n` real images (all of them when the split is smaller, e.g. a small
    folder with sample.num above its size)."""
    return self.arrays(min(n, self.size), seed)[0]
