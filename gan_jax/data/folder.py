"""A folder of images as a data set (`data.name=folder`, `data.path=DIR`).

Every PNG / JPEG / BMP / GIF / WebP file below DIR (nested folders too) is decoded once,
center-cropped to a square, resized to `data.image_size` (default 64) and converted to
`data.channels` (default 3), then held in memory as uint8.

What files hold, and what they become (`to_uint8`):
- 8-bit gray ('L'), 1-bit ('1': 0 / 255) and colour ('RGB', 'CMYK', 'YCbCr', palette
  'P') as they are; gray stays gray until `data.channels` asks for RGB.
- 16-bit gray ('I;16', 'I'): scaled to 8 bits, v * 255 / 65535 rounded (PIL's own
  convert('L') clips every value above 255 to white).
- Transparency ('RGBA', 'LA', 'PA', a palette with a transparent entry): composited
  over a white background, out = alpha * colour + (1 - alpha) * 255, so transparent
  pixels do not show whatever colour the file happens to store under them.
- Huge images: JPEGs are decoded at 1/2, 1/4 or 1/8 scale when that still covers the
  target size (`Image.draft`: the DCT scales while decoding; much faster, and memory
  follows the reduced size), so photos of any size load, even past PIL's
  decompression-bomb limit (`PIL.Image.MAX_IMAGE_PIXELS`, ~89 M pixels) as long as
  the reduced image is within it. Other formats cannot be decoded at reduced scale:
  past the limit (twice the limit is where PIL refuses) the file is skipped with the
  reason; raise `PIL.Image.MAX_IMAGE_PIXELS` if you trust the files.
- Unreadable files (not an image, truncated, corrupt) are skipped and counted in the
  log with the first file's reason; if none can be read the error names the folder.
Mixed sizes or channel counts are converted, with a note in the log.
"""
from __future__ import annotations

import collections
import os
import struct
import zlib

import numpy as np
import tqdm
from PIL import Image, JpegImagePlugin

from gan_jax.data import images as images_lib

EXTENSIONS = (".png", ".jpg", ".jpeg", ".bmp", ".gif", ".webp")
SIXTEEN_BIT = ("I;16", "I;16B", "I;16L", "I;16N", "I")
GRAY = ("1", "L", "LA", "La") + SIXTEEN_BIT
# What a damaged or hostile file raises while PIL opens or decodes it.
UNREADABLE = (OSError, ValueError, SyntaxError, EOFError, struct.error, zlib.error,
              Image.DecompressionBombError)


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


def to_uint8(img: Image.Image) -> np.ndarray:
  """uint8 [H, W] (gray modes) or [H, W, 3] of a PIL image of any mode (module doc)."""
  mode = img.mode
  if mode in SIXTEEN_BIT:
    values = np.asarray(img).astype(np.float64)
    return np.clip(np.round(values * (255.0 / 65535.0)), 0, 255).astype(np.uint8)
  if mode in ("1", "L"):
    return np.asarray(img.convert("L"))
  if "A" in mode or "a" in mode or (mode == "P" and "transparency" in img.info):
    rgba = np.asarray(img.convert("RGBA")).astype(np.float64)
    alpha = rgba[..., 3:] / 255.0
    out = np.round(alpha * rgba[..., :3] + (1.0 - alpha) * 255.0).astype(np.uint8)
    return out[..., 0] if mode in GRAY else out
  return np.asarray(img.convert("RGB"))


BOMB_FIX = ("downscale the file, or raise PIL.Image.MAX_IMAGE_PIXELS (now {limit}) if you "
            "trust it")


def _open(path: str, size: int) -> Image.Image:
  """`path` opened for decoding; JPEGs set to decode at the smallest 1/2^k scale that
  still covers `size` x `size` (past PIL's decompression-bomb limit too)."""
  limit = Image.MAX_IMAGE_PIXELS
  try:
    img = Image.open(path)
  except Image.DecompressionBombError as e:
    with open(path, "rb") as f:
      if f.read(3) != b"\xff\xd8\xff":  # not a JPEG: no reduced-scale decoding
        raise Image.DecompressionBombError(
            f"{str(e).rstrip('.')}; {BOMB_FIX.format(limit=limit)}") from None
    img = JpegImagePlugin.JpegImageFile(path)  # reads the header only, no pixels yet
  if isinstance(img, JpegImagePlugin.JpegImageFile) and size:
    img.draft(None, (size, size))
  if limit and img.size[0] * img.size[1] > 2 * limit:
    w, h = img.size
    img.close()
    raise Image.DecompressionBombError(
        f"{w}x{h} pixels after reduced-scale decoding, over PIL's decompression-bomb limit of "
        f"{2 * limit} pixels; {BOMB_FIX.format(limit=limit)}")
  return img


def load(path: str, size: int = 64, channels: int = 3, progress: bool = True):
  """(uint8 [N, size, size, channels] of every readable image below `path`, the number
  of unreadable files skipped)."""
  return load_files(list_images(path), size, channels, progress, path)


def read(file: str, size: int = 0) -> np.ndarray:
  """One image file as uint8 HW (gray modes) or HWC (RGB), any mode converted as
  `to_uint8` says; JPEGs decode at reduced scale when `size` allows. Raises one of
  UNREADABLE for a damaged file."""
  with _open(file, size) as img:
    return to_uint8(img)


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
      parts = (read(item, size),) if reader is None else reader(item)
    except UNREADABLE as e:
      skipped.append((item, f"{type(e).__name__}: {e}"))
      continue
    for array in parts:
      shapes[(array.shape[0], array.shape[1], 1 if array.ndim == 2 else array.shape[2])] += 1
    out.append(tuple(images_lib.fit(array, size, channels) for array in parts))
  if not out:
    raise ValueError(f"data.path={path!r}: none of its {len(items)} image files could be "
                     f"read (first: {skipped[0][0]}: {skipped[0][1]}); point data.path at a "
                     "folder of PNG/JPEG images.")
  if skipped:
    print(f"Skipped {len(skipped)} unreadable of {len(items)} image files in {path} "
          f"(first: {skipped[0][0]}: {skipped[0][1]}).", flush=True)
  if len(shapes) > 1:
    print(f"Note: {path} mixes {len(shapes)} image shapes (e.g. "
          f"{', '.join(map(str, list(shapes)[:3]))}); all were center-cropped and resized "
          f"to {size}x{size}x{channels}.", flush=True)
  stacked = tuple(np.stack(column) for column in zip(*out))
  return (stacked[0] if reader is None else stacked), len(skipped)


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
