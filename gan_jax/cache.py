"""The user cache: derived data sets and real features, each keyed by what made it.

Everything lives under ``$GAN_JAX_CACHE`` (default ``~/.cache/gan_jax``). A cached
entry's file name carries a hash of its parameters (including the builder's version),
so a changed builder or parameter builds a new entry instead of reading a stale one.
Files are written to a temporary name and renamed (``os.replace``), so a killed build
never leaves a half-written entry that a later run would trust.
"""
from __future__ import annotations

import hashlib
import json
import os
import time
from typing import Callable

import numpy as np


def cache_dir() -> str:
  return os.environ.get("GAN_JAX_CACHE") or os.path.expanduser("~/.cache/gan_jax")


def enable_compilation_cache() -> str:
  """Turns on JAX's persistent compilation cache (``$JAX_COMPILATION_CACHE_DIR``, else
  ``$GAN_JAX_CACHE/jax_compilation_cache``): a resumed run, ``--mode sample`` / ``eval``
  and a sweep member load the executables an earlier process compiled instead of
  compiling them again (the same executables, so results are unchanged). Returns the
  folder."""
  import jax
  path = os.environ.get("JAX_COMPILATION_CACHE_DIR") or os.path.join(
      cache_dir(), "jax_compilation_cache")
  jax.config.update("jax_compilation_cache_dir", path)
  return path


def disable_compilation_cache() -> None:
  """Turns JAX's persistent compilation cache off, also where $JAX_COMPILATION_CACHE_DIR
  (which jax reads by itself) names one: `launch.py --nocompilation_cache` compiles
  everything in-process and writes nothing."""
  import jax
  jax.config.update("jax_compilation_cache_dir", None)


def digest(params: dict) -> str:
  """A short stable hash of a JSON-serialisable dict (key order does not matter)."""
  return hashlib.sha256(json.dumps(params, sort_keys=True).encode()).hexdigest()[:20]


def versions(*packages: str) -> dict:
  """{package: installed version}: part of a cache key when a library's output (an edge
  detector, a font rasterizer, a resize filter) is part of the built data."""
  from importlib import metadata
  return {p: metadata.version(p) for p in packages}


def save_npz(path: str, arrays: dict, compress: bool = False) -> None:
  """Writes `arrays` to `path` atomically (temporary file in the same folder, then rename)."""
  os.makedirs(os.path.dirname(path) or ".", exist_ok=True)
  tmp = f"{path}.tmp{os.getpid()}.npz"
  (np.savez_compressed if compress else np.savez)(tmp, **arrays)
  os.replace(tmp, path)


def load_npz(path: str) -> dict:
  with np.load(path, allow_pickle=False) as f:
    return {k: f[k] for k in f.files}


def data_path(kind: str, params: dict) -> str:
  return os.path.join(cache_dir(), "data", f"{kind}-{digest({'kind': kind, **params})}.npz")


def cached(kind: str, params: dict, build: Callable[[], dict]) -> dict:
  """The arrays that `build()` returns for data set `kind` with `params`, built once and
  then read from the cache. `params` must name everything the result depends on,
  including a builder version that is bumped whenever the builder's output changes."""
  path = data_path(kind, params)
  if os.path.exists(path):
    return load_npz(path)
  start = time.perf_counter()
  arrays = dict(build())
  arrays["params"] = np.array(json.dumps({"kind": kind, **params}, sort_keys=True))
  save_npz(path, arrays, compress=True)
  print(f"Built {kind} in {time.perf_counter() - start:.1f} s; cached in {path} "
        f"({os.path.getsize(path) / 2**20:.1f} MiB).", flush=True)
  return arrays
