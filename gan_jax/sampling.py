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
    chunk = np.asarray(z[i:i + batch_size])
    n = len(chunk)
    if n < batch_size and len(z) > batch_size:  # pad: one compiled shape for every chunk
      chunk = np.concatenate([chunk, np.zeros((batch_size - n,) + chunk.shape[1:], chunk.dtype)])
    out.append(fn(g_vars, jnp.asarray(chunk))[:n])
  return np.asarray(jnp.concatenate(out), np.float32)


def slerp(z0, z1, t):
  """Spherical interpolation (White, 2016) between rows of z0 and z1 at fractions t."""
  n0 = z0 / jnp.linalg.norm(z0, axis=-1, keepdims=True)
  n1 = z1 / jnp.linalg.norm(z1, axis=-1, keepdims=True)
  omega = jnp.arccos(jnp.clip(jnp.sum(n0 * n1, -1, keepdims=True), -1.0, 1.0))
  so = jnp.sin(omega)
  safe = jnp.where(so < 1e-6, 1.0, so)
  out = (jnp.sin((1.0 - t) * omega) * z0 + jnp.sin(t * omega) * z1) / safe
  return jnp.where(so < 1e-6, (1.0 - t) * z0 + t * z1, out)


def interpolation_latents(method, pairs: int, steps: int, seed: int) -> np.ndarray:
  """[pairs * 2 * steps, z_dim]: for each random pair (z0, z1) a row walking linearly,
  then a row walking spherically, from z0 to z1 in `steps` points."""
  z = np.asarray(latents(method, 2 * pairs, seed))
  t = np.linspace(0.0, 1.0, steps)[:, None]
  rows = []
  for z0, z1 in zip(z[:pairs], z[pairs:]):
    rows.append((1.0 - t) * z0 + t * z1)
    rows.append(np.asarray(slerp(jnp.broadcast_to(z0, (steps, len(z0))),
                                 jnp.broadcast_to(z1, (steps, len(z1))), t)))
  return np.concatenate(rows).astype(np.float32)
