"""Precision / recall and density / coverage from k-nearest-neighbour manifolds.

Each sample x of a set S gets a ball of radius r_k(x) = distance to its k-th nearest
neighbour in S (itself excluded).

Precision and recall (Kynkäänniemi et al., 2019, "Improved precision and recall metric
for assessing generative models", Eq. 1-3, k = 3): with the manifold
M(S) = union of the balls B(x, r_k(x)), x in S (closed balls, as the reference code),

  precision = mean over fake y of 1[y in M(real)],
  recall    = mean over real x of 1[x in M(fake)].

Density and coverage (Naeem et al., 2020, "Reliable fidelity and diversity metrics for
generative models", Eq. 3-4, k = 5; open balls, as the reference code):

  density  = 1 / (k M) sum_j sum_i 1[y_j in B(x_i, r_k(x_i))],
  coverage = 1 / N sum_i 1[exists j: y_j in B(x_i, r_k(x_i))],

over N real x_i and M fake y_j. Density is not bounded by 1 (it is ~1 when the two
sets come from the same distribution).

Distances come block by block (rows of one set against all of the other), so two
10k x 2048 sets need ~40 MB per block of 1024 rows instead of a 10k x 10k matrix.
Squared distances are compared (the order is the same) in float32, like the
reference implementations, after centring both sets on the real mean (distances are
unchanged; the float32 round-off of ||a||^2 + ||b||^2 - 2 a.b is then relative to the
distances, not to the features' norms).
"""
from __future__ import annotations

import numpy as np

BLOCK = 1024


def _as_features(x: np.ndarray, name: str) -> np.ndarray:
  x = np.asarray(x)
  if x.ndim != 2:
    raise ValueError(f"{name} features must be [N, d], got shape {x.shape}.")
  if not np.all(np.isfinite(x)):
    raise ValueError(f"{name} features contain non-finite values.")
  return x


def _sq_dist(a: np.ndarray, b: np.ndarray, b_sq: np.ndarray) -> np.ndarray:
  """||a_i - b_j||^2 for a [n, d], b [m, d] (b_sq = ||b_j||^2) -> [n, m], >= 0."""
  a_sq = (a * a).sum(1)
  return np.maximum(a_sq[:, None] + b_sq[None, :] - 2.0 * (a @ b.T), 0.0)


def knn_radii(x: np.ndarray, ks, block: int = BLOCK) -> np.ndarray:
  """Squared distance of each row of x [N, d] to its k-th nearest other row, for each k
  in `ks` (an int or a sequence) -> [len(ks), N].

  Raises ValueError when some k >= N (there are only N - 1 other rows).
  """
  ks = np.atleast_1d(np.asarray(ks, np.int64))
  n = len(x)
  for k in ks:
    if not 1 <= k < n:
      raise ValueError(f"k-NN radii need 1 <= k < n: got k={k} with n={n} samples; use a "
                       "smaller k or more samples (the k-th neighbour excludes the sample "
                       "itself).")
  x_sq = (x * x).sum(1)
  out = np.empty((len(ks), n), np.float32)
  for start in range(0, n, block):
    d2 = _sq_dist(x[start:start + block], x, x_sq)
    # The row's own zero distance is among the k + 1 smallest: index k is the k-th other.
    out[:, start:start + block] = np.partition(d2, ks, axis=1)[:, ks].T
  return out


def _manifold_stats(real: np.ndarray, fake: np.ndarray, k_pr: int | None, k_dc: int | None,
                    block: int) -> dict:
  """One pass over real-fake distances (blocks of real rows) for the requested metrics."""
  real, fake = _as_features(real, "real"), _as_features(fake, "fake")
  if real.shape[1] != fake.shape[1]:
    raise ValueError(f"real and fake features differ in dimension: {real.shape[1]} vs "
                     f"{fake.shape[1]}; use the same feature network for both.")
  # ||a||^2 + ||b||^2 - 2 a.b in float32 loses the distances when they are small next to
  # the norms (features sharing a large common part); distances do not change under a
  # shift, so centre both sets on the real mean (in float64) first.
  center = real.mean(0, dtype=np.float64)
  real, fake = ((x - center).astype(np.float32) for x in (real, fake))
  ks = [k for k in (k_pr, k_dc) if k is not None]
  real_r = dict(zip(ks, knn_radii(real, ks, block)))
  fake_r = knn_radii(fake, k_pr, block)[0] if k_pr is not None else None
  f_sq = (fake * fake).sum(1)
  in_real_manifold = np.zeros(len(fake), bool)   # precision: y in some closed real ball
  in_fake_manifold = np.zeros(len(real), bool)   # recall: x in some closed fake ball
  balls_holding = np.zeros(len(fake), np.int64)  # density: open real balls holding y
  covered = np.zeros(len(real), bool)            # coverage: real ball holds some y
  for start in range(0, len(real), block):
    rows = slice(start, start + block)
    d2 = _sq_dist(real[rows], fake, f_sq)
    if k_pr is not None:
      in_real_manifold |= (d2 <= real_r[k_pr][rows, None]).any(0)
      in_fake_manifold[rows] = (d2 <= fake_r[None, :]).any(1)
    if k_dc is not None:
      inside = d2 < real_r[k_dc][rows, None]
      balls_holding += inside.sum(0)
      covered[rows] = inside.any(1)
  out = {}
  if k_pr is not None:
    out.update(precision=float(in_real_manifold.mean()), recall=float(in_fake_manifold.mean()))
  if k_dc is not None:
    out.update(density=float(balls_holding.mean() / k_dc), coverage=float(covered.mean()))
  return out


def precision_recall(real: np.ndarray, fake: np.ndarray, *, k: int = 3,
                     block: int = BLOCK) -> dict:
  """{'precision', 'recall'} of fake [M, d] against real [N, d] (Kynkäänniemi et al.)."""
  return _manifold_stats(real, fake, k, None, block)


def density_coverage(real: np.ndarray, fake: np.ndarray, *, k: int = 5,
                     block: int = BLOCK) -> dict:
  """{'density', 'coverage'} of fake [M, d] against real [N, d] (Naeem et al.)."""
  return _manifold_stats(real, fake, None, k, block)


def prdc(real: np.ndarray, fake: np.ndarray, *, k_pr: int = 3, k_dc: int = 5,
         block: int = BLOCK) -> dict:
  """All four: precision, recall (k = k_pr), density, coverage (k = k_dc), sharing one
  pass over each distance matrix."""
  return _manifold_stats(real, fake, k_pr, k_dc, block)
