"""Image sources: random-access batches in [-1, 1], NHWC, with labels where they exist.

An `ImageSource` holds the examples of one split (uint8 [N, H, W, C] in memory, or any
random-access sequence of such images, e.g. a `tfds.data_source`) and serves
``batch(index)``: epoch e = index // batches_per_epoch is the permutation
``default_rng([seed, e])`` of the examples, batch `index` is its next slice (the
remainder of an epoch is dropped), flips come from ``default_rng([seed, index, 1])``.
`Epochs`, `choose` and `flip_mask` give the paired and unpaired sources the same rules.
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


def choose(size: int, n: int | None, seed: int, name: str = "the data",
           stream: int = 0) -> np.ndarray:
  """Sorted indices of `n` of `size` examples chosen by `seed` (all, in order, when n is
  None); `stream` draws an independent choice from the same seed (e.g. per side)."""
  if n is None:
    return np.arange(size)
  if n > size:
    raise ValueError(f"Asked for {n} examples but {name} has {size}.")
  key = [seed, 2**31 - 1] + ([stream] if stream else [])
  return np.sort(np.random.default_rng(key).permutation(size)[:n])


def flip_mask(seed: int, index: int, count: int, side: int | None = None) -> np.ndarray:
  """Which of batch `index`'s `count` images are mirrored (about half, from the seed)."""
  key = [seed, index, 1] + ([] if side is None else [side])
  return np.random.default_rng(key).random(count) < 0.5


class Epochs:
  """Batch `index` of a stream over `size` examples: epoch e = index // batches_per_epoch
  is the permutation ``default_rng([seed, e, *side])`` and batch `index` its next slice
  (the remainder of an epoch is dropped). The current epoch's permutation is kept.
  Fewer examples than a batch is an error when a batch is asked for (`check`), so a
  small test split still serves `examples` for evaluation."""

  def __init__(self, size: int, batch_size: int, seed: int, side: int | None = None,
               name: str = "the data"):
    self.size, self.batch_size, self.seed, self.name = size, batch_size, seed, name
    self.suffix = [] if side is None else [side]
    self.batches_per_epoch = size // batch_size
    self._epoch, self._perm = -1, None

  def check(self) -> None:
    if self.size < self.batch_size:
      raise ValueError(f"{self.name} has {self.size} examples, fewer than data.batch_size="
                       f"{self.batch_size} (one batch); set --config.data.batch_size to at "
                       f"most {self.size}, or add examples.")

  def rows(self, index: int) -> np.ndarray:
    if not self.batches_per_epoch:
      self.check()
    epoch, k = divmod(index, self.batches_per_epoch)
    if epoch != self._epoch:
      self._perm = np.random.default_rng([self.seed, epoch, *self.suffix]).permutation(
          self.size)
      self._epoch = epoch
    return self._perm[k * self.batch_size:(k + 1) * self.batch_size]


class ImageSource:
  """Random-access batches of one split. `images` is uint8 [N, H, W, C] or a sequence
  of records; `decode(record) -> (uint8 HWC image, label)` reads one record."""

  def __init__(self, images, labels, batch_size: int, seed: int, flip: bool = False,
               decode=None, name: str = "images", num_classes: int = 0):
    self.images, self.labels, self.decode = images, labels, decode
    self.batch_size, self.seed, self.flip, self.name = batch_size, seed, flip, name
    self.num_classes = num_classes
    self.size = len(images)
    self.epochs = Epochs(self.size, batch_size, seed, name=name)
    self.epochs.check()
    self.batches_per_epoch = self.epochs.batches_per_epoch
    first = self._examples(np.arange(1))[0]
    self.shape = first.shape[1:]

  def _examples(self, index: np.ndarray):
    if self.decode is None:
      labels = None if self.labels is None else self.labels[index]
      return self.images[index], labels
    pairs = [self.decode(self.images[int(i)]) for i in index]
    labels = np.array([p[1] for p in pairs], np.int32) if pairs[0][1] is not None else None
    return np.stack([p[0] for p in pairs]), labels

  def batch(self, index: int) -> dict:
    images, labels = self._examples(self.epochs.rows(index))
    x = to_float(images)
    if self.flip:
      flips = flip_mask(self.seed, index, len(x))
      x[flips] = x[flips, :, ::-1]
    out = {"x": x}
    if labels is not None:
      out["y"] = labels.astype(np.int32)
    return out

  def arrays(self, n: int | None = None, seed: int = 0):
    """(images float32 [n, ...] in [-1, 1], labels or None): `n` examples chosen by
    `seed` (all, in order, when None), no flips; for evaluation and classifiers."""
    images, labels = self._examples(choose(self.size, n, seed, self.name))
    return to_float(images), labels

  def examples(self, n: int | None = None, seed: int = 0) -> dict:
    """`arrays` as a batch-like dict: {"x": [n, ...], "y": [n] where labelled}."""
    x, y = self.arrays(n, seed)
    return {"x": x} if y is None else {"x": x, "y": np.asarray(y, np.int32)}

  def reference(self, n: int, seed: int) -> np.ndarray:
    """Up to `n` real images (all of them when the split is smaller, e.g. a small
    folder with sample.num above its size)."""
    return self.arrays(min(n, self.size), seed)[0]
