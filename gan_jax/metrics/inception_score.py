"""Inception Score (Salimans et al., 2016, "Improved techniques for training GANs").

  IS = exp( E_x KL( p(y|x) || p(y) ) ),   p(y) = E_x p(y|x),

computed on each of `splits` equal consecutive parts of the samples (the marginal
p(y) is that part's mean), then reported as the mean and the standard deviation over
the parts, as in the reference code (openai/improved-gan, 10 splits of 50k samples).
IS lies in [1, K]: 1 when every prediction is the same, K when each prediction is
one-hot and the classes are equally used.
"""
from __future__ import annotations

import numpy as np
from scipy import special


def _check_probabilities(probs: np.ndarray) -> np.ndarray:
  probs = np.asarray(probs, np.float64)
  if probs.ndim != 2:
    raise ValueError(f"Class probabilities must be [N, K], got shape {probs.shape}.")
  if not np.all(np.isfinite(probs)) or probs.min() < 0:
    raise ValueError("Class probabilities must be finite and >= 0; got values in "
                     f"[{np.nanmin(probs)}, {np.nanmax(probs)}]. Pass softmax outputs, "
                     "or use `softmax(logits)` first.")
  sums = probs.sum(1)
  if np.max(np.abs(sums - 1.0)) > 1e-3:
    raise ValueError(f"Each row of class probabilities must sum to 1; row sums span "
                     f"[{sums.min():.4g}, {sums.max():.4g}]. Logits? Apply a softmax first.")
  return probs


def softmax(logits: np.ndarray) -> np.ndarray:
  """Row-wise softmax of logits [N, K] in float64 (for Inception's 1008 logits)."""
  return special.softmax(np.asarray(logits, np.float64), axis=-1)


def split_score(probs: np.ndarray) -> float:
  """exp(mean_x KL(p(y|x) || p(y))) of one part, probs [n, K]; 0 log 0 = 0."""
  marginal = probs.mean(0, keepdims=True)
  return float(np.exp(special.rel_entr(probs, marginal).sum(1).mean()))


def inception_score(probs: np.ndarray, splits: int = 10) -> tuple[float, float]:
  """(mean, std) over `splits` parts of the Inception Score of class probabilities.

  probs: [N, K], rows p(y|x) summing to 1 (softmax of the classifier's logits).
  Part i holds rows [i N // splits, (i + 1) N // splits), as in improved-gan; the std
  is the population std (ddof = 0) over the parts.
  """
  probs = _check_probabilities(probs)
  n = len(probs)
  if not 1 <= splits <= n:
    raise ValueError(f"splits must be in [1, N={n}], got {splits}; use fewer splits "
                     "or more samples (the reference protocol: 50k samples, 10 splits).")
  scores = [split_score(probs[i * n // splits:(i + 1) * n // splits]) for i in range(splits)]
  return float(np.mean(scores)), float(np.std(scores))
