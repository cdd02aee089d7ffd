"""Network families: `get(name)` returns the module whose
`build(config, data_shape, axis_name=None) -> (G, D)` makes the two Flax modules:
`G(z, train) -> x` and `D(x, train) -> logits [B]`. `axis_name` is the pmap axis over
which BatchNorm averages its batch statistics (None on one device), so N devices
compute what one device computes. `d_batch_norm(config.model) -> bool` says whether
that D normalises over the batch (config validation refuses input-gradient penalties
on such a D). The module is the registry. The dcgan and resnet families also take
labels: `G(z, train, y=...)`, `D(x, train, y=...)` once cloned with a class condition
(`conditional.with_condition`). A family whose D takes `model.minibatch`
(networks/minibatch.py) says so with `MINIBATCH_LAYERS = True`."""
from __future__ import annotations

import importlib
import pkgutil


HELPERS = ("layers", "conditional", "minibatch")  # shared pieces, not network families


def names() -> list[str]:
  return sorted(m.name for m in pkgutil.iter_modules(__path__) if m.name not in HELPERS)


def get(name: str):
  if name not in names():
    raise ValueError(f"Unknown network {name!r} (model.name). Available: {', '.join(names())}.")
  return importlib.import_module(f"{__name__}.{name}")
