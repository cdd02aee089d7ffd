"""Captioned image sources (text-to-image): images with several templated captions each.

Captions are word-level: `words` lower-cases a string and keeps runs of letters, digits,
hyphens and apostrophes ("five-pointed" is one word; commas and full stops are dropped).
The vocabulary of a data set is built from ALL its templates and synonyms (held-out
phrasings included, so every test caption encodes without unknown words): id 0 is the
padding `<pad>`, id 1 `<unk>` (a word of a user's caption that no template uses), then
the words in sorted order. Every caption is encoded to `length` ids, padded with 0.

A `CaptionedSource` holds uint8 images [N, H, W, C] with K captions each (str [N, K])
and serves ``batch(index)``: the rows of the seeded epoch permutation of
`images.Epochs`, and for each row one of its K captions, drawn by
``default_rng([seed, index, 2])``. Caption j of image i has the caption index i * K + j
(`captions(caption_index)` gives its string back).
"""
from __future__ import annotations

import re

import numpy as np

from gan_jax.data import images as images_lib

PAD, UNK = "<pad>", "<unk>"
_WORD = re.compile(r"[a-z0-9'-]+")


def words(text: str) -> list[str]:
  """The words of a caption: lower case, punctuation other than - and ' dropped."""
  return _WORD.findall(text.lower())


def build_vocab(phrases) -> list[str]:
  """[<pad>, <unk>, sorted words of `phrases`]: ids are positions in the list."""
  return [PAD, UNK] + sorted({w for p in phrases for w in words(p)} - {PAD, UNK})


def encode(texts, vocab: list[str], length: int) -> np.ndarray:
  """int32 [n, length]: word ids of each text (unknown words -> 1), padded with 0. A text
  of more than `length` words is an error (the model's text input has that length)."""
  ids = {w: i for i, w in enumerate(vocab)}
  out = np.zeros((len(texts), length), np.int32)
  for row, text in enumerate(texts):
    seq = [ids.get(w, 1) for w in words(text)]
    if len(seq) > length:
      raise ValueError(f"The caption {text!r} has {len(seq)} words; this data set's captions "
                       f"have at most {length}. Shorten it.")
    out[row, :len(seq)] = seq
  return out


def decode(tokens: np.ndarray, vocab: list[str]) -> np.ndarray:
  """str [n]: the words of each row of int tokens [n, L] joined by spaces (0s skipped)."""
  return np.array([" ".join(vocab[int(t)] for t in row if t) for row in np.atleast_2d(tokens)])


def fix_articles(text: str) -> str:
  """'a' before a vowel becomes 'an' ("a orange disc" -> "an orange disc")."""
  return re.sub(r"\ba (?=[aeiou])", "an ", text)


def expansions_length(template: str, slots: dict) -> int:
  """The most words `template` can have once every {slot} takes its longest phrase."""
  longest = {k: max(len(words(p)) for p in v) for k, v in slots.items()}
  fields = re.findall(r"{(\w+)}", template)
  return len(words(re.sub(r"{\w+}", " ", template))) + sum(longest[f] for f in fields)


class CaptionedSource:
  """Random-access batches of images with captions, for one split.

  Batches: {"x": float32 [B, H, W, C] in [-1, 1], "tokens": int32 [B, L],
  "caption_index": int32 [B] (image row * K + caption), "y": int32 [B] (the main
  label), "attributes": int32 [B, A] where the data have them}.
  Attributes: `shape`, `size`, `batch_size`, `name`, `num_classes`, `vocab`, `length`
  (L), `captions_per_image` (K), `flags` ({name: int32 [N]} per-image markers such as
  `novel_template`, returned by `examples`), `attribute_names`.
  """

  def __init__(self, images: np.ndarray, captions: np.ndarray, vocab: list[str], length: int,
               labels: np.ndarray, batch_size: int, seed: int, name: str, num_classes: int,
               attributes: np.ndarray | None = None, attribute_names: tuple = (),
               flags: dict | None = None, flip: bool = False, tokens: np.ndarray | None = None):
    n, k = captions.shape
    if len(images) != n or len(labels) != n:
      raise ValueError(f"{name}: {len(images)} images, {n} caption rows, {len(labels)} labels.")
    self.images, self.caption_table = images, captions
    self.vocab, self.length, self.captions_per_image = list(vocab), length, k
    if tokens is None:  # templated captions repeat: encode each distinct one once
      distinct, inverse = np.unique(captions.reshape(-1), return_inverse=True)
      tokens = encode(distinct, self.vocab, length)[inverse.reshape(-1)]
    self.tokens = tokens.reshape(n, k, length)
    self.labels = np.asarray(labels, np.int32)
    self.attributes = None if attributes is None else np.asarray(attributes, np.int32)
    self.attribute_names = tuple(attribute_names)
    self.flags = {f: np.asarray(v, np.int32) for f, v in (flags or {}).items()}
    self.batch_size, self.seed, self.name, self.flip = batch_size, seed, name, flip
    self.num_classes, self.size = num_classes, n
    self.shape = tuple(images.shape[1:])
    self.epochs = images_lib.Epochs(n, batch_size, seed, name=name)
    self.batches_per_epoch = self.epochs.batches_per_epoch
    # What a caption says, as one id per image: a mismatched caption must say otherwise.
    meaning = self.labels[:, None] if self.attributes is None else self.attributes
    self._meaning = np.unique(meaning, axis=0, return_inverse=True)[1].reshape(-1)

  def _take(self, rows: np.ndarray, pick: np.ndarray) -> dict:
    out = {"x": images_lib.to_float(self.images[rows]), "tokens": self.tokens[rows, pick],
           "caption_index": (rows * self.captions_per_image + pick).astype(np.int32),
           "y": self.labels[rows]}
    if self.attributes is not None:
      out["attributes"] = self.attributes[rows]
    return out

  def batch(self, index: int) -> dict:
    """Batch `index` of the seeded stream (keys in the class docstring)."""
    rows = self.epochs.rows(index)
    pick = np.random.default_rng([self.seed, index, 2]).integers(
        0, self.captions_per_image, len(rows))
    out = self._take(rows, pick)
    if self.flip:
      flips = images_lib.flip_mask(self.seed, index, len(rows))
      out["x"][flips] = out["x"][flips, :, ::-1]
    return out

  def examples(self, n: int | None = None, seed: int = 0) -> dict:
    """`n` images chosen by `seed` (sorted; all, in order, when None), one caption each
    (drawn by `seed`), no flips: the batch keys plus "caption" (str [n]) and the flags."""
    rows = images_lib.choose(self.size, n, seed, self.name)
    pick = np.random.default_rng([seed, 2**31 - 1, 2]).integers(
        0, self.captions_per_image, len(rows))
    out = self._take(rows, pick)
    out["caption"] = self.captions(out["caption_index"])
    out.update({f: v[rows] for f, v in self.flags.items()})
    return out

  def captions(self, caption_index) -> np.ndarray:
    """str [...]: the caption strings of caption indices (image row * K + caption)."""
    return self.caption_table.reshape(-1)[np.asarray(caption_index)]

  def encode(self, texts) -> np.ndarray:
    """int32 [n, L]: token ids of caption strings (e.g. a user's captions file)."""
    return encode(list(texts), self.vocab, self.length)

  def decode(self, tokens) -> np.ndarray:
    return decode(tokens, self.vocab)

  def mismatched(self, caption_index, seed: int, index: int = 0) -> np.ndarray:
    """int32 [B]: for each caption index, the index of a caption of another image whose
    label / attributes differ (GAN-CLS's mismatched text), drawn by
    ``default_rng([seed, index, 3])``: the same arguments give the same captions."""
    own = self._meaning[np.asarray(caption_index) // self.captions_per_image]
    if (self._meaning == self._meaning[0]).all():
      raise ValueError(f"{self.name}: every image says the same thing; no mismatched "
                       "caption exists.")
    rng = np.random.default_rng([seed, index, 3])
    rows = rng.integers(0, self.size, len(own))
    while (bad := self._meaning[rows] == own).any():  # resample the matches only
      rows[bad] = rng.integers(0, self.size, int(bad.sum()))
    pick = rng.integers(0, self.captions_per_image, len(own))
    return (rows * self.captions_per_image + pick).astype(np.int32)

  def arrays(self, n: int | None = None, seed: int = 0):
    """(images float32 [n, ...], labels int32 [n]), as `ImageSource.arrays`."""
    rows = images_lib.choose(self.size, n, seed, self.name)
    return images_lib.to_float(self.images[rows]), self.labels[rows]

  def reference(self, n: int, seed: int) -> np.ndarray:
    return self.arrays(n, seed)[0]
