"""Data sources by name. A source has `shape` (one example's shape), `batch_size`,
`batch(index) -> {"x": [B, ...], "y": [B] where labelled}` (random access,
deterministic from the seed) and `reference(n, seed)` (real examples for evaluation).

Names: the toy sets of `toy`, `folder` (data.path), image data sets by their
tensorflow-datasets names (`fashion_mnist` offline from the Debian package), and the
translation sets of `translation` (paired sources yield {"a", "b", "y"?}, unpaired
ones {"a", "b"}; see paired.py and unpaired.py), and the captioned, speech, video and
text sets of `tasks` (their batch keys are in tasks.py).
Labelled sources (Fashion-MNIST, tfds sets with a label, a folder whose images all sit
in class sub-folders) add `y` and say their class count in `num_classes`.
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
    classes = folder.class_folders(d.path)
    if classes:
      x, y = folder.load_classes(d.path, classes, d.image_size or 64, d.channels or 3)
    else:
      (x, _), y = folder.load(d.path, d.image_size or 64, d.channels or 3), None
    return images.ImageSource(x, y, d.batch_size, config.seed, d.flip, name=f"data.path={d.path!r}",
                              num_classes=len(classes))
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


def check_classes(config, source) -> None:
  """A clear error when `model.num_classes` (set by class-conditional experiments from
  `datasets.NUM_CLASSES`, or by the user for a folder) does not fit the data: the data
  must carry labels `y`, as many classes as the source says it has, none out of range."""
  k = int(config.model.num_classes)
  if k <= 0:
    return
  name = f"data.name={config.data.name!r}" + (f" ({config.data.path})" if config.data.path else "")
  labels = source.batch(0).get("y")
  if labels is None:
    raise ValueError(
        f"model.num_classes={k} asks for class-conditional training, but {name} has no "
        "labels. Use a labelled data set (fashion_mnist, mnist, cifar10), or for "
        "data.name=folder put each class's images in its own sub-folder of data.path.")
  have = int(getattr(source, "num_classes", 0))
  if have and have != k:
    raise ValueError(f"model.num_classes={k} but {name} has {have} classes; set "
                     f"--config.model.num_classes={have}.")
  if int(labels.max()) >= k or int(labels.min()) < 0:
    raise ValueError(f"{name} has label {int(labels.max())} outside [0, {k}) "
                     f"(model.num_classes={k}); set model.num_classes to its class count.")
