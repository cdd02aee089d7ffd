"""Data sets of the text-to-image, speech-enhancement, video-prediction and text tasks,
by name (`data.name`). Each is built offline from Debian packages, Fashion-MNIST or a
seed; batches are random access and deterministic from (seed, index), as for images.

| name | batch | module | splits |
| --- | --- | --- | --- |
| `captioned_shapes` | x, tokens, caption_index, attributes, y (main shape) | shapes.py | train, test (held-out phrasings / combinations), test_seen |
| `fashion_mnist_captions` | x, tokens, caption_index, y (class) | fashion_captions.py | train, test (held-out phrasings), test_seen |
| `noisy_speech` | noisy, clean | speech.py, speech_source.py | train, test (by utterance) |
| `moving_fashion` | past, future, branch, y, positions | moving.py | train, test (by item) |
| `fortunes` | tokens (characters) | text.py | train, test (by document) |
| `oracle` | tokens (SeqGAN's random-LSTM oracle) | oracle.py | train, test |
"""
from __future__ import annotations

from gan_jax.data import (captions, fashion_captions, images, moving, oracle, shapes,
                          speech_source, text)


def captioned_shapes(config, split: str) -> captions.CaptionedSource:
  """The `captioned_shapes` split (shapes.py); `data.limit` keeps the first N scenes."""
  d = config.data
  if d.flip:
    raise ValueError("data.flip=True would mirror left and right, which captioned_shapes' "
                     "captions state; set data.flip=False.")
  s = shapes.load(split, d.image_size or shapes.DEFAULT_SIZE, d.limit)
  source = captions.CaptionedSource(
      images.fit_all(s["images"], 0, d.channels), s["captions"], shapes.vocab(),
      shapes.max_length(), s["attributes"][:, 0], d.batch_size, config.seed,
      f"captioned_shapes:{split}", num_classes=len(shapes.SHAPES), attributes=s["attributes"],
      attribute_names=shapes.ATTRIBUTES, tokens=s["tokens"],
      flags={"novel_template": s["novel_template"], "novel_combination": s["novel_combination"]})
  source.attribute_values = shapes.VALUES  # attribute name -> value names
  return source


BUILDERS = {"captioned_shapes": captioned_shapes,
            "fashion_mnist_captions": fashion_captions.source,
            "noisy_speech": speech_source.source,
            "moving_fashion": moving.source,
            "fortunes": text.fortunes_source,
            "oracle": oracle.source}
NAMES = tuple(BUILDERS)


def get_source(config, split: str = "train"):
  return BUILDERS[config.data.name](config, split)
