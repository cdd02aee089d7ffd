"""Network families: `get(name)` returns the module whose `build(config, data_shape)`
makes (G, D). The module is the registry."""
from __future__ import annotations

import importlib
import pkgutil


def names() -> list[str]:
  return sorted(m.name for m in pkgutil.iter_modules(__path__) if m.name != "layers")


def get(name: str):
  if name not in names():
    raise ValueError(f"Unknown network {name!r} (model.name). Available: {', '.join(names())}.")
  return importlib.import_module(f"{__name__}.{name}")
