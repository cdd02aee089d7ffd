"""Text data as token sequences: `fortunes` (real English, character level) and the
`TextSource` that `oracle.py` shares.

`fortunes`: the fortune cookies of the Debian packages `fortunes` and `fortunes-min`
(/usr/share/games/fortunes: 43 files, about 15,100 distinct fortunes, 2.5 MB), every
file except `ascii-art` (pictures, not prose). A document is one fortune (the text
between "%" lines, surrounding blank lines stripped); identical fortunes that appear
in several files are kept once. Split BY DOCUMENT: 10% of the distinct documents,
chosen by ``default_rng(SPLIT_SEED)`` (fixed with the data set), are test documents; no
document is in both splits.

Characters: id 0 is padding (`<pad>`, also the end of a document), id 1 `<unk>` (any
character outside the vocabulary: backspaces of overstruck text, non-ASCII), then tab,
newline and the 95 printable ASCII characters (space .. ~): 99 ids. Each document is cut
into consecutive chunks of `data.seq_len` characters (default 64); the last chunk of a
document is padded with 0, so a sequence never spans two documents. `data.limit` keeps
the first N documents of a split. Made in about a second; not cached.
"""
from __future__ import annotations

import os
import re

import numpy as np

from gan_jax.data import images as images_lib

FORTUNES_DIR = "/usr/share/games/fortunes"
EXCLUDED = ("ascii-art",)
PAD, UNK = "<pad>", "<unk>"
CHARS = ["\t", "\n"] + [chr(c) for c in range(32, 127)]
VOCAB = [PAD, UNK] + CHARS
_IDS = {c: i + 2 for i, c in enumerate(CHARS)}
DEFAULT_LEN = 64
TEST_FRACTION = 0.1
SPLIT_SEED = 0
SPLITS = ("train", "test")


def fortunes() -> list[str]:
  """The distinct fortunes of every file, in file order (first occurrence kept)."""
  if not os.path.isdir(FORTUNES_DIR):
    raise FileNotFoundError(f"{FORTUNES_DIR} is missing; data.name=fortunes reads the Debian "
                            "package: apt-get install fortunes")
  docs = {}
  for name in sorted(os.listdir(FORTUNES_DIR)):
    path = os.path.join(FORTUNES_DIR, name)
    if name.endswith((".dat", ".u8")) or name in EXCLUDED or os.path.islink(path):
      continue
    with open(path, encoding="utf-8", errors="replace") as f:
      for doc in re.split(r"^%\n", f.read(), flags=re.M):
        doc = doc.strip("\n")
        if doc.strip():
          docs.setdefault(doc, None)
  return list(docs)


def split_documents(docs: list[str], split: str) -> list[str]:
  """The train or test documents (module docstring)."""
  if split not in SPLITS:
    raise ValueError(f"Text data sets have splits {', '.join(SPLITS)}, not {split!r}.")
  n_test = max(1, int(round(TEST_FRACTION * len(docs))))
  test = np.zeros(len(docs), bool)
  test[np.random.default_rng(SPLIT_SEED).permutation(len(docs))[:n_test]] = True
  return [d for d, t in zip(docs, test) if t == (split == "test")]


def encode_chars(text: str) -> np.ndarray:
  """int32 [len(text)]: character ids (outside the vocabulary: 1)."""
  return np.array([_IDS.get(c, 1) for c in text], np.int32)


def chunks(ids: np.ndarray, length: int) -> np.ndarray:
  """int32 [ceil(n / length), length]: consecutive chunks, the last one padded with 0."""
  out = np.zeros((-(-len(ids) // length), length), np.int32)
  out.reshape(-1)[:len(ids)] = ids
  return out


def decode(tokens: np.ndarray, vocab: list[str], separator: str = "") -> np.ndarray:
  """str [n]: each row of tokens [n, L] as text, padding (0) skipped, `<unk>` as U+FFFD."""
  names = ["" if i == 0 else "\ufffd" if v == UNK else v for i, v in enumerate(vocab)]
  return np.array([separator.join(names[int(t)] for t in row if t)
                   for row in np.atleast_2d(tokens)])


class TextSource:
  """Random-access batches {"tokens": int32 [B, L]} of fixed-length sequences (id 0 =
  padding). Attributes: `shape` = (L,), `size`, `batch_size`, `name`, `num_classes` (0),
  `vocab` (id -> string), `vocab_size`, `separator` (joins decoded tokens), and
  `document` (int32 [N]: the document each sequence comes from)."""

  num_classes = 0

  def __init__(self, tokens: np.ndarray, vocab: list[str], batch_size: int, seed: int,
               name: str, separator: str = "", document: np.ndarray | None = None):
    self.tokens, self.vocab, self.separator = np.asarray(tokens, np.int32), list(vocab), separator
    self.vocab_size = len(vocab)
    self.batch_size, self.seed, self.name = batch_size, seed, name
    self.size, self.shape = len(tokens), tuple(tokens.shape[1:])
    self.document = np.arange(self.size) if document is None else np.asarray(document, np.int32)
    self.epochs = images_lib.Epochs(self.size, batch_size, seed, name=name)
    self.batches_per_epoch = self.epochs.batches_per_epoch

  def batch(self, index: int) -> dict:
    return {"tokens": self.tokens[self.epochs.rows(index)]}

  def examples(self, n: int | None = None, seed: int = 0) -> dict:
    """`n` sequences chosen by `seed` (sorted; all, in order, when None): {"tokens",
    "text": str [n]}."""
    tokens = self.tokens[images_lib.choose(self.size, n, seed, self.name)]
    return {"tokens": tokens, "text": self.decode(tokens)}

  def decode(self, tokens) -> np.ndarray:
    return decode(np.asarray(tokens), self.vocab, self.separator)

  def reference(self, n: int, seed: int) -> np.ndarray:
    return self.examples(n, seed)["tokens"]


def fortunes_source(config, split: str) -> TextSource:
  d = config.data
  length = d.seq_len or DEFAULT_LEN
  docs = split_documents(fortunes(), split)[:d.limit or None]
  parts = [chunks(encode_chars(doc), length) for doc in docs]
  document = np.repeat(np.arange(len(parts)), [len(p) for p in parts])
  source = TextSource(np.concatenate(parts), VOCAB, d.batch_size, config.seed,
                      f"fortunes:{split}", document=document)
  source.documents = docs  # source.documents[source.document[i]]: sequence i's fortune
  return source


def encode(texts, length: int) -> np.ndarray:
  """int32 [n, length]: the first `length` characters of each text, padded with 0."""
  out = np.zeros((len(texts), length), np.int32)
  for i, t in enumerate(texts):
    ids = encode_chars(t)[:length]
    out[i, :len(ids)] = ids
  return out
