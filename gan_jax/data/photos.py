"""Crops of the RGB sample photographs that the scikit-image wheel ships (offline).

The photographs: astronaut (512x512), chelsea (the cat, 300x451), coffee (400x600),
rocket (427x640) and motorcycle (the left view of `stereo_motorcycle`, 500x741).
Train and test crops come from DISJOINT REGIONS of every photograph: the right-most
quarter of its columns (at least one crop wide) is the test region, the rest the train
region, and a crop never crosses the border. So both splits see every scene, and no test
pixel is ever a training pixel. Crop positions are uniform within a region, drawn from
``default_rng([seed, split, photo])``; the counts are spread evenly over the photographs.
"""
from __future__ import annotations

import numpy as np

PHOTOS = ("astronaut", "chelsea", "coffee", "rocket", "motorcycle")
TEST_FRACTION = 0.25  # of each photograph's width
CROPS = {"train": 4000, "test": 500}
DEFAULT_SIZE = 64
SPLITS = ("train", "test")


def photo(name: str) -> np.ndarray:
  """uint8 [H, W, 3] of one of `PHOTOS`, from the files inside the scikit-image wheel."""
  from skimage import data
  if name == "motorcycle":
    return data.stereo_motorcycle()[0]
  return getattr(data, name)()


def regions(width: int, size: int) -> dict:
  """{split: (first column, end column)} of the train and test regions of a photo."""
  test_width = max(int(round(TEST_FRACTION * width)), size)
  return {"train": (0, width - test_width), "test": (width - test_width, width)}


def crops(split: str, size: int = DEFAULT_SIZE, count: int = 0, seed: int = 0) -> np.ndarray:
  """uint8 [count, size, size, 3]: random crops of the `split` regions of `PHOTOS`
  (`count` 0: the default `CROPS[split]`), photo by photo."""
  if split not in SPLITS:
    raise ValueError(f"Photo crops have splits {SPLITS}, not {split!r}.")
  count = count or CROPS[split]
  per_photo = np.diff(np.linspace(0, count, len(PHOTOS) + 1).round().astype(int))
  out = []
  for p, (name, m) in enumerate(zip(PHOTOS, per_photo)):
    image = photo(name)
    h, w = image.shape[:2]
    x0, x1 = regions(w, size)[split]
    if h < size or x1 - x0 < size:
      raise ValueError(f"data.image_size={size} is too large for crops of the photograph "
                       f"{name!r} ({h}x{w}, {split} region {x1 - x0} columns wide); use "
                       f"at most {min(h, w // 2)}.")
    rng = np.random.default_rng([seed, SPLITS.index(split), p])
    tops = rng.integers(0, h - size + 1, m)
    lefts = rng.integers(x0, x1 - size + 1, m)
    out.extend(image[t:t + size, l:l + size] for t, l in zip(tops, lefts))
  return np.stack(out)
