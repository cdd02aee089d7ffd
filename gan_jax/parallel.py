"""Data parallelism behind a small interface.

On one device the step is plain `jax.jit`. On N local devices it runs under `jax.pmap`
with the global batch split over devices and gradients / metrics averaged by
`jax.lax.pmean`. Random draws that depend on the batch (z, interpolation weights) go
through `Context`, which draws the *global* batch of noise on every device and keeps
its own slice, so N devices compute exactly what one device computes on the same
global batch. Multi-host: call `jax.distributed.initialize()` before anything else
(launch.py does when `--distributed` is given); pmap then spans each host's devices.
"""
from __future__ import annotations

import dataclasses
import math
import os
from typing import Any, Callable

import jax
import jax.numpy as jnp
import numpy as np

AXIS = "batch"


@dataclasses.dataclass(frozen=True)
class Context:
  """What a method needs to know about the devices it runs on (static, hashable)."""
  axis_name: str | None = None
  num_devices: int = 1

  def pmean(self, tree):
    return jax.lax.pmean(tree, self.axis_name) if self.axis_name else tree

  def pmin(self, tree):
    return jax.lax.pmin(tree, self.axis_name) if self.axis_name else tree

  def _draw(self, sampler, key, shape, axis: int = 0, **kwargs):
    """sampler(key, shape) for this device's part of the global batch, whose rows run
    along `axis`: the global draw, sliced (the same numbers as on one device)."""
    if self.axis_name is None:
      return sampler(key, shape, **kwargs)
    shape, local = list(shape), shape[axis]
    shape[axis] = local * self.num_devices
    full = sampler(key, tuple(shape), **kwargs)
    index = jax.lax.axis_index(self.axis_name)
    return jax.lax.dynamic_slice_in_dim(full, index * local, local, axis=axis)

  def keys(self, key, shape, axis: int = 0):
    """PRNG keys [*shape, ...] (`jax.random.split(key, prod(shape))` reshaped) for this
    device's rows along `axis`: the keys the same rows get on one device."""
    def split(k, s):
      keys = jax.random.split(k, math.prod(s))
      return keys.reshape(*s, *keys.shape[1:])
    return self._draw(split, key, shape, axis)

  def gumbel(self, key, shape, axis: int = 0):
    return self._draw(jax.random.gumbel, key, shape, axis)

  def normal(self, key, shape, dtype=jnp.float32):
    """N(0, 1) noise of the local batch `shape`, the same numbers as on one device."""
    return self._draw(jax.random.normal, key, shape, dtype=dtype)

  def uniform(self, key, shape, minval=0.0, maxval=1.0, dtype=jnp.float32):
    return self._draw(jax.random.uniform, key, shape, minval=minval, maxval=maxval,
                      dtype=dtype)

  def randint(self, key, shape, minval, maxval):
    return self._draw(jax.random.randint, key, shape, minval=minval, maxval=maxval)


def initialize_distributed() -> None:
  """`jax.distributed.initialize()` for multi-process runs (`launch.py --distributed`).

  JAX reads the coordinator address from JAX_COORDINATOR_ADDRESS, or detects SLURM,
  Open MPI and TPU pods itself; JAX_NUM_PROCESSES and JAX_PROCESS_ID, when set, are
  passed on (JAX does not read them). CPU devices talk through gloo.
  """
  jax.config.update("jax_cpu_collectives_implementation", "gloo")
  env = {k: os.environ.get(f"JAX_{k.upper()}") for k in ("num_processes", "process_id")}
  jax.distributed.initialize(**{k: int(v) for k, v in env.items() if v not in (None, "")})


def is_primary() -> bool:
  """Whether this process writes logs, pictures and eval.json (process 0)."""
  return jax.process_index() == 0


def num_devices(requested: int, global_batch: int) -> int:
  """The device count to use over all processes; 0 means all. Checks the batch divides.

  One process: up to its local devices. Several (`jax.distributed`): all devices of all
  processes, each process feeding its own slice of the global batch.
  """
  processes = jax.process_count()
  available = jax.device_count()
  n = requested or available
  if processes > 1 and n != available:
    raise ValueError(f"parallel.num_devices={requested}: a run over {processes} processes "
                     f"uses all {available} devices; set it to 0.")
  if n > available:
    raise ValueError(f"parallel.num_devices={requested} but only {available} local "
                     f"devices exist; set it to at most {available} (0 = all).")
  if global_batch % n:
    good = [b for b in range(global_batch - n, global_batch + n + 1) if b > 0 and b % n == 0]
    raise ValueError(
        f"data.batch_size={global_batch} does not divide over {n} devices; use a "
        f"multiple of {n} (e.g. {good[0]}), or set parallel.num_devices.")
  return n


def context(n: int) -> Context:
  return Context(AXIS, n) if n > 1 else Context()


def _devices(n: int):
  return jax.devices() if jax.process_count() > 1 else jax.local_devices()[:n]


def local_count(n: int) -> int:
  """How many of the `n` devices this process feeds."""
  return n // jax.process_count()


def compile_step(step: Callable, n: int, donate: bool = True) -> Callable:
  """jit for one device, pmap over `n` devices (of every process when several run).
  `step(state, batch) -> (state, metrics)`."""
  if n == 1:
    return jax.jit(step, donate_argnums=(0,) if donate else ())
  return jax.pmap(step, axis_name=AXIS, devices=_devices(n),
                  donate_argnums=(0,) if donate else ())


def _sharding(n: int) -> jax.sharding.NamedSharding:
  mesh = jax.sharding.Mesh(np.array(jax.local_devices()[:n]), (AXIS,))
  return jax.sharding.NamedSharding(mesh, jax.sharding.PartitionSpec(AXIS))


def _to_local_devices(tree, n: int):
  """A tree of host arrays [local, ...] onto this process's devices (several processes:
  pmap takes the host arrays and places them itself)."""
  if jax.process_count() > 1:
    return tree
  return jax.device_put(tree, _sharding(n))


def replicate(tree, n: int):
  """Copies a pytree onto this process's devices with a leading axis (pmap's layout);
  identity for n=1."""
  if n == 1:
    return tree
  k = local_count(n)
  return _to_local_devices(
      jax.tree.map(lambda x: np.broadcast_to(np.asarray(x), (k,) + np.shape(x)), tree), n)


def unreplicate(tree, n: int):
  """The copy on this process's first device (the state is identical on all of them)."""
  if n == 1:
    return tree
  # addressable_data: in a multi-process run the array spans devices this process
  # cannot read; its first local shard is [1, ...].
  return jax.tree.map(lambda x: x.addressable_data(0)[0] if isinstance(x, jax.Array)
                      else x[0], tree)


def put_batch(batch: Any, n: int, axis: int = 1):
  """Host batch [..., B, ...] of the global batch B -> on device; for n > 1 this
  process's slice of B as [local, ..., B/n, ...] over its devices (`axis`: the batch axis)."""
  if n == 1:
    return jax.device_put(batch)
  k, first = local_count(n), jax.process_index() * local_count(n)

  def split(x):
    x = np.asarray(x)
    shape = x.shape[:axis] + (n, x.shape[axis] // n) + x.shape[axis + 1:]
    return np.moveaxis(x.reshape(shape), axis, 0)[first:first + k]
  return _to_local_devices(jax.tree.map(split, batch), n)
