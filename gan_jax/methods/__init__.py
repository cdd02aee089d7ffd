"""Methods: what a GAN *is*. `get(name)` returns the module; `module.build(config,
data_shape)` returns an object with pure functions over variable pytrees:
`init`, `hparams`, `generate`, `d_loss`, `g_loss`, `sample`."""
from __future__ import annotations

import importlib
import pkgutil


def names() -> list[str]:
  return sorted(m.name for m in pkgutil.iter_modules(__path__) if not m.name.startswith("_"))


def get(name: str):
  if name not in names():
    raise ValueError(f"Unknown method {name!r} (config.method). Available: {', '.join(names())}.")
  return importlib.import_module(f"{__name__}.{name}")
