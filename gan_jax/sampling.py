"""Generating samples from a trained G: batched, jit-compiled, from a fixed seed."""
from __future__ import annotations

import functools

import jax
import jax.numpy as jnp
import numpy as np


def generator_variables(state, use_ema: bool = True):
  """G's variables for sampling: EMA params when the run keeps them, else the raw ones."""
  if use_ema and state.ema is not None:
    return {**state.g, "params": state.ema}
  return state.g


@functools.lru_cache(maxsize=None)
def jitted(method, name: str = "sample"):
  """jax.jit of `method.<name>`, compiled once per method object."""
  return jax.jit(getattr(method, name))


def latents(method, n: int, seed: int) -> jax.Array:
  return method.latent(jax.random.PRNGKey(seed), n)


def generate(method, g_vars, z, batch_size: int = 500, progress: bool = False) -> np.ndarray:
  """G(z) in eval mode, `batch_size` at a time, gathered on the host as float32."""
  fn = jitted(method)
  out = []
  chunks = range(0, len(z), batch_size)
  if progress:
    import tqdm
    chunks = tqdm.tqdm(chunks, desc="generate", unit="batch", leave=False)
  for i in chunks:
    out.append(fn(g_vars, jnp.asarray(z[i:i + batch_size])))
  return np.asarray(jnp.concatenate(out), np.float32)
