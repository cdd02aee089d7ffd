"""Metrics for toy data.

Mixtures (protocol of VEEGAN, Srivastava et al., 2017, Sec. 5, used by PacGAN's
Table 1): each sample is assigned to its nearest mode; it is *high quality* if it lies
within 3 std of that mode; a mode is *recovered* if at least `min_count` high-quality
samples are assigned to it. Two reverse KLs KL(q || p) against the true (uniform) mode
weights p:

- ``reverse_kl_hq`` (the published one: PacGAN's Table 1 and reference code; VEEGAN
  reports none for the 2-D sets): q is the histogram of the *high-quality* samples over their modes,
  normalised by their count. With no high-quality sample q is undefined; we report
  log K, the largest value any histogram reaches (all mass on one mode).
- ``reverse_kl``: q over *all* samples' nearest modes (far-off samples included), so a
  generator that spreads junk evenly between modes scores well here but not above.

1-D densities: the Kolmogorov-Smirnov distance sup_x |F_n(x) - F(x)| and the total
variation 1/2 sum_bins |q_bin - p_bin| of a histogram against the exact bin masses
(this histogram estimate is biased upwards by sampling noise, so it is reported next
to the same estimate for exact samples of the same size).
"""
from __future__ import annotations

import numpy as np


def mode_metrics(samples: np.ndarray, means: np.ndarray, std: float,
                 min_count: int = 1) -> dict:
  """samples [n, d], means [K, d] -> modes, high_quality (fraction), reverse_kl_hq and
  reverse_kl (nats)."""
  samples = np.asarray(samples, np.float64)
  if samples.ndim != 2 or samples.shape[1] != means.shape[1]:
    raise ValueError(f"samples must be [n, {means.shape[1]}], got {samples.shape}.")
  d2 = ((samples[:, None, :] - means[None]) ** 2).sum(-1)
  nearest = d2.argmin(1)
  dist = np.sqrt(d2[np.arange(len(samples)), nearest])
  good = dist <= 3.0 * std
  k = len(means)
  hq_counts = np.bincount(nearest[good], minlength=k)
  q = np.bincount(nearest, minlength=k) / len(samples)
  return {"modes": int((hq_counts >= min_count).sum()),
          "high_quality": float(good.mean()),
          "reverse_kl_hq": (_kl_from_uniform(hq_counts / hq_counts.sum()) if hq_counts.sum()
                            else float(np.log(k))),
          "reverse_kl": _kl_from_uniform(q)}


def _kl_from_uniform(q: np.ndarray) -> float:
  """KL(q || uniform over len(q)) in nats; 0 log 0 = 0."""
  nz = q > 0
  return float(np.sum(q[nz] * np.log(q[nz] * len(q))))


def ks_distance(samples: np.ndarray, cdf) -> float:
  """sup_x |F_n(x) - F(x)| for 1-D samples against the exact CDF."""
  x = np.sort(np.asarray(samples, np.float64).ravel())
  n = len(x)
  f = cdf(x)
  return float(max(np.max(np.arange(1, n + 1) / n - f), np.max(f - np.arange(n) / n)))


def total_variation(samples: np.ndarray, cdf, low: float, high: float,
                    bins: int = 60) -> float:
  """1/2 sum |q - p| over `bins` equal bins on [low, high] plus the mass outside."""
  x = np.asarray(samples, np.float64).ravel()
  edges = np.linspace(low, high, bins + 1)
  q = np.histogram(x, edges)[0] / len(x)
  p = np.diff(cdf(edges))
  outside_q = 1.0 - q.sum()
  outside_p = max(0.0, 1.0 - p.sum())
  return float(0.5 * (np.abs(q - p).sum() + abs(outside_q - outside_p)))


def energy_distance(x: np.ndarray, y: np.ndarray) -> float:
  """Energy distance 2 E|X - Y| - E|X - X'| - E|Y - Y'| (Szekely & Rizzo, 2013), a
  V-statistic; zero iff the distributions match. Used for every toy set."""
  x, y = np.asarray(x, np.float64), np.asarray(y, np.float64)
  dist = lambda a, b: np.sqrt(((a[:, None] - b[None]) ** 2).sum(-1)).mean()
  return float(2 * dist(x, y) - dist(x, x) - dist(y, y))


def toy_metrics(distribution, samples: np.ndarray, reference: np.ndarray) -> dict:
  """The metrics that apply to `distribution` (a `data.toy` distribution); `reference`
  is an exact sample of the same size for the energy distance."""
  out = {"energy_distance": energy_distance(samples, reference)}
  if hasattr(distribution, "means"):
    out.update(mode_metrics(samples, distribution.means, distribution.std))
  if np.shape(samples)[1] == 1:
    low, high = distribution.support()
    out["ks"] = ks_distance(samples, distribution.cdf)
    out["tv"] = total_variation(samples, distribution.cdf, low, high)
    # The exact (inverse-CDF) sampler at the same count: the floor these estimates reach.
    out["ks_exact_sampler"] = ks_distance(reference, distribution.cdf)
    out["tv_exact_sampler"] = total_variation(reference, distribution.cdf, low, high)
  return out
