"""Image-to-image translation data sets by name (`data.name`).

Paired (`PairedSource`: batches {"a": input, "b": target, "y" where labelled}):

| name | a -> b | y | size (`data.image_size` 0) | splits |
| --- | --- | --- | --- | --- |
| `edges2fashion` | Canny edges -> Fashion-MNIST (`fashion.py`) | class | 32 | Fashion-MNIST's |
| `mosaic` | k x k mean blocks -> clean (`mosaic.py`); `data.path` "" (Fashion-MNIST), "photos" or a folder | class (Fashion-MNIST) | 32 / 64 / 64 | own / photo regions / folder rule |
| `fonts` | Kai glyph -> Ming glyph (`fonts.py`) | character index | 64 | by character (train, test, all) |
| `folder_pairs` | `data.path_a` -> `data.path_b` by file name, or `data.path` A\\|B images (`folders.py`) | - | 64 | folder rule |

Unpaired (`UnpairedSource`: batches {"a", "b"} drawn independently):

| name | a / b | size | splits |
| --- | --- | --- | --- |
| `fonts_unpaired` | Kai / Ming glyphs; train: disjoint halves of the training characters | 64 | by character; test aligned |
| `sneaker2boot` | Fashion-MNIST sneakers (7) / ankle boots (9) | 32 | Fashion-MNIST's |
| `folder2` | `data.path_a` / `data.path_b`, or `data.path` with trainA/ trainB/ testA/ testB/ | 64 | folder rule |

`data.channels` converts every image after building (1: luminance, 3: RGB); `data.limit`
builds only the first N examples (characters for the fonts, files for folders).
"""
from __future__ import annotations

import os

from gan_jax.data import fashion, folders, fonts, images, mosaic, photos
from gan_jax.data.paired import PairedSource
from gan_jax.data.unpaired import UnpairedSource

PAIRED = ("edges2fashion", "mosaic", "fonts", "folder_pairs")
UNPAIRED = ("fonts_unpaired", "sneaker2boot", "folder2")
NAMES = PAIRED + UNPAIRED


def _check_split(name: str, split: str) -> None:
  splits = ("train", "test", "all") if name.startswith("fonts") else ("train", "test")
  if split not in splits:
    raise ValueError(f"data.name={name} has splits {', '.join(splits)}, not {split!r}.")


def get_source(config, split: str = "train"):
  """The paired or unpaired source named by `config.data.name` for `split`."""
  d = config.data
  _check_split(d.name, split)
  kwargs = dict(batch_size=d.batch_size, seed=config.seed, flip=d.flip, name=f"{d.name}:{split}")

  def channels(x):
    return images.fit_all(x, 0, d.channels)

  if d.name == "edges2fashion":
    s = fashion.edges2fashion(split, d.image_size or fashion.DEFAULT_SIZE, d.limit)
    return PairedSource(channels(s["a"]), channels(s["b"]), s["y"],
                        num_classes=fashion.NUM_CLASSES, **kwargs)
  if d.name == "mosaic":
    return _mosaic(d, split, channels, kwargs)
  if d.name in ("fonts", "fonts_unpaired"):
    return _fonts(d, split, channels, kwargs)
  if d.name == "folder_pairs":
    a, b = folders.folder_pairs(d, split)
    return PairedSource(a, b, None, **kwargs)
  if d.name == "sneaker2boot":
    a, b = fashion.sneaker2boot(split, d.image_size or fashion.DEFAULT_SIZE, d.limit)
    return UnpairedSource(channels(a), channels(b), **kwargs)
  if d.name == "folder2":
    a, b = folders.folder2(d, split)
    return UnpairedSource(a, b, **kwargs)
  raise ValueError(f"{d.name!r} is not a translation data set; these are: {', '.join(NAMES)}.")


def _mosaic(d, split, channels, kwargs):
  if not d.path:
    s = mosaic.from_fashion_mnist(split, d.image_size or fashion.DEFAULT_SIZE, d.limit)
  elif d.path == "photos":
    s = mosaic.from_photos(split, d.image_size or photos.DEFAULT_SIZE, d.limit)
  elif not os.path.isdir(d.path):
    raise FileNotFoundError(f"data.path={d.path!r} for data.name=mosaic is not a folder; use "
                            "a folder of images, 'photos' (scikit-image's sample photographs) "
                            "or '' (Fashion-MNIST).")
  else:
    size = d.image_size or folders.DEFAULT_SIZE
    mosaic.check_size(size)
    s = mosaic.pairs(folders.images(d.path, split, size, d.channels or folders.DEFAULT_CHANNELS,
                                    d.limit), split)
  source = PairedSource(channels(s["a"]), channels(s["b"]), s.get("y"),
                        num_classes=fashion.NUM_CLASSES if "y" in s else 0, **kwargs)
  source.block_sizes = s["k"]  # each example's k, e.g. to score by mosaic size
  return source


def _fonts(d, split, channels, kwargs):
  # Rendered at fonts.SIZE and resized (antialiased) to data.image_size, as the glyph
  # classifiers that score these sets see them (gan_jax/classifier.py): glyphs rendered
  # straight at 32 px differ by 15-20 grey levels per pixel, and the Kai / Ming
  # classifier called 18% of such real Ming test glyphs Kai.
  glyphs = fonts.load(fonts.SIZE, d.limit)
  fit = lambda x: images.fit_all(x, d.image_size or fonts.SIZE, 0)
  kai, ming = channels(fit(glyphs["kai"])), channels(fit(glyphs["ming"]))
  if d.name == "fonts":
    rows = fonts.split_rows(glyphs, split)
    source = PairedSource(kai[rows], ming[rows], rows, num_classes=len(glyphs["characters"]),
                          **kwargs)
  elif split == "train":
    rows_a, rows_b = fonts.unpaired_halves(glyphs)
    source = UnpairedSource(kai[rows_a], ming[rows_b], labels_a=rows_a, labels_b=rows_b,
                            **kwargs)
  else:
    rows = fonts.split_rows(glyphs, split)
    source = UnpairedSource(kai[rows], ming[rows], aligned=True, labels_a=rows, labels_b=rows,
                            **kwargs)
  source.characters = [str(c) for c in glyphs["characters"]]  # characters[y]: the character
  return source
