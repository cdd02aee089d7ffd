"""Data sources by name. A source has `shape` (one example's shape), `batch_size`,
`batch(index) -> {"x": [B, ...], ...}` (random access, deterministic from the seed) and
`reference(n, seed)` (real examples for evaluation)."""
from __future__ import annotations

from gan_jax.data import toy

TOY = tuple(sorted(toy.DISTRIBUTIONS))


def names() -> list[str]:
  return sorted(TOY)


def get_source(config, split: str = "train"):
  """The source named by `config.data.name`, batches of the global `data.batch_size`."""
  name = config.data.name
  if name in TOY:
    return toy.ToySource(name, config.data.batch_size, config.seed)
  raise ValueError(f"Unknown data set {name!r} (data.name). Available: {', '.join(names())}.")
