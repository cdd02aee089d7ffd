"""Adversarial losses as pairs ``d_<name>(real, fake)`` / ``g_<name>(fake)``.

Inputs are D's raw outputs (logits for the probabilistic losses, critic values for
the Wasserstein loss), any shape; every loss is a mean over all elements, so a
PatchGAN's map of outputs works unchanged. ``get(name)`` returns the pair.
"""
from __future__ import annotations

import sys

import jax
import jax.numpy as jnp


def d_minimax(real: jax.Array, fake: jax.Array) -> jax.Array:
  """D's side of the original minimax game V(G, D) (Goodfellow et al., 2014).

  D maximises E[log D(x)] + E[log(1 - D(G(z)))] with D = sigmoid(logit), i.e. it
  minimises softplus(-real) + softplus(fake).
  """
  return jnp.mean(jax.nn.softplus(-real)) + jnp.mean(jax.nn.softplus(fake))


def g_minimax(fake: jax.Array) -> jax.Array:
  """G's side of the minimax game: minimise E[log(1 - D(G(z)))] = -E[softplus(fake)].

  The saturating loss: its gradient vanishes when D confidently rejects G's samples.
  """
  return -jnp.mean(jax.nn.softplus(fake))


d_nonsaturating = d_minimax  # The non-saturating variant changes only G's loss.


def g_nonsaturating(fake: jax.Array) -> jax.Array:
  """Non-saturating G loss (Goodfellow et al., 2014, Sec. 3): minimise -E[log D(G(z))].

  Equals E[softplus(-fake)]; same fixed point as minimax, strong gradients early on.
  """
  return jnp.mean(jax.nn.softplus(-fake))


def d_least_squares(real: jax.Array, fake: jax.Array) -> jax.Array:
  """LSGAN D loss (Mao et al., 2017, Eq. 2 with a=0, b=1):
  1/2 E[(D(x) - 1)^2] + 1/2 E[D(G(z))^2]."""
  return 0.5 * jnp.mean((real - 1.0) ** 2) + 0.5 * jnp.mean(fake ** 2)


def g_least_squares(fake: jax.Array) -> jax.Array:
  """LSGAN G loss (Mao et al., 2017, Eq. 2 with c=1): 1/2 E[(D(G(z)) - 1)^2]."""
  return 0.5 * jnp.mean((fake - 1.0) ** 2)


def d_wasserstein(real: jax.Array, fake: jax.Array) -> jax.Array:
  """WGAN critic loss (Arjovsky et al., 2017, Alg. 1): E[D(G(z))] - E[D(x)].

  Its negation estimates the Wasserstein-1 distance when D is 1-Lipschitz (weight
  clipping or a gradient penalty from `regularizers`).
  """
  return jnp.mean(fake) - jnp.mean(real)


def g_wasserstein(fake: jax.Array) -> jax.Array:
  """WGAN generator loss (Arjovsky et al., 2017, Alg. 1): -E[D(G(z))]."""
  return -jnp.mean(fake)


def d_hinge(real: jax.Array, fake: jax.Array) -> jax.Array:
  """Hinge D loss (Lim & Ye, 2017; Miyato et al., 2018, Eq. 16):
  E[relu(1 - D(x))] + E[relu(1 + D(G(z)))]."""
  return jnp.mean(jax.nn.relu(1.0 - real)) + jnp.mean(jax.nn.relu(1.0 + fake))


def g_hinge(fake: jax.Array) -> jax.Array:
  """Hinge G loss (Miyato et al., 2018, Eq. 17): -E[D(G(z))]."""
  return -jnp.mean(fake)


ALIASES = {"lsgan": "least_squares", "wgan": "wasserstein", "js": "minimax",
           "ns": "nonsaturating"}


def names() -> list[str]:
  module = sys.modules[__name__]
  return sorted(n[2:] for n in dir(module)
                if n.startswith("d_") and hasattr(module, "g_" + n[2:]))


def get(name: str):
  """(d_loss, g_loss) for `name` (or one of ALIASES); unknown names list the valid ones."""
  name = ALIASES.get(name, name)
  module = sys.modules[__name__]
  if name not in names():
    raise ValueError(f"Unknown loss {name!r} (loss.name). Available: {', '.join(names())} "
                     f"(aliases: {', '.join(sorted(ALIASES))}).")
  return getattr(module, "d_" + name), getattr(module, "g_" + name)


def estimates_wasserstein(name: str) -> bool:
  """Whether -d_loss is a Wasserstein estimate worth logging as such."""
  return ALIASES.get(name, name) == "wasserstein"
