"""`fashion_mnist_captions`: Fashion-MNIST with templated captions of the class
(text-to-image with a real image domain; y = the class the caption names).

A caption is a template of `TEMPLATES` with a noun phrase of the class (`ITEMS`, with
its article: "a pair of sneakers", "a sports shoe", "an ankle boot"). Each image has 5
captions, template and phrase drawn per caption by ``default_rng([SEED, split index])``
(fixed with the data set, not the run's seed).

Splits (images: Fashion-MNIST's own train and test splits):
- `train`: the 60,000 training images, captions from `TEMPLATES`;
- `test`: the 10,000 test images, captions from `HELD_OUT_TEMPLATES` only (phrasings
  never seen in training; every word of them is in the vocabulary, but five of them,
  here / we / see / small / showing, occur in no training caption (`training_words`),
  and the word encoders skip them (gan_cls.trained_ids), so with the bag-of-words
  encoder a held-out caption reads as its training words: the split measures new
  phrasing as the encoder sees it, not robustness to untrained words);
- `test_seen`: the same 10,000 test images with captions from `TEMPLATES`.
The noun phrases are shared by all splits. Captions take about a second to make, so
they are not cached; the images are Fashion-MNIST's, resized to `data.image_size`.
"""
from __future__ import annotations

import numpy as np

from gan_jax.data import captions as captions_lib, fashion, images as images_lib

CLASSES = ("T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt",
           "Sneaker", "Bag", "Ankle boot")
ITEMS = (
    ("a t-shirt", "a top", "a tee"),
    ("a pair of trousers", "a pair of pants", "some slacks"),
    ("a pullover", "a sweater", "a jumper"),
    ("a dress", "a frock", "a gown"),
    ("a coat", "a jacket", "an overcoat"),
    ("a sandal", "a pair of sandals", "an open summer shoe"),
    ("a shirt", "a button-up shirt", "a blouse"),
    ("a sneaker", "a pair of sneakers", "a sports shoe", "a trainer"),
    ("a bag", "a handbag", "a purse"),
    ("an ankle boot", "a boot", "a short boot"),
)
TEMPLATES = ("{item}", "a photo of {item}", "a picture of {item}", "this is {item}",
             "an image of {item}", "a grayscale photo of {item}")
HELD_OUT_TEMPLATES = ("here we see {item}", "a small picture showing {item}")
SPLITS = ("train", "test", "test_seen")
CAPTIONS_PER_IMAGE = 5
SEED = 0


def caption_table(labels: np.ndarray, split: str) -> np.ndarray:
  """str [N, 5]: the captions of images with class `labels` in `split`."""
  if split not in SPLITS:
    raise ValueError(f"fashion_mnist_captions has splits {', '.join(SPLITS)}, not {split!r}.")
  templates = HELD_OUT_TEMPLATES if split == "test" else TEMPLATES
  rng = np.random.default_rng([SEED, SPLITS.index(split)])
  shape = (len(labels), CAPTIONS_PER_IMAGE)
  which = rng.integers(0, len(templates), shape)
  # ITEMS rows differ in length: draw a uniform fraction and scale it per class.
  phrase = (rng.random(shape) * np.array([len(ITEMS[y]) for y in labels])[:, None]).astype(int)
  widest = max(len(options) for options in ITEMS)
  every = np.array([[[t.format(item=options[min(p, len(options) - 1)]) for p in range(widest)]
                     for options in ITEMS] for t in templates])  # [template, class, phrase]
  return every[which, np.asarray(labels)[:, None], phrase]


def vocab() -> list[str]:
  return captions_lib.build_vocab(
      [t.format(item="") for t in TEMPLATES + HELD_OUT_TEMPLATES]
      + [p for options in ITEMS for p in options])


def training_words() -> list[str]:
  """The words that occur in training captions (`TEMPLATES` and the noun phrases); the
  held-out phrasings add here / we / see / small / showing."""
  phrases = [t.format(item="") for t in TEMPLATES] + [p for options in ITEMS for p in options]
  return sorted({w for p in phrases for w in captions_lib.words(p)})


def max_length() -> int:
  slots = {"item": [p for options in ITEMS for p in options]}
  return max(captions_lib.expansions_length(t, slots) for t in TEMPLATES + HELD_OUT_TEMPLATES)


def parse_caption(text: str) -> int:
  """The class a caption names (the longest noun phrase found in it), -1 for none."""
  found = [(len(p), y) for y, options in enumerate(ITEMS) for p in options
           if f" {' '.join(captions_lib.words(p)[1:])} " in f" {' '.join(captions_lib.words(text))} "]
  return max(found)[1] if found else -1


def source(config, split: str) -> captions_lib.CaptionedSource:
  """The CaptionedSource of `split` (module docstring); `data.limit` keeps the first N."""
  d = config.data
  x, y = fashion.fashion_mnist("test" if split == "test_seen" else split, d.limit)
  table = caption_table(y, split)
  x = images_lib.fit_all(x, d.image_size, d.channels)
  return captions_lib.CaptionedSource(
      x, table, vocab(), max_length(), y, d.batch_size, config.seed,
      f"fashion_mnist_captions:{split}", num_classes=len(CLASSES), flip=d.flip)
