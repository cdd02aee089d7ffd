"""Data sources by name. A source has `shape` (one example's shape), `batch_size`,
`batch(index) -> {"x": [B, ...], "y": [B] where labelled}` (random access,
deterministic from the seed) and `reference(n, seed)` (real examples for evaluation).

Names: the toy sets of `toy`, `folder` (data.path), image data sets by their
tensorflow-datasets names (`fashion_mnist` offline from the Debian package), and the
translation sets of `translation` (paired sources yield {"a", "b", "y"?}, unpaired
ones {"a", "b"}; see paired.py and unpaired.py), and the captioned, speech, video and
text sets of `tasks` (their batch keys are in tasks.py).
"""
from __future__ import annotations

from gan_jax.data import datasets, folder, images, tasks, toy, translation

TOY = tuple(sorted(toy.DISTRIBUTIONS))


def names() -> list[str]:
  return (sorted(TOY) + ["folder"] + list(datasets.KNOWN) + list(translation.NAMES)
          + list(tasks.NAMES))


def check_name(name: str) -> None:
  """Raises a ValueError naming data.name when no source knows `name` (any
  tensorflow-datasets name is accepted; an unknown one lists the closest)."""
  if name in names():
    return
  datasets.check_tfds_name(name)


def get_source(config, split: str = "train"):
  """The source named by `config.data.name` ('train' or 'test' split), batches of the
  global `data.batch_size`."""
  d = config.data
  if d.name in TOY:
    return toy.ToySource(d.name, d.batch_size, config.seed)
  if d.name in translation.NAMES:
    return translation.get_source(config, split)
  if d.name in tasks.NAMES:
    return tasks.get_source(config, split)
  if d.name == "folder":
    x, _ = folder.load(d.path, d.image_size or 64, d.channels or 3)
    return images.ImageSource(x, None, d.batch_size, config.seed, d.flip,
                              name=f"data.path={d.path!r}")
  return datasets.load(d.name, split, d.batch_size, config.seed, d.image_size, d.channels,
                       d.flip, d.path)


def reference_source(config, train_source):
  """(source, split name) of the real data held out for evaluation and for sampling
  the families that translate data: `eval.reference_split` (default 'test'); data with
  no such split (a folder, a toy set) fall back to the training source."""
  split = config.eval.reference_split
  if split == "train" or config.data.name in TOY or config.data.name == "folder":
    return train_source, "train"
  try:
    return get_source(config, split=split), split
  except (datasets.DataUnavailableError, ValueError, KeyError) as e:
    print(f"Note: {config.data.name!r} has no usable {split!r} split ({e}); evaluating "
          "and sampling on the training split.", flush=True)
    return train_source, "train"
