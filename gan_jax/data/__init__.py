"""Data sources by name. A source has `shape` (one example's shape), `batch_size`,
`batch(index) -> {"x": [B, ...], "y": [B] where labelled}` (random access,
deterministic from the seed) and `reference(n, seed)` (real examples for evaluation).

Names: the toy sets of `toy`, `folder` (data.path), and image data sets by their
tensorflow-datasets names (`fashion_mnist` offline from the Debian package).
"""
from __future__ import annotations

from gan_jax.data import datasets, folder, images, toy

TOY = tuple(sorted(toy.DISTRIBUTIONS))


def names() -> list[str]:
  return sorted(TOY) + ["folder"] + list(datasets.KNOWN)


def check_name(name: str) -> None:
  """Raises a ValueError naming data.name when no source knows `name` (any
  tensorflow-datasets name is accepted; an unknown one lists the closest)."""
  if name in TOY or name == "folder" or name in datasets.KNOWN:
    return
  datasets.check_tfds_name(name)


def get_source(config, split: str = "train"):
  """The source named by `config.data.name` ('train' or 'test' split), batches of the
  global `data.batch_size`."""
  d = config.data
  if d.name in TOY:
    return toy.ToySource(d.name, d.batch_size, config.seed)
  if d.name == "folder":
    x, _ = folder.load(d.path, d.image_size or 64, d.channels or 3)
    return images.ImageSource(x, None, d.batch_size, config.seed, d.flip,
                              name=f"data.path={d.path!r}")
  return datasets.load(d.name, split, d.batch_size, config.seed, d.image_size, d.channels,
                       d.flip, d.path)
