"""Fréchet Inception Distance (Heusel et al., 2017, "GANs trained by a two time-scale
update rule converge to a local Nash equilibrium", Eq. 6).

The Fréchet (2-Wasserstein) distance between Gaussian fits N(mu1, S1), N(mu2, S2) of
two feature sets:

  d^2 = ||mu1 - mu2||^2 + Tr(S1 + S2 - 2 (S1 S2)^{1/2}).

Tr((S1 S2)^{1/2}) equals Tr((A S2 A)^{1/2}) with A = S1^{1/2}, since S1 S2 is similar
to the symmetric PSD matrix A S2 A (S1 S2 = A (A S2 A) A^{-1} when S1 is invertible,
and by continuity otherwise). We take the trace as the sum of square roots of the
eigenvalues of A S2 A (`eigh`, float64, tiny negative round-off clipped to 0). This
agrees with pytorch-fid's `scipy.linalg.sqrtm(S1 @ S2)` where that is well defined,
and needs no eps offset when the covariances are singular (fewer samples than
feature dimensions).

FID is biased upwards at finite N, by an amount that depends on the generator, so
numbers at different N do not compare. `fid_infinity` removes the bias as Chong &
Forsyth (2020, "Effectively unbiased FID and Inception Score and where to find them",
Sec. 3) do: FID_N is linear in 1/N, so fit FID at several N and read the line at
1/N = 0 ("FID_inf").
"""
from __future__ import annotations

import numpy as np


def gaussian_stats(features: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
  """(mu [d], sigma [d, d]) of features [N, d] in float64; sigma is the unbiased
  sample covariance (ddof = 1, as numpy.cov in the reference implementations)."""
  features = np.asarray(features, np.float64)
  if features.ndim != 2 or len(features) < 2:
    raise ValueError(f"Features must be [N, d] with N >= 2, got shape {features.shape}.")
  if not np.all(np.isfinite(features)):
    raise ValueError(f"Features contain {np.sum(~np.isfinite(features))} non-finite "
                     "values; check the generator's samples and the feature network.")
  return features.mean(0), np.cov(features, rowvar=False)


def _psd_sqrt(sigma: np.ndarray) -> np.ndarray:
  """Symmetric square root of a PSD matrix by eigh; negative round-off -> 0."""
  w, v = np.linalg.eigh(sigma)
  return (v * np.sqrt(np.clip(w, 0.0, None))) @ v.T


def trace_sqrt_product(sigma1: np.ndarray, sigma2: np.ndarray) -> float:
  """Tr((S1 S2)^{1/2}) for PSD S1, S2 [d, d], via the symmetric form sqrt(S1) S2 sqrt(S1)."""
  a = _psd_sqrt(sigma1)
  m = a @ sigma2 @ a
  w = np.linalg.eigvalsh((m + m.T) / 2)
  return float(np.sqrt(np.clip(w, 0.0, None)).sum())


def frechet_distance(mu1: np.ndarray, sigma1: np.ndarray, mu2: np.ndarray,
                     sigma2: np.ndarray) -> float:
  """||mu1 - mu2||^2 + Tr(S1) + Tr(S2) - 2 Tr((S1 S2)^{1/2}); mu [d], sigma [d, d]."""
  mu1, mu2 = np.atleast_1d(np.asarray(mu1, np.float64)), np.atleast_1d(np.asarray(mu2, np.float64))
  sigma1 = np.atleast_2d(np.asarray(sigma1, np.float64))
  sigma2 = np.atleast_2d(np.asarray(sigma2, np.float64))
  d = mu1.shape[0]
  for name, value, shape in (("mu1", mu1, (d,)), ("mu2", mu2, (d,)),
                             ("sigma1", sigma1, (d, d)), ("sigma2", sigma2, (d, d))):
    if value.shape != shape:
      raise ValueError(f"{name} must have shape {shape} to match mu1, got {value.shape}; "
                       "were both statistics computed with the same feature network?")
    if not np.all(np.isfinite(value)):
      raise ValueError(f"{name} contains non-finite values.")
  diff = mu1 - mu2
  return float(diff @ diff + np.trace(sigma1) + np.trace(sigma2)
               - 2.0 * trace_sqrt_product(sigma1, sigma2))


def fid_from_features(features1: np.ndarray, features2: np.ndarray) -> float:
  """FID between two feature sets [N1, d] and [N2, d] (e.g. Inception pool3, d = 2048)."""
  return frechet_distance(*gaussian_stats(features1), *gaussian_stats(features2))


def fid_infinity(real_features: np.ndarray, fake_features: np.ndarray, *, num_points: int = 15,
                 min_fraction: float = 0.1, seed: int = 0) -> float:
  """FID extrapolated to infinitely many generated samples (Chong & Forsyth, 2020).

  For `num_points` sizes N evenly spaced from `min_fraction` x M to M (M = len(fake);
  their protocol: 15 sizes from 5k to 50k), FID of a random N-subset of the fake
  features [M, d] against all real features [N_real, d]; the least-squares line of FID
  against 1/N evaluated at 1/N = 0. Subsets of one feature set cost no extra network
  passes. A numpy Generator seeded by `seed` draws the subsets.
  """
  fake = np.asarray(fake_features, np.float64)
  m = len(fake)
  sizes = np.unique(np.linspace(max(2, int(min_fraction * m)), m, num_points).astype(int))
  if len(sizes) < 2:
    raise ValueError(f"FID_inf needs at least 2 distinct sample sizes; {m} generated "
                     "features give fewer. Use more samples (eval.num_samples).")
  mu_real, sigma_real = gaussian_stats(real_features)
  rng = np.random.default_rng(seed)
  fids = [frechet_distance(mu_real, sigma_real,
                           *gaussian_stats(fake[rng.permutation(m)[:n]])) for n in sizes]
  slope, intercept = np.polyfit(1.0 / sizes, fids, 1)
  return float(intercept)
