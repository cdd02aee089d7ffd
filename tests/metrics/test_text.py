"""BLEU, self-BLEU and novelty on hand-computed inputs, and against nltk's numbers."""
import math

import numpy as np
import pytest

from gan_jax.metrics import text


def test_bleu_on_hand_computed_cases():
  ref = [(1, 2, 3, 4)]
  # unigrams 3/4, bigrams 2/3, trigrams 1/2, 4-grams 0/1 -> eps 0.1; equal lengths: BP 1
  got = text.bleu([(1, 2, 3, 5)], ref)
  assert got[2] == pytest.approx(math.sqrt(3 / 4 * 2 / 3))
  assert got[3] == pytest.approx((3 / 4 * 2 / 3 * 1 / 2) ** (1 / 3))
  assert got[4] == pytest.approx((3 / 4 * 2 / 3 * 1 / 2 * 0.1) ** (1 / 4))
  # brevity penalty exp(1 - 4/2)
  assert text.bleu([(1, 2)], ref, (2,))[2] == pytest.approx(math.exp(-1.0))
  # clipping: "1" counts once (the reference has one); bigram (1, 1) twice, unmatched
  assert text.bleu([(1, 1, 1)], [(1, 2)], (2,))[2] == pytest.approx(math.sqrt(1 / 3 * 0.1 / 2))
  # no unigram in common: 0; the best reference per n-gram counts
  assert text.bleu([(7, 8)], ref, (2,))[2] == 0.0
  assert text.bleu([(1, 2, 5, 6)], [(1, 2, 9, 9), (9, 9, 5, 6)], (2,))[2] == pytest.approx(
      math.sqrt(4 / 4 * 2 / 3))


def test_self_bleu_leaves_each_sequence_out():
  seqs = [(1, 2, 3), (1, 2, 3), (4, 5, 6)]
  # the two copies match each other (1.0); (4, 5, 6) shares nothing with the others (0.0)
  assert text.self_bleu(seqs, (2,))[2] == pytest.approx(2 / 3)
  assert text.self_bleu([(1, 2, 3), (4, 5, 6)], (2,))[2] == 0.0


def test_novelty_counts_unseen_ngram_occurrences():
  got = text.novelty([(1, 2, 4), (1, 2, 3)], [(1, 2, 3)], (2, 3))
  assert got[2] == pytest.approx(1 / 4)  # (2, 4) of (1,2) (2,4) (1,2) (2,3)
  assert got[3] == pytest.approx(1 / 2)


def test_bleu_and_self_bleu_match_nltk():
  """nltk 3.9's sentence_bleu (method1, uniform weights) averaged, as Texygen does, on
  this seeded set gave these numbers (refs against refs-but-self for self-BLEU)."""
  rng = np.random.default_rng(0)
  refs = [tuple(rng.integers(1, 6, rng.integers(3, 9))) for _ in range(30)]
  hyps = [tuple(rng.integers(1, 6, rng.integers(1, 9))) for _ in range(30)]
  nltk_bleu = {2: 0.83945378201856, 3: 0.6613476190131707, 4: 0.3506909836183865}
  nltk_self = {2: 0.9614946702421326, 3: 0.7256190265463679, 4: 0.4078395034386724}
  got, got_self = text.bleu(hyps, refs), text.self_bleu(refs)
  for n in (2, 3, 4):
    assert got[n] == pytest.approx(nltk_bleu[n], rel=1e-12)
    assert got_self[n] == pytest.approx(nltk_self[n], rel=1e-12)


def test_sequences_stop_at_padding_or_split_words():
  tokens = np.array([[5, 6, 0, 0], [7, 8, 9, 1]])
  assert text.as_sequences(tokens) == [(5, 6), (7, 8, 9, 1)]
  decode = lambda t: np.array(["a bc", " de  f"])
  assert text.as_sequences(tokens, decode) == [("a", "bc"), ("de", "f")]
