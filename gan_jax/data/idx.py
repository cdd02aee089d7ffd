"""Reading IDX files (the MNIST / Fashion-MNIST format), gzipped or not, with numpy.

A damaged file is an error that names the file and what is wrong: a bad magic number,
a header cut short, fewer bytes than the header's shape needs ("truncated"), bytes
left over after them ("trailing bytes"), a gzip stream cut short or corrupt, or an
image file and a label file that disagree on the number of examples.
"""
from __future__ import annotations

import gzip
import os
import zlib

import numpy as np

FASHION_MNIST_DIR = "/usr/share/datasets/fashion-mnist"
FILES = {"train": ("train-images-idx3-ubyte", "train-labels-idx1-ubyte"),
         "test": ("t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte")}
_DTYPES = {0x08: np.uint8, 0x09: np.int8, 0x0B: ">i2", 0x0C: ">i4", 0x0D: ">f4", 0x0E: ">f8"}
FIX = "re-download or re-install the file (e.g. apt-get install --reinstall dataset-fashion-mnist)"


def _read_bytes(path: str) -> bytes:
  if not path.endswith(".gz"):
    with open(path, "rb") as f:
      return f.read()
  try:
    with gzip.open(path, "rb") as f:
      return f.read()
  except EOFError:
    raise ValueError(f"{path} is a truncated gzip file (the compressed stream ends early); "
                     f"{FIX}.") from None
  except (gzip.BadGzipFile, zlib.error) as e:
    raise ValueError(f"{path} is not a readable gzip file ({e}); {FIX}.") from None


def read_idx(path: str) -> np.ndarray:
  """The array stored in an IDX file (magic: two zero bytes, dtype code, rank; then one
  big-endian uint32 per dimension; then the values)."""
  raw = _read_bytes(path)
  if len(raw) < 4 or raw[0] != 0 or raw[1] != 0 or raw[2] not in _DTYPES:
    raise ValueError(f"{path} is not an IDX file (bad magic number {raw[:4]!r}).")
  rank, header = raw[3], 4 + 4 * raw[3]
  if len(raw) < header:
    raise ValueError(f"{path} is truncated inside its header ({len(raw)} bytes; a rank-{rank} "
                     f"header needs {header}); {FIX}.")
  shape = tuple(int.from_bytes(raw[4 + 4 * i:8 + 4 * i], "big") for i in range(rank))
  dtype = np.dtype(_DTYPES[raw[2]])
  expected, found = int(np.prod(shape)) * dtype.itemsize, len(raw) - header
  if found < expected:
    raise ValueError(f"{path} is truncated: its header says shape {shape} ({expected} bytes of "
                     f"{dtype}), the file holds {found}; {FIX}.")
  if found > expected:
    raise ValueError(f"{path} has {found - expected} trailing bytes after the {expected} bytes "
                     f"its header's shape {shape} needs (a concatenated or wrongly written "
                     f"file); {FIX}.")
  return np.frombuffer(raw, dtype=dtype, offset=header).reshape(shape)


def _find(directory: str, stem: str) -> str | None:
  for name in (stem + ".gz", stem):
    if os.path.exists(os.path.join(directory, name)):
      return os.path.join(directory, name)
  return None


def load_idx_pair(directory: str, split: str) -> tuple[np.ndarray, np.ndarray] | None:
  """(images uint8 [N, H, W, 1], labels int32 [N]) of `split` ('train' or 'test') from
  the idx files in `directory`, or None if they are not there."""
  paths = [_find(directory, stem) for stem in FILES[split]]
  if None in paths:
    return None
  images, labels = read_idx(paths[0]), read_idx(paths[1])
  if images.ndim != 3 or images.dtype != np.uint8 or labels.ndim != 1:
    raise ValueError(f"{paths[0]} / {paths[1]} hold arrays of shapes {images.shape} / "
                     f"{labels.shape} ({images.dtype} / {labels.dtype}); expected uint8 images "
                     f"[N, H, W] and labels [N]; {FIX}.")
  if len(images) != len(labels):
    raise ValueError(f"{paths[0]} holds {len(images)} images but {paths[1]} holds "
                     f"{len(labels)} labels; the pair must match example for example; {FIX}.")
  return images[..., None], labels.astype(np.int32)
