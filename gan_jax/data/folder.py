"""A folder of images as a data set (`data.name=folder`, `data.path=DIR`).

Every PNG / JPEG / BMP / GIF / WebP file below DIR (nested folders too) is decoded once,
center-cropped to a square, resized to `data.image_size` (default 64) and converted to
`data.channels` (default 3), then held in memory as uint8. Unreadable files are skipped
and counted; mixed sizes or channel counts are converted, with a note in the log.
"""
from __future__ import annotations

import collections
import logging
import os

import numpy as np
import tqdm
from PIL import Image

from gan_jax.data import images as images_lib

EXTENSIONS = (".png", ".jpg", ".jpeg", ".bmp", ".gif", ".webp")


def list_images(path: str) -> list[str]:
  if not path:
    raise ValueError("data.name=folder needs data.path=DIR, a folder of images.")
  if not os.path.isdir(path):
    raise FileNotFoundError(f"data.path={path!r} is not a folder; point it at a folder of "
                            "images (PNG/JPEG, nested folders allowed).")
  files = sorted(os.path.join(root, f) for root, _, names in os.walk(path) for f in names
                 if f.lower().endswith(EXTENSIONS))
  if not files:
    raise ValueError(f"data.path={path!r} holds no images ({', '.join(EXTENSIONS)}).")
  return files


def load(path: str, size: int = 64, channels: int = 3, progress: bool = True):
  """(uint8 [N, size, size, channels] of every readable image below `path`, the number
  of unreadable files skipped)."""
  return load_files(list_images(path), size, channels, progress, path)


def read(file: str) -> np.ndarray:
  """One image file as uint8 HW (grayscale) or HWC (RGB); raises OSError/ValueError."""
  with Image.open(file) as img:
    mode = img.mode
    img = img.convert("RGB" if mode not in ("L", "I;16", "I") else "L")
    return np.asarray(img)


def load_files(items: list, size: int = 64, channels: int = 3, progress: bool = True,
               path: str = "", reader=None):
  """`load` for a list of files (`path` names them in messages). With `reader(item) ->
  tuple of uint8 images` an item may be several files (a matched pair) or give several
  images (the halves of an A|B image): each image is fitted, an unreadable item is
  skipped whole (so pairs stay aligned), and the result is a tuple of arrays."""
  path = path or os.path.commonpath(list(items))
  out, skipped, shapes = [], [], collections.Counter()
  for item in tqdm.tqdm(items, desc=f"reading {path}", unit="img", disable=not progress,
                        leave=False):
    try:
      parts = (read(item),) if reader is None else reader(item)
    except (OSError, ValueError, Image.DecompressionBombError) as e:
      skipped.append((item, str(e)))
      continue
    for array in parts:
      shapes[(array.shape[0], array.shape[1], 1 if array.ndim == 2 else array.shape[2])] += 1
    out.append(tuple(images_lib.fit(array, size, channels) for array in parts))
  if skipped:
    logging.warning("Skipped %d unreadable files in %s (first: %s: %s).", len(skipped), path,
                    *skipped[0])
    print(f"Skipped {len(skipped)} unreadable files in {path} (first: {skipped[0][0]}).",
          flush=True)
  if not out:
    raise ValueError(f"None of the {len(items)} image files in {path} could be read.")
  if len(shapes) > 1:
    print(f"Note: {path} mixes {len(shapes)} image shapes (e.g. "
          f"{', '.join(map(str, list(shapes)[:3]))}); all were center-cropped and resized "
          f"to {size}x{size}x{channels}.", flush=True)
  stacked = tuple(np.stack(column) for column in zip(*out))
  return (stacked[0] if reader is None else stacked), len(skipped)
