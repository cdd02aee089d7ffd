"""Scores of generated samples from a pretrained classifier's probabilities.

A classifier p(y|x) trained on the real data labels each generated sample with its
most probable class (argmax). With q the histogram of those labels over the K
classes and p the real data's class distribution:

- `class_histogram` q [K]: fraction of samples labelled c.
- `classes_covered`: number of classes with q_c >= min_share * p_c (default
  min_share = 0.1: a class is covered when it receives at least a tenth of its share
  in the data; for 10 balanced classes, >= 1% of the samples). Classes absent from
  the data (p_c = 0) are not counted. The mode-counting protocol of Metz et al.
  (2017, Unrolled GANs) and Srivastava et al. (2017, VEEGAN) counts a mode when it
  holds any sample; the share threshold keeps a few stray samples from counting.
- `class_kl`: KL(q || p) = sum_c q_c log(q_c / p_c) in nats (the reverse KL of
  VEEGAN's Table 1 protocol); +inf when q puts mass on a class with p_c = 0.
- `confidence`: mean over samples of max_c p(c|x), the classifier's confidence
  (low for ambiguous samples, high for recognisable ones).
"""
from __future__ import annotations

import numpy as np
from scipy import special


def class_distribution(labels: np.ndarray, num_classes: int) -> np.ndarray:
  """Class frequencies [K] of integer labels [N] in [0, K)."""
  labels = np.asarray(labels).ravel()
  if labels.size == 0 or labels.min() < 0 or labels.max() >= num_classes:
    raise ValueError(f"labels must be integers in [0, {num_classes}); got range "
                     f"[{labels.min() if labels.size else None}, "
                     f"{labels.max() if labels.size else None}] over {labels.size} labels.")
  return np.bincount(labels, minlength=num_classes) / labels.size


def class_histogram(probs: np.ndarray) -> np.ndarray:
  """Fraction of samples whose most probable class is c: probs [N, K] -> [K]."""
  probs = np.asarray(probs)
  return np.bincount(probs.argmax(1), minlength=probs.shape[1]) / len(probs)


def classes_covered(histogram: np.ndarray, data_distribution: np.ndarray,
                    min_share: float = 0.1) -> int:
  """Number of classes c with p_c > 0 and q_c >= min_share * p_c."""
  q, p = np.asarray(histogram, np.float64), np.asarray(data_distribution, np.float64)
  return int(np.sum((p > 0) & (q >= min_share * p)))


def class_kl(histogram: np.ndarray, data_distribution: np.ndarray) -> float:
  """KL(q || p) in nats; 0 log 0 = 0; +inf if q_c > 0 where p_c = 0."""
  q, p = np.asarray(histogram, np.float64), np.asarray(data_distribution, np.float64)
  return float(special.rel_entr(q, p).sum())


def confidence(probs: np.ndarray) -> float:
  """Mean over samples of the largest class probability: probs [N, K] -> scalar."""
  return float(np.asarray(probs, np.float64).max(1).mean())


def classifier_metrics(probs: np.ndarray, data_distribution: np.ndarray, *,
                       min_share: float = 0.1) -> dict:
  """All of the above for probs [N, K] of generated samples and the data's class
  distribution [K] (e.g. `class_distribution(train_labels, K)`)."""
  probs = np.asarray(probs, np.float64)
  p = np.asarray(data_distribution, np.float64)
  if probs.ndim != 2 or len(probs) == 0:
    raise ValueError(f"probs must be [N, K] with N >= 1, got shape {probs.shape}.")
  if p.shape != (probs.shape[1],):
    raise ValueError(f"data_distribution must have shape ({probs.shape[1]},) to match the "
                     f"classifier's {probs.shape[1]} classes, got {p.shape}.")
  if p.min() < 0 or abs(p.sum() - 1.0) > 1e-6:
    raise ValueError(f"data_distribution must be >= 0 and sum to 1, got sum {p.sum():.6g} "
                     f"and min {p.min():.3g}; pass class frequencies, not counts.")
  q = class_histogram(probs)
  return {"class_histogram": q, "classes_covered": classes_covered(q, p, min_share),
          "class_kl": class_kl(q, p), "confidence": confidence(probs)}
