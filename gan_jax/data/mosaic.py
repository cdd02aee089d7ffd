"""The mosaic-removal data set (`mosaic`, paired): a = the image pixelated in k x k
mean blocks, b = the clean image.

k is drawn per example, uniformly from `BLOCK_SIZES` = (2, 4, 8), by
``default_rng([MOSAIC_SEED, split])``: it belongs to the data set, not to the run's
seed. Every pixel of a block of `a` is the mean of that block of `b`, rounded to uint8
(so it is within 0.5 / 255 of the range of the exact mean). The image size must be a
multiple of 8, the largest block.

What b is (`data.path`):
- ``""`` (default): Fashion-MNIST resized to `data.image_size` (default 32), its own
  train/test splits, y = the class; cached.
- ``"photos"``: crops of scikit-image's sample photographs (`photos.py`: which photos,
  and train/test from disjoint regions of each), `data.image_size` default 64, RGB;
  cached.
- a folder of images: read and resized like `data.name=folder` (default 64), split as
  `folders.split_files` says; not cached (the files are the user's).
"""
from __future__ import annotations

import numpy as np
from skimage import measure

from gan_jax import cache
from gan_jax.data import fashion, images as images_lib, photos

BLOCK_SIZES = (2, 4, 8)
MOSAIC_SEED = 0
SPLITS = ("train", "test")
VERSION = 1


def pixelate(images: np.ndarray, k: np.ndarray) -> np.ndarray:
  """uint8 [N, H, W, C] images with every k[i] x k[i] block of image i replaced by its
  mean (rounded); H and W must be multiples of every k."""
  out = np.empty_like(images)
  for size in np.unique(k):
    rows = np.flatnonzero(k == size)
    means = measure.block_reduce(images[rows].astype(np.float32), (1, size, size, 1), np.mean)
    out[rows] = np.round(means).repeat(size, axis=1).repeat(size, axis=2).astype(np.uint8)
  return out


def block_sizes(n: int, split: str) -> np.ndarray:
  """int32 [n]: each example's k, uniform over `BLOCK_SIZES`, fixed by the split."""
  rng = np.random.default_rng([MOSAIC_SEED, SPLITS.index(split)])
  return np.asarray(BLOCK_SIZES, np.int32)[rng.integers(0, len(BLOCK_SIZES), n)]


def check_size(size: int) -> None:
  if size % max(BLOCK_SIZES):
    raise ValueError(f"data.image_size={size} is not a multiple of {max(BLOCK_SIZES)}, the "
                     f"largest mosaic block ({BLOCK_SIZES}); use e.g. 32 or 64.")


def pairs(b: np.ndarray, split: str) -> dict:
  """{"a": pixelated [N, H, W, C], "b": b, "k": int32 [N]} for clean uint8 images b."""
  check_size(b.shape[1])
  if split not in SPLITS:
    raise ValueError(f"mosaic has splits {SPLITS}, not {split!r}.")
  k = block_sizes(len(b), split)
  return {"a": pixelate(b, k), "b": b, "k": k}


def from_fashion_mnist(split: str, size: int = fashion.DEFAULT_SIZE, limit: int = 0) -> dict:
  """{"a", "b", "y", "k"} on Fashion-MNIST's `split`, cached."""
  check_size(size)
  x, y = fashion.fashion_mnist(split, limit)
  params = {"version": VERSION, "split": split, "size": size, "blocks": BLOCK_SIZES,
            "seed": MOSAIC_SEED, "source": fashion.fingerprint(x, y),
            "libraries": cache.versions("scikit-image", "pillow")}
  return cache.cached("mosaic_fashion_mnist", params,
                      lambda: {**pairs(images_lib.fit_all(x, size, 0), split), "y": y})


def from_photos(split: str, size: int = photos.DEFAULT_SIZE, limit: int = 0) -> dict:
  """{"a", "b", "k"} on crops of the sample photographs (`limit`: crops), cached."""
  check_size(size)
  params = {"version": VERSION, "split": split, "size": size, "blocks": BLOCK_SIZES,
            "seed": MOSAIC_SEED, "photos": photos.PHOTOS, "crops": limit or photos.CROPS[split],
            "regions": photos.TEST_FRACTION, "libraries": cache.versions("scikit-image")}
  return cache.cached("mosaic_photos", params,
                      lambda: pairs(photos.crops(split, size, limit, MOSAIC_SEED), split))
