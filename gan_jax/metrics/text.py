"""Text scores: BLEU against held-out text (quality), self-BLEU (diversity), n-gram
novelty against the training set, and the `text` group of the Evaluator (with oracle
NLL and G's NLL on held-out sequences).

BLEU follows Texygen (Zhu et al., 2018, the benchmark of SeqGAN / LeakGAN / RankGAN):
each generated sequence is scored by nltk's ``sentence_bleu(references, hypothesis,
weights=(1/n,) * n, smoothing_function=SmoothingFunction().method1)`` against the whole
reference set, and the scores are averaged over the generated sequences. Sentence BLEU
(Papineni et al., 2002) with that smoothing:

  BLEU-n = BP * exp(sum_{k=1..n} (1/n) log p_k),
  p_k = sum_g min(count_hyp(g), max_r count_r(g)) / max(1, #k-grams of hyp)   (clipped),
  a p_k whose numerator is 0 becomes 0.1 / max(1, #k-grams of hyp) (method1, eps 0.1);
  BLEU-n = 0 when no unigram matches;
  BP = 1 if |hyp| > r else exp(1 - r / |hyp|), r = the reference length closest to |hyp|
  (the shorter one on a tie).

Computed here with each k-gram's maximum count over the references tabled once, which
gives nltk's numbers (tested against hand-computed values; checked against nltk 3.9 on
oracle samples) at a fraction of its cost: nltk recounts every reference for every
hypothesis. Self-BLEU: each sequence of a sample set against all the others (the
table keeps each k-gram's two largest counts and who holds the largest).

Novelty-n: the share of the generated n-grams (occurrences) that never occur in the
training set.
"""
from __future__ import annotations

import collections
import math

import numpy as np

EPSILON = 0.1  # nltk's SmoothingFunction().method1
ORDERS = (2, 3, 4)


def ngrams(seq, n: int) -> collections.Counter:
  return collections.Counter(tuple(seq[i:i + n]) for i in range(len(seq) - n + 1))


class References:
  """Each k-gram's largest count over a reference set (k <= max_n), and the reference
  lengths; with `exclusive`, also the second-largest count and the index of the holder of
  the largest, so that sequence i can be scored against all references but itself."""

  def __init__(self, refs, max_n: int = 4, exclusive: bool = False):
    self.exclusive = exclusive
    self.lengths = collections.Counter(len(r) for r in refs)
    self.tables = []
    for n in range(1, max_n + 1):
      table = {}  # k-gram -> [largest, holder, second largest]
      for i, r in enumerate(refs):
        for g, c in ngrams(r, n).items():
          entry = table.get(g)
          if entry is None:
            table[g] = [c, i, 0]
          elif c > entry[0]:
            table[g] = [c, i, entry[0]]
          elif c > entry[2]:
            entry[2] = c
      self.tables.append(table)

  def max_count(self, g, n: int, exclude: int) -> int:
    entry = self.tables[n - 1].get(g)
    if entry is None:
      return 0
    return entry[2] if entry[1] == exclude else entry[0]

  def closest_length(self, hyp_len: int, exclude_len: int | None) -> int:
    lengths = self.lengths
    if exclude_len is not None:
      lengths = collections.Counter(lengths)
      lengths[exclude_len] -= 1
    return min((l for l, c in lengths.items() if c > 0),
               key=lambda l: (abs(l - hyp_len), l))


def sentence_bleu(hyp, refs: References, n: int, exclude: int = -1) -> float:
  """nltk's sentence_bleu of `hyp` (a token sequence) with uniform weights over 1..n
  and smoothing method1 (module docstring); `exclude`: a reference index left out."""
  logs = []
  for k in range(1, n + 1):
    counts = ngrams(hyp, k)
    matched = sum(min(c, refs.max_count(g, k, exclude)) for g, c in counts.items())
    total = max(1, sum(counts.values()))
    if k == 1 and matched == 0:
      return 0.0
    logs.append(math.log((matched if matched else EPSILON) / total))
  h = len(hyp)
  if h == 0:
    return 0.0
  r = refs.closest_length(h, h if exclude >= 0 else None)
  bp = 1.0 if h > r else math.exp(1 - r / h)
  return bp * math.exp(sum(logs) / n)


def bleu(hyps, refs, orders=ORDERS) -> dict:
  """{n: mean sentence BLEU-n of `hyps` against the reference set `refs`} (Texygen)."""
  table = References(refs, max(orders))
  return {n: float(np.mean([sentence_bleu(h, table, n) for h in hyps])) for n in orders}


def self_bleu(seqs, orders=ORDERS) -> dict:
  """{n: mean over i of BLEU-n of seqs[i] against every other sequence} (Texygen's
  self-BLEU: higher = less diverse)."""
  table = References(seqs, max(orders), exclusive=True)
  return {n: float(np.mean([sentence_bleu(s, table, n, exclude=i) for i, s in enumerate(seqs)]))
          for n in orders}


def novelty(seqs, train, orders=ORDERS) -> dict:
  """{n: share of the n-grams of `seqs` (occurrences) absent from `train`'s}."""
  out = {}
  for n in orders:
    seen = set()
    for t in train:
      seen.update(tuple(t[i:i + n]) for i in range(len(t) - n + 1))
    grams = [tuple(s[i:i + n]) for s in seqs for i in range(len(s) - n + 1)]
    out[n] = float(np.mean([g not in seen for g in grams])) if grams else float("nan")
  return out


def as_sequences(tokens, decode=None) -> list:
  """Token-id rows [N, L] as BLEU's sequences: `decode` None: the ids up to the first
  padding id 0 (oracle: all L); else the words of the decoded text (characters: words
  are BLEU's tokens, as in Texygen's real-text benchmark)."""
  tokens = np.asarray(tokens)
  if decode is None:
    out = []
    for row in tokens:
      end = np.flatnonzero(row == 0)
      out.append(tuple(int(t) for t in row[:end[0] if len(end) else len(row)]))
    return out
  return [tuple(t.split()) for t in decode(tokens)]


# The `text` group's protocol: how many sequences each score reads.
BLEU_HYPOTHESES = 500   # generated sequences scored by BLEU against the references
REFERENCES = 2000       # held-out sequences: BLEU's references, G's NLL_test
SELF_BLEU_SAMPLES = 200  # generated sequences of self-BLEU (each against the other 199)
NLL_CHUNK = 500


def held_out_nll(method, g_vars, tokens) -> float:
  """G's mean NLL per token (nats) on `tokens` [N, L], NLL_CHUNK rows per compiled call."""
  from gan_jax import sampling
  fn, out = sampling.jitted(method, "nll"), []
  for i in range(0, len(tokens), NLL_CHUNK):
    rows = tokens[i:i + NLL_CHUNK]
    padded = np.concatenate([rows, np.repeat(rows[-1:], NLL_CHUNK - len(rows), axis=0)])
    out.append(np.asarray(fn(g_vars["params"], padded))[:len(rows)])
  return float(np.concatenate(out).mean())


def group(tokens, method, g_vars, train, test, split: str, seed: int) -> tuple[dict, dict]:
  """(scores, protocol) of generated token rows [N, L]: `oracle_nll` (when `train` has
  the oracle), `nll_test` (when `g_vars` is given), `bleu{2,3,4}` against `test`,
  `self_bleu{2,3,4}`, `novelty{2,3,4}` against `train`."""
  tokens = np.asarray(tokens)
  oracle = hasattr(train, "oracle_nll")
  decode = None if oracle else method.decode
  refs_tokens = test.examples(min(REFERENCES, test.size), seed=0)["tokens"]
  scores = {}
  if oracle:
    scores["oracle_nll"] = float(np.mean(train.oracle_nll(tokens)))
  if g_vars is not None:
    scores["nll_test"] = held_out_nll(method, g_vars, refs_tokens)
  hyps = as_sequences(tokens[:BLEU_HYPOTHESES], decode)
  refs = as_sequences(refs_tokens, decode)
  for n, v in bleu(hyps, refs).items():
    scores[f"bleu{n}"] = v
  for n, v in self_bleu(as_sequences(tokens[:SELF_BLEU_SAMPLES], decode)).items():
    scores[f"self_bleu{n}"] = v
  for n, v in novelty(as_sequences(tokens, decode), as_sequences(train.tokens, decode)).items():
    scores[f"novelty{n}"] = v
  unit = "token ids" if oracle else "words of the decoded text (split on whitespace)"
  protocol = {
      "num_generated": int(len(tokens)), "seed": int(seed),
      "oracle_nll": "mean over the generated sequences of the oracle's exact NLL per token "
                    "(nats; SeqGAN's NLL-oracle)" if oracle else "n/a (no oracle)",
      "nll_test": f"G's teacher-forced NLL per token (nats, padding included) on "
                  f"{len(refs_tokens)} sequences of the {split} split (the first by seed 0)",
      "bleu": f"Texygen: nltk sentence_bleu, uniform weights, SmoothingFunction().method1, "
              f"of the first {len(hyps)} generated sequences, each against all "
              f"{len(refs)} {split} sequences, averaged; n-grams of {unit}",
      "self_bleu": f"the same, each of the first {min(SELF_BLEU_SAMPLES, len(tokens))} "
                   "generated sequences against the other ones (a subsample: Texygen uses "
                   "every sample)",
      "novelty": f"share of the n-gram occurrences of all {len(tokens)} generated sequences "
                 f"absent from the {len(train.tokens)} training sequences",
      "reference_split": split}
  return scores, protocol
