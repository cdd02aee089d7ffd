"""Layer helpers shared by the network families."""
from __future__ import annotations

import flax.linen as nn


def maybe_sn(layer: nn.Module, spectral_norm: bool):
  """Wraps `layer` in spectral normalisation (Miyato et al., 2018) when asked.

  Returns a callable `f(x, train)`; the power-iteration vector and sigma live in the
  'batch_stats' collection (part of the train state) and update only when `train`.
  """
  if not spectral_norm:
    return lambda x, train: layer(x)
  wrapped = nn.SpectralNorm(layer)
  return lambda x, train: wrapped(x, update_stats=train)
