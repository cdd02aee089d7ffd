"""Named image data sets: Fashion-MNIST offline from Debian's idx files, everything else
(and Fashion-MNIST when the Debian package is absent) through tensorflow-datasets.

tfds is used through `tfds.data_source` (array_record files, random access), which
needs no TensorFlow. A data set not yet prepared is downloaded and prepared when the
machine has internet; otherwise the error says what to install or where to put files.
"""
from __future__ import annotations

import difflib
import os

import numpy as np

from gan_jax.data import idx, images as images_lib

# Data sets whose files a Debian package provides: name -> (directory, package).
OFFLINE = {"fashion_mnist": (idx.FASHION_MNIST_DIR, "dataset-fashion-mnist")}
KNOWN = ("fashion_mnist", "mnist", "cifar10", "celeb_a", "svhn_cropped")
NUM_CLASSES = {"fashion_mnist": 10, "mnist": 10, "cifar10": 10, "svhn_cropped": 10}


class DataUnavailableError(RuntimeError):
  pass


def offline_arrays(name: str, split: str):
  """(images, labels) from a Debian package's files, or None when not installed."""
  if name not in OFFLINE:
    return None
  directory = os.environ.get("GAN_JAX_FASHION_MNIST_DIR", OFFLINE[name][0])
  return idx.load_idx_pair(directory, split)


def check_tfds_name(name: str):
  import tensorflow_datasets as tfds
  try:
    tfds.builder_cls(name)
  except Exception:  # DatasetNotFoundError; its text lists hundreds of names
    try:
      names = tfds.list_builders(with_community_datasets=False)
    except Exception:
      names = list(KNOWN)
    close = difflib.get_close_matches(name, names, n=3)
    hint = f" Closest tensorflow-datasets names: {', '.join(close)}." if close else ""
    from gan_jax import data
    raise ValueError(f"Unknown data set {name!r} (data.name). Available: "
                     f"{', '.join(data.names())}, or any tensorflow-datasets image data set "
                     f"(e.g. {', '.join(KNOWN)}).{hint}") from None


def tfds_records(name: str, split: str, data_dir: str | None):
  """A random-access tfds source of `split`, preparing it as array_record if needed."""
  check_tfds_name(name)
  import tensorflow_datasets as tfds
  try:
    return tfds.data_source(name, split=split, data_dir=data_dir or None, download=True,
                            builder_kwargs={"file_format": "array_record"})
  except Exception as e:  # no network, no TensorFlow for this builder, ...
    hint = ""
    if name in OFFLINE:
      hint = (f" For offline use install the Debian package: apt-get install "
              f"{OFFLINE[name][1]} (files in {OFFLINE[name][0]}).")
    raise DataUnavailableError(
        f"Data set {name!r} ({split}) is not prepared and could not be downloaded "
        f"({type(e).__name__}: {str(e)[:300]}).{hint} Or prepare it on a machine with "
        f"internet as array_record files and pass data.path=<tfds data_dir>.") from None


def _decode_record(record, size: int, channels: int):
  image = np.asarray(record["image"])
  label = record.get("label")
  return images_lib.fit(image, size, channels), (None if label is None else int(label))


def load(name: str, split: str, batch_size: int, seed: int, size: int = 0,
         channels: int = 0, flip: bool = False, data_dir: str = ""):
  """An ImageSource of `split` ('train' or 'test') of the named data set."""
  arrays = offline_arrays(name, split)
  if arrays is not None:
    x, y = arrays
    return images_lib.ImageSource(images_lib.fit_all(x, size, channels), y, batch_size, seed,
                                  flip, name=f"{name}:{split}",
                                  num_classes=NUM_CLASSES.get(name, 0))
  records = tfds_records(name, split, data_dir)
  return images_lib.ImageSource(
      records, None, batch_size, seed, flip, name=f"{name}:{split}",
      decode=lambda r: _decode_record(r, size, channels),
      num_classes=NUM_CLASSES.get(name, 0))
