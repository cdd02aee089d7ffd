"""Loading an experiment file: ``experiments/<name>.py[:args]`` -> its module and config."""
from __future__ import annotations

import importlib.util
import os


def split_spec(spec: str) -> tuple[str, str | None]:
  path, _, arg = spec.partition(":")
  return path, (arg or None)


def load_module(path: str):
  if not os.path.exists(path):
    raise FileNotFoundError(f"No experiment file {path!r}; experiments live in experiments/.")
  name = "experiment_" + os.path.splitext(os.path.basename(path))[0]
  module_spec = importlib.util.spec_from_file_location(name, path)
  module = importlib.util.module_from_spec(module_spec)
  module_spec.loader.exec_module(module)
  return module


def load_config(spec: str):
  path, arg = split_spec(spec)
  return load_module(path).get_config(arg)


def name(spec: str) -> str:
  """`experiments/wgan.py:data=ring8` -> `wgan`."""
  return os.path.splitext(os.path.basename(split_spec(spec)[0]))[0]
