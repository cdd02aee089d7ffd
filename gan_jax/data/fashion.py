"""Translation data sets made from Fashion-MNIST (read offline from Debian's idx files).

- ``edges2fashion`` (paired; the edges2shoes analog of Isola et al. 2017): a = the Canny
  edge map (Canny 1986, ``skimage.feature.canny``) of the image, b = the image, y = the
  class. Images are resized from 28 to `size` pixels (bilinear; 32 by default, so that
  U-Nets with 5 stride-2 downsamplings fit) before the edges are taken, with Gaussian
  sigma = size / 32 (1.0 at 32 px, 2.0 at 64 px: outlines plus the main inner seams).
  Edges are white (255, i.e. +1 in [-1, 1]) on black, like the garments themselves.
- ``sneaker2boot`` (unpaired): a = sneakers (class 7), b = ankle boots (class 9) of the
  split, resized like edges2fashion. A filtered view; nothing is cached.

Fashion-MNIST's own train/test splits are the splits. The edge maps are built once per
(split, size, builder version, source files) and cached (`gan_jax.cache`).
"""
from __future__ import annotations

import hashlib

import numpy as np
import tqdm
from skimage import feature

from gan_jax import cache
from gan_jax.data import datasets, idx, images as images_lib

DEFAULT_SIZE = 32
SNEAKER, ANKLE_BOOT = 7, 9
NUM_CLASSES = 10
EDGES_VERSION = 1


def fashion_mnist(split: str, limit: int = 0):
  """(images uint8 [N, 28, 28, 1], labels int32 [N]) of Fashion-MNIST's `split`, the
  first `limit` examples when limit > 0."""
  arrays = datasets.offline_arrays("fashion_mnist", split)
  if arrays is None:
    raise datasets.DataUnavailableError(
        f"Fashion-MNIST ({split}) is not installed; the translation data sets built from it "
        f"read the Debian package offline: apt-get install dataset-fashion-mnist (files in "
        f"{idx.FASHION_MNIST_DIR}, or set GAN_JAX_FASHION_MNIST_DIR).")
  x, y = arrays
  return (x[:limit], y[:limit]) if limit else (x, y)


def fingerprint(*arrays: np.ndarray) -> str:
  """A hash of array contents: a cache key that changes when the source files do."""
  h = hashlib.sha256()
  for a in arrays:
    h.update(str((a.shape, a.dtype.str)).encode())
    h.update(np.ascontiguousarray(a).tobytes())
  return h.hexdigest()[:16]


def edge_maps(images: np.ndarray, sigma: float, progress: bool = True) -> np.ndarray:
  """Canny edges of uint8 [N, H, W, 1] images: uint8 [N, H, W, 1], 255 on an edge, else 0.
  skimage's default hysteresis thresholds (10% / 20% of the image's dtype range)."""
  out = np.zeros_like(images)
  for i in tqdm.trange(len(images), desc="canny edges", unit="img", disable=not progress,
                       leave=False, mininterval=1.0):
    out[i, ..., 0] = feature.canny(images[i, ..., 0].astype(np.float32) / 255.0, sigma=sigma)
  return out * np.uint8(255)


def edges2fashion(split: str, size: int = DEFAULT_SIZE, limit: int = 0,
                  progress: bool = True) -> dict:
  """{"a": edges uint8 [N, size, size, 1], "b": images, "y": classes}, cached."""
  x, y = fashion_mnist(split, limit)
  sigma = size / 32
  params = {"version": EDGES_VERSION, "split": split, "size": size, "sigma": sigma,
            "source": fingerprint(x, y), "libraries": cache.versions("scikit-image", "pillow")}

  def build():
    b = images_lib.fit_all(x, size, 0)
    return {"a": edge_maps(b, sigma, progress), "b": b, "y": y}
  return cache.cached("edges2fashion", params, build)


def sneaker2boot(split: str, size: int = DEFAULT_SIZE, limit: int = 0):
  """(sneakers uint8 [Na, size, size, 1], ankle boots uint8 [Nb, ...]) of `split`;
  `limit` caps each side."""
  x, y = fashion_mnist(split)
  sides = [x[y == SNEAKER], x[y == ANKLE_BOOT]]
  return tuple(images_lib.fit_all(s[:limit] if limit else s, size, 0) for s in sides)
