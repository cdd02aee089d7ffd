"""Generating samples from a trained G: batched, jit-compiled, from a fixed seed."""
from __future__ import annotations

import functools

import jax
import jax.numpy as jnp
import numpy as np


def generator_variables(state, use_ema: bool = True, method=None, source=None,
                        batches: int = 16):
  """G's variables for sampling: EMA params when the run keeps them, else the raw ones.

  G's BatchNorm running statistics belong to the raw weights, not to their average, so
  with EMA weights they are recomputed ("standing statistics", Brock et al., 2019,
  BigGAN): the mean of the batch statistics of `batches` training-mode passes of the EMA
  generator on the first batches of `source` (fixed keys: the same numbers each time).
  Needs `method` and `source` then.
  """
  if not (use_ema and state.ema is not None):
    return state.g
  g_vars = {**state.g, "params": state.ema}
  if "batch_stats" not in g_vars:
    return g_vars
  if method is None or source is None:
    raise ValueError("EMA weights with BatchNorm need the method and the data source to "
                     "recompute G's statistics (sampling.generator_variables).")
  return {**g_vars, "batch_stats": standing_statistics(method, g_vars, source, batches)}


def standing_statistics(method, g_vars, source, batches: int = 16):
  """The mean over `batches` training-mode passes of G (`method.generate`, batch i of
  `source`) of each BatchNorm layer's batch mean and variance."""
  fn = jitted_batch_stats(method)
  total = None
  for i in range(batches):
    stats = fn(g_vars, source.batch(i), jax.random.PRNGKey(i))
    total = stats if total is None else jax.tree.map(jnp.add, total, stats)
  return jax.tree.map(lambda t: t / batches, total)


@functools.lru_cache(maxsize=None)
def jitted_batch_stats(method):
  """jit of: G's variables, a batch, a key -> each BatchNorm layer's {mean, var} of that
  batch. Flax keeps m * old + (1 - m) * batch with each layer's own momentum m (0.9 in
  networks/layers.py, 0.95 in pacgan_mlp): one update from zeros gives u0 = (1 - m) b,
  one from ones u1 = m + (1 - m) b, so b = u0 / (1 - (u1 - u0)) whatever m is."""
  from gan_jax import parallel

  def fn(g_vars, batch, key):
    def update(fill):
      stats = jax.tree.map(fill, g_vars["batch_stats"])
      _, updated = method.generate({**g_vars, "batch_stats": stats}, batch, key,
                                   parallel.Context(), train=True)
      return updated["batch_stats"]
    u0, u1 = update(jnp.zeros_like), update(jnp.ones_like)
    return jax.tree.map(lambda a, b: a / (1.0 - (b - a)), u0, u1)
  return jax.jit(fn)


@functools.lru_cache(maxsize=None)
def jitted(method, name: str = "sample"):
  """jax.jit of `method.<name>`, compiled once per method object."""
  return jax.jit(getattr(method, name))


def latents(method, n: int, seed: int) -> jax.Array:
  return method.latent(jax.random.PRNGKey(seed), n)


def generate(method, g_vars, conditions, batch_size: int = 500, progress: bool = False):
  """G in eval mode on `conditions`, `batch_size` rows at a time, gathered on the host.

  `conditions`: a dict of arrays with a common leading axis N (`method.conditions`;
  string arrays are not passed to G) -> the dict of outputs `method.sample` makes ({"x": [N, ...]}; floats as float32); or an array
  of latents z [N, z_dim] -> G(z) [N, ...] float32 (the unconditional shorthand).
  """
  if not isinstance(conditions, dict):
    return generate(method, g_vars, {"z": conditions}, batch_size, progress)["x"]
  fn = jitted(method)
  n_total = len(next(iter(conditions.values())))
  # strings (a text-conditional method's captions) stay on the host: `record` keeps them
  conditions = {k: v for k, v in conditions.items() if np.asarray(v).dtype.kind not in "US"}
  out = []
  chunks = range(0, n_total, batch_size)
  if progress:
    import tqdm
    chunks = tqdm.tqdm(chunks, desc="generate", unit="batch", leave=False)
  for i in chunks:
    chunk = {k: np.asarray(v[i:i + batch_size]) for k, v in conditions.items()}
    n = len(next(iter(chunk.values())))
    if n < batch_size and n_total > batch_size:  # pad: one compiled shape for every chunk
      chunk = {k: np.concatenate([v, np.zeros((batch_size - n,) + v.shape[1:], v.dtype)])
               for k, v in chunk.items()}
    out.append(jax.tree.map(lambda x: x[:n], fn(g_vars, chunk)))
  return {k: _host(jnp.concatenate([o[k] for o in out])) for k in out[0]}


def _host(x) -> np.ndarray:
  x = np.asarray(x)
  return x.astype(np.float32) if np.issubdtype(x.dtype, np.floating) else x


def record(method, g_vars, conditions: dict, **kwargs) -> dict:
  """The conditions and G's outputs on them, as one dict of host arrays."""
  return {**conditions, **generate(method, g_vars, conditions, **kwargs)}


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
