"""Toy data: 2-D mixtures, the Swiss roll, and 1-D densities.

Every source is random access: ``batch(index)`` draws batch number `index` from a
generator seeded by (seed, index), so the data position is one integer and a resumed
run continues with the very next batch.

- ``ring8``: 8 Gaussians on a circle of radius 2, std 0.02.
- ``grid25``: 25 Gaussians at {-4, -2, 0, 2, 4}^2, std 0.05.
- ``swissroll``: the WGAN-GP toy Swiss roll (scikit-learn's make_swiss_roll, noise 0.25,
  coordinates (x, z) / 7.5).
- ``gauss1d``: 3 equal 1-D Gaussians at -2, 0, 2, std 0.2.
- ``pdf1d``: the lecture notes' density on [-3, 3]: for x < 0 proportional to
  round(x + 3.5) / 3 (steps 1/3, 2/3, 1), for x >= 0 to 0.5 cos(pi x) + 0.5; with its
  exact CDF and the inverse-CDF sampler used as the reference a GAN is compared to.
"""
from __future__ import annotations

import dataclasses
import math

import numpy as np
from scipy import special


@dataclasses.dataclass(frozen=True)
class Mixture:
  """Equal-weight Gaussian mixture with isotropic `std` around `means` [K, d]."""
  means: np.ndarray
  std: float

  def sample(self, rng: np.random.Generator, n: int) -> np.ndarray:
    k = rng.integers(len(self.means), size=n)
    return self.means[k] + self.std * rng.standard_normal((n, self.means.shape[1]))

  def pdf(self, x):  # 1-D only
    z = (x[:, None] - self.means[None, :, 0]) / self.std
    return np.mean(np.exp(-0.5 * z ** 2), axis=1) / (self.std * math.sqrt(2 * math.pi))

  def cdf(self, x):  # 1-D only
    return np.mean(special.ndtr((x[:, None] - self.means[None, :, 0]) / self.std), axis=1)

  def support(self):  # 1-D only: an interval holding all but ~1e-6 of the mass
    return float(self.means.min() - 5 * self.std), float(self.means.max() + 5 * self.std)


@dataclasses.dataclass(frozen=True)
class SwissRoll:
  noise: float = 0.25
  scale: float = 7.5

  def sample(self, rng: np.random.Generator, n: int) -> np.ndarray:
    t = 1.5 * np.pi * (1 + 2 * rng.random(n))
    x = np.stack([t * np.cos(t), t * np.sin(t)], axis=1)
    return (x + self.noise * rng.standard_normal((n, 2))) / self.scale


class Pdf1d:
  """The lecture notes' 1-D density on [-3, 3], with its exact CDF and inverse-CDF sampler."""
  low, high = -3.0, 3.0
  _mass = 3.5  # (1/3 + 2/3 + 1) on [-3, 0) plus 1.5 on [0, 3]

  def unnormalized(self, x):
    x = np.asarray(x, np.float64)
    left = np.round(x + 3.5) / 3.0
    right = 0.5 * np.cos(np.pi * x) + 0.5
    inside = (x >= self.low) & (x <= self.high)
    return np.where(inside, np.where(x < 0, left, right), 0.0)

  def pdf(self, x):
    return self.unnormalized(x) / self._mass

  def support(self):
    return self.low, self.high

  def cdf(self, x):
    """Exact CDF: integral of the steps left of 0, x/2 + sin(pi x)/(2 pi) right of 0."""
    x = np.clip(np.asarray(x, np.float64), self.low, self.high)
    left = np.where(x < -2, (x + 3) / 3, np.where(x < -1, 1 / 3 + 2 * (x + 2) / 3,
                                                    1.0 + (x + 1)))
    right = 2.0 + 0.5 * x + np.sin(np.pi * x) / (2 * np.pi)
    return np.where(x < 0, left, right) / self._mass

  def inverse_cdf_sampler(self, grid_size: int = 200_001):
    """u ~ U[0, 1] -> F^{-1}(u), interpolating the exact CDF tabulated on a fine grid."""
    grid = np.linspace(self.low, self.high, grid_size)
    table = self.cdf(grid)
    return lambda u: np.interp(u, table, grid)

  def sample(self, rng: np.random.Generator, n: int) -> np.ndarray:
    return self.inverse_cdf_sampler()(rng.random(n))[:, None]


def _grid25():
  g = np.arange(-4.0, 5.0, 2.0)
  return np.stack(np.meshgrid(g, g), -1).reshape(-1, 2)


def _ring8(radius=2.0):
  a = 2 * np.pi * np.arange(8) / 8
  return radius * np.stack([np.cos(a), np.sin(a)], 1)


DISTRIBUTIONS = {
    "ring8": lambda: Mixture(_ring8(), 0.02),
    "grid25": lambda: Mixture(_grid25(), 0.05),
    "swissroll": SwissRoll,
    "gauss1d": lambda: Mixture(np.array([[-2.0], [0.0], [2.0]]), 0.2),
    "pdf1d": Pdf1d,
}


class ToySource:
  """Random-access toy batches: ``batch(i)`` is a pure function of (seed, i)."""

  def __init__(self, name: str, batch_size: int, seed: int):
    self.name, self.batch_size, self.seed = name, batch_size, seed
    self.distribution = DISTRIBUTIONS[name]()
    self.dim = 1 if name in ("gauss1d", "pdf1d") else 2
    self.shape = (self.dim,)
    if isinstance(self.distribution, Pdf1d):  # the sampler table is built once
      sampler = self.distribution.inverse_cdf_sampler()
      self._sample = lambda rng, n: sampler(rng.random(n))[:, None]
    else:
      self._sample = self.distribution.sample

  def sample(self, rng: np.random.Generator, n: int) -> np.ndarray:
    return self._sample(rng, n).astype(np.float32)

  def batch(self, index: int) -> dict:
    rng = np.random.default_rng([self.seed, index])
    return {"x": self.sample(rng, self.batch_size)}

  def reference(self, n: int, seed: int) -> np.ndarray:
    """`n` exact samples (a real 'test split' for evaluation)."""
    return self.sample(np.random.default_rng([seed, 2**31 - 1]), n)
