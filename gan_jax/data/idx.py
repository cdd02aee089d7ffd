"""Reading IDX files (the MNIST / Fashion-MNIST format), gzipped or not, with numpy."""
from __future__ import annotations

import gzip
import os

import numpy as np

FASHION_MNIST_DIR = "/usr/share/datasets/fashion-mnist"
FILES = {"train": ("train-images-idx3-ubyte", "train-labels-idx1-ubyte"),
         "test": ("t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte")}
_DTYPES = {0x08: np.uint8, 0x09: np.int8, 0x0B: ">i2", 0x0C: ">i4", 0x0D: ">f4", 0x0E: ">f8"}


def read_idx(path: str) -> np.ndarray:
  """The array stored in an IDX file (magic: two zero bytes, dtype code, rank)."""
  opener = gzip.open if path.endswith(".gz") else open
  with opener(path, "rb") as f:
    raw = f.read()
  if len(raw) < 4 or raw[0] != 0 or raw[1] != 0 or raw[2] not in _DTYPES:
    raise ValueError(f"{path} is not an IDX file (bad magic number {raw[:4]!r}).")
  rank = raw[3]
  shape = tuple(int.from_bytes(raw[4 + 4 * i:8 + 4 * i], "big") for i in range(rank))
  data = np.frombuffer(raw, dtype=_DTYPES[raw[2]], offset=4 + 4 * rank)
  if data.size != int(np.prod(shape)):
    raise ValueError(f"{path} is truncated: header says {shape}, found {data.size} values.")
  return data.reshape(shape)


def _find(directory: str, stem: str) -> str | None:
  for name in (stem + ".gz", stem):
    if os.path.exists(os.path.join(directory, name)):
      return os.path.join(directory, name)
  return None


def load_idx_pair(directory: str, split: str) -> tuple[np.ndarray, np.ndarray] | None:
  """(images uint8 [N, 28, 28, 1], labels int32 [N]) of `split` ('train' or 'test') from
  the idx files in `directory`, or None if they are not there."""
  paths = [_find(directory, stem) for stem in FILES[split]]
  if None in paths:
    return None
  images, labels = read_idx(paths[0]), read_idx(paths[1])
  return images[..., None], labels.astype(np.int32)
