"""Kernel Inception Distance (Bińkowski et al., 2018, "Demystifying MMD GANs", Sec. 4).

The unbiased estimate of the squared MMD with the cubic polynomial kernel
k(x, y) = (x . y / d + 1)^3 between samples X, Y of size m (features of dimension d):

  MMD_u^2 = sum_{i != j} k(x_i, x_j) / (m (m - 1)) + sum_{i != j} k(y_i, y_j) / (m (m - 1))
            - 2 sum_{i, j} k(x_i, y_j) / m^2,

averaged over random subsets: `num_subsets` = 100 draws, each of
`subset_size` = min(1000, N_real, N_fake) rows per set without replacement (the
defaults of torch-fidelity and clean-fid). The subsets are drawn as torch-fidelity
draws them (numpy's legacy RandomState(seed); each draw picks the generated rows, then
the real ones), so with the same seed the number is torch-fidelity's. The estimate is
unbiased, so it is ~0 (and may be slightly negative) for two samples of the same
distribution. Reported as the mean and the population std over the subsets.
"""
from __future__ import annotations

import numpy as np


def polynomial_kernel(x: np.ndarray, y: np.ndarray) -> np.ndarray:
  """k(x_i, y_j) = (x_i . y_j / d + 1)^3 for x [n, d], y [m, d] -> [n, m]."""
  return (x @ y.T / x.shape[1] + 1.0) ** 3


def mmd2_unbiased(x: np.ndarray, y: np.ndarray) -> float:
  """The unbiased MMD^2 above for x [m, d], y [m, d] (the same m, m >= 2)."""
  m = len(x)
  k_xx, k_yy, k_xy = polynomial_kernel(x, x), polynomial_kernel(y, y), polynomial_kernel(x, y)
  within = (k_xx.sum() - np.trace(k_xx) + k_yy.sum() - np.trace(k_yy)) / (m * (m - 1))
  return float(within - 2.0 * k_xy.mean())


def kernel_inception_distance(real: np.ndarray, fake: np.ndarray, *, num_subsets: int = 100,
                              subset_size: int = 1000, seed: int = 0) -> tuple[float, float]:
  """(mean, std) over subsets of the unbiased MMD^2; real [N1, d], fake [N2, d].

  Each subset draws min(subset_size, N1, N2) rows of each set without replacement,
  fake rows first, from np.random.RandomState(seed) (torch-fidelity's order and
  generator, its `rng_seed` being `seed`), so the result is reproducible.
  """
  real, fake = np.asarray(real, np.float64), np.asarray(fake, np.float64)
  if real.ndim != 2 or fake.ndim != 2 or real.shape[1] != fake.shape[1]:
    raise ValueError(f"KID needs feature arrays [N1, d] and [N2, d] with the same d; got "
                     f"{real.shape} and {fake.shape}.")
  m = min(subset_size, len(real), len(fake))
  if m < 2:
    raise ValueError(f"KID needs at least 2 samples per set (subset size {m} from "
                     f"subset_size={subset_size}, N1={len(real)}, N2={len(fake)}).")
  if num_subsets < 1:
    raise ValueError(f"num_subsets must be >= 1, got {num_subsets}.")
  rng = np.random.RandomState(seed)
  values = []
  for _ in range(num_subsets):
    fake_rows = rng.choice(len(fake), m, replace=False)
    real_rows = rng.choice(len(real), m, replace=False)
    values.append(mmd2_unbiased(real[real_rows], fake[fake_rows]))
  return float(np.mean(values)), float(np.std(values))
