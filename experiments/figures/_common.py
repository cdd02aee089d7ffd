"""What every figure script shares: the command line, experiment configs, the JSON of
numbers, and timing.

A figure is ``python -m experiments.figures.<name> --out DIR [--smoke]``: it writes its
PNG(s) and ``DIR/<name>.json`` (the numbers, the protocol and the wall time).
"""
from __future__ import annotations

import argparse
import json
import math
import os
import time

import numpy as np

from gan_jax import config as config_lib

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def parse_args(name: str, doc: str, argv=None, extra=None) -> argparse.Namespace:
  """--out and --smoke, plus what `extra(parser)` adds."""
  p = argparse.ArgumentParser(prog=f"python -m experiments.figures.{name}", description=doc,
                              formatter_class=argparse.RawDescriptionHelpFormatter)
  p.add_argument("--out", required=True, help="folder for the PNG(s) and the JSON")
  p.add_argument("--smoke", action="store_true",
                 help="tiny networks and few steps (seconds): what the tests run")
  if extra:
    extra(p)
  args = p.parse_args(argv)
  os.makedirs(args.out, exist_ok=True)
  return args


def experiment_config(spec: str, overrides: dict | None = None):
  """The locked config of ``experiments/<spec>`` (e.g. ``wgan.py:data=ring8,paper``) with
  dotted-key overrides, checked by the framework (unknown keys and wrong types fail)."""
  from gan_jax import config as config_lib, experiment
  config = experiment.load_config(os.path.join(ROOT, "experiments", spec))
  return config_lib.apply_overrides(config, overrides or {})


def saved_config(workdir: str):
  """The config a run was trained with (its ``config.json``), for drawing that run; keys
  added to the framework since are filled with their defaults."""
  import ml_collections
  path = os.path.join(workdir, "config.json")
  if not os.path.exists(path):
    raise FileNotFoundError(f"{workdir} is not a run (no config.json); train it first.")
  with open(path) as f:
    saved = json.load(f)

  def merge(defaults: dict, values: dict) -> dict:  # saved values over today's defaults
    return {**defaults, **{k: merge(defaults[k], v) if isinstance(v, dict) and isinstance(
        defaults.get(k), dict) else v for k, v in values.items()}}
  # A run saved before a key existed gets the key's default (what the run trained with).
  return ml_collections.ConfigDict(merge(config_lib.base().to_dict(), saved))


def _plain(value):
  """JSON-ready: numpy scalars and arrays as Python numbers and lists."""
  if isinstance(value, dict):
    return {str(k): _plain(v) for k, v in value.items()}
  if isinstance(value, (list, tuple)):
    return [_plain(v) for v in value]
  if isinstance(value, np.ndarray):
    return _plain(value.tolist())
  if isinstance(value, np.generic):
    return value.item()
  if isinstance(value, float) and not math.isfinite(value):
    return repr(value)  # JSON has no NaN; the tests then fail on a string, as they should
  return value


def write_json(out: str, name: str, numbers: dict) -> str:
  path = os.path.join(out, f"{name}.json")
  with open(path, "w") as f:
    json.dump(_plain(numbers), f, indent=2)
  return path


class Clock:
  """Wall time since construction, in seconds."""

  def __init__(self):
    self.start = time.perf_counter()

  def seconds(self) -> float:
    return round(time.perf_counter() - self.start, 1)


def fmt(mean: float, std: float, digits: int = 1) -> str:
  return f"{mean:.{digits}f} +- {std:.{digits}f}"
