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
  """uint8 [N, size, size, channels] of every readable image below `path`."""
  files = list_images(path)
  out, skipped, shapes = [], [], collections.Counter()
  for f in tqdm.tqdm(files, desc=f"reading {path}", unit="img", disable=not progress,
                     leave=False):
    try:
      with Image.open(f) as img:
        mode = img.mode
        img = img.convert("RGB" if mode not in ("L", "I;16", "I") else "L")
        array = np.asarray(img)
    except (OSError, ValueError, Image.DecompressionBombError) as e:
      skipped.append((f, str(e)))
      continue
    shapes[(array.shape[0], array.shape[1], 1 if array.ndim == 2 else array.shape[2])] += 1
    out.append(images_lib.fit(array, size, channels))
  if skipped:
    logging.warning("Skipped %d unreadable files in %s (first: %s: %s).", len(skipped), path,
                    *skipped[0])
    print(f"Skipped {len(skipped)} unreadable files in {path} (first: {skipped[0][0]}).",
          flush=True)
  if not out:
    raise ValueError(f"None of the {len(files)} image files in {path} could be read.")
  if len(shapes) > 1:
    print(f"Note: {path} mixes {len(shapes)} image shapes (e.g. "
          f"{', '.join(map(str, list(shapes)[:3]))}); all were center-cropped and resized "
          f"to {size}x{size}x{channels}.", flush=True)
  return np.stack(out), len(skipped)


def class_folders(path: str) -> list[str]:
  """Sorted names of DIR's first-level sub-folders when they hold every image below DIR
  and there are at least two of them (the classes); else [] (unlabelled)."""
  files = list_images(path)
  top = {os.path.relpath(f, path).split(os.sep)[0] for f in files}
  if any(os.path.isfile(os.path.join(path, t)) for t in top) or len(top) < 2:
    return []
  return sorted(top)


def load_classes(path: str, classes: list[str], size: int = 64, channels: int = 3,
                 progress: bool = True):
  """(uint8 [N, size, size, channels], int32 labels [N]): `load` of each class
  sub-folder in turn, labelled with the class's index in `classes`."""
  parts = [load(os.path.join(path, name), size, channels, progress)[0] for name in classes]
  labels = np.concatenate([np.full(len(x), i, np.int32) for i, x in enumerate(parts)])
  return np.concatenate(parts), labels
