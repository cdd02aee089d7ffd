"""A user's image folders as translation data (read and resized like `data.name=folder`:
center-cropped to a square, resized to `data.image_size` (default 64), converted to
`data.channels` (default 3)).

Splits of one folder (`split_files`): when it has both a `train/` and a `test/` (or
`val/`) sub-folder, those are the splits; otherwise the last 10% of its images by
sorted relative path (at least one) are the test split and the rest the train split.

- ``folder_pairs`` (paired): either `data.path_a` and `data.path_b`, matched by file name
  (the relative path without extension, so `a/001.jpg` pairs with `b/001.png`), split
  as above (sub-folders in both, or the last 10% of the matched names); or `data.path` in
  the pix2pix "AB" layout: `train/` and `test/` (or `val/`) sub-folders of side-by-side
  images, a = the left half, b = the right half.
- ``folder2`` (unpaired): `data.path_a` and `data.path_b`, each split as above; or
  `data.path` in the CycleGAN layout `trainA/ trainB/ testA/ testB/`.
"""
from __future__ import annotations

import os

import numpy as np

from gan_jax.data import folder

TEST_FRACTION = 0.1
TEST_DIRS = ("test", "val")
DEFAULT_SIZE, DEFAULT_CHANNELS = 64, 3


def split_folder(root: str, split: str) -> str | None:
  """`root/train` or `root/test|val` when `root` has a train/ and a test/ (or val/)
  sub-folder, else None."""
  test = next((d for d in TEST_DIRS if os.path.isdir(os.path.join(root, d))), None)
  if test is None or not os.path.isdir(os.path.join(root, "train")):
    return None
  return os.path.join(root, "train" if split == "train" else test)


def held_out(items: list, split: str, what: str) -> list:
  """The train or test part of sorted `items`: the last `TEST_FRACTION` (at least 1) is test."""
  if len(items) < 2:
    raise ValueError(f"{what} has {len(items)} image(s); a train/test split needs at least "
                     "2 (or give it train/ and test/ sub-folders).")
  n_test = max(1, int(round(TEST_FRACTION * len(items))))
  return items[-n_test:] if split == "test" else items[:-n_test]


def split_files(root: str, split: str, key: str = "data.path") -> list[str]:
  """The image files of `split` in folder `root` (rules in the module docstring)."""
  check_split(split)
  sub = split_folder(checked(root, key), split)
  if sub is not None:
    return folder.list_images(sub)
  return held_out(folder.list_images(root), split, f"{key}={root!r}")


def check_split(split: str) -> None:
  if split not in ("train", "test"):
    raise ValueError(f"Folder data sets have splits train and test, not {split!r}.")


def checked(path: str, key: str) -> str:
  if not path:
    raise ValueError(f"{key} is empty; set it to a folder of images.")
  if not os.path.isdir(path):
    raise FileNotFoundError(f"{key}={path!r} is not a folder; point it at a folder of "
                            "images (PNG/JPEG, nested folders allowed).")
  return path


def name_key(file: str, root: str) -> str:
  return os.path.splitext(os.path.relpath(file, root))[0]


def match(files_a: list[str], root_a: str, files_b: list[str], root_b: str):
  """[(file_a, file_b)] of the files with the same name (relative path without extension)
  in both folders, sorted by name; prints how many files found no partner."""
  keyed = []
  for files, root in ((files_a, root_a), (files_b, root_b)):
    names = {}
    for f in files:
      k = name_key(f, root)
      if k in names:
        raise ValueError(f"{root} holds two images named {k!r} ({os.path.basename(names[k])}, "
                         f"{os.path.basename(f)}); pairs are matched by name, keep one.")
      names[k] = f
    keyed.append(names)
  common = sorted(set(keyed[0]) & set(keyed[1]))
  for side, (names, other) in enumerate(((keyed[0], root_b), (keyed[1], root_a))):
    alone = sorted(set(names) - set(common))
    if alone:
      print(f"folder_pairs: {len(alone)} of {len(names)} images in "
            f"{(root_a, root_b)[side]} have no file of the same name in {other} "
            f"(e.g. {alone[0]!r}); they are left out.", flush=True)
  if not common:
    raise ValueError(f"folder_pairs: no image in {root_a} has a file of the same name in "
                     f"{root_b} (e.g. {next(iter(keyed[0]), None)!r} vs "
                     f"{next(iter(keyed[1]), None)!r}); pairs are matched by file name "
                     "without extension.")
  return [(keyed[0][k], keyed[1][k]) for k in common]


def _read_pair(pair):
  return folder.read(pair[0]), folder.read(pair[1])


def _halves(file):
  image = folder.read(file)
  if image.shape[1] < 2:
    raise ValueError(f"{file} is {image.shape[1]} pixel wide; an A|B image has two halves.")
  half = image.shape[1] // 2
  return image[:, :half], image[:, half:]


def folder_pairs(d, split: str, progress: bool = True):
  """(a, b) uint8 [N, size, size, channels] of `split` from the config's `data` section."""
  check_split(split)
  size, channels = d.image_size or DEFAULT_SIZE, d.channels or DEFAULT_CHANNELS
  if d.path_a or d.path_b:
    root_a, root_b = checked(d.path_a, "data.path_a"), checked(d.path_b, "data.path_b")
    subs = split_folder(root_a, split), split_folder(root_b, split)
    if None not in subs:
      pairs = match(folder.list_images(subs[0]), subs[0], folder.list_images(subs[1]), subs[1])
    else:
      pairs = held_out(match(folder.list_images(root_a), root_a, folder.list_images(root_b),
                             root_b), split, "folder_pairs")
    items, reader, where = pairs[:d.limit or None], _read_pair, f"{root_a} + {root_b}"
  elif d.path:
    sub = split_folder(checked(d.path, "data.path"), split)
    if sub is None:
      raise ValueError(f"data.path={d.path!r} is not in the pix2pix A|B layout: it needs "
                       f"train/ and test/ (or val/) sub-folders of side-by-side A|B images. "
                       "Or give data.path_a and data.path_b, folders matched by file name.")
    items, reader, where = folder.list_images(sub)[:d.limit or None], _halves, sub
  else:
    raise ValueError("data.name=folder_pairs needs data.path_a and data.path_b (folders of "
                     "A and B images matched by file name) or data.path (the pix2pix A|B "
                     "layout with train/ and test/ sub-folders).")
  (a, b), _ = folder.load_files(items, size, channels, progress, where, reader=reader)
  return a, b


def folder2(d, split: str, progress: bool = True):
  """(a, b) uint8 images of `split` of two unpaired folders (the config's `data` section)."""
  check_split(split)
  size, channels = d.image_size or DEFAULT_SIZE, d.channels or DEFAULT_CHANNELS
  if d.path_a or d.path_b:
    files = [split_files(d.path_a, split, "data.path_a"),
             split_files(d.path_b, split, "data.path_b")]
  elif d.path:
    root = checked(d.path, "data.path")
    dirs = [os.path.join(root, f"{split}{side}") for side in "AB"]
    missing = [x for x in dirs if not os.path.isdir(x)]
    if missing:
      raise FileNotFoundError(f"data.path={root!r} is not in the CycleGAN layout: "
                              f"{missing[0]} is missing (it needs trainA/ trainB/ testA/ "
                              "testB/). Or give data.path_a and data.path_b.")
    files = [folder.list_images(x) for x in dirs]
  else:
    raise ValueError("data.name=folder2 needs data.path_a and data.path_b (two folders of "
                     "images) or data.path (with trainA/ trainB/ testA/ testB/).")
  return tuple(folder.load_files(f[:d.limit or None], size, channels, progress)[0]
               for f in files)


def images(path: str, split: str, size: int, channels: int, limit: int = 0,
           progress: bool = True) -> np.ndarray:
  """uint8 images of `split` of one folder (e.g. clean images for `mosaic`)."""
  files = split_files(path, split)
  return folder.load_files(files[:limit or None], size, channels, progress, path)[0]
