"""Shared helpers: small configs built from the real experiment files."""
from __future__ import annotations

import os
import sys

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)


def experiment_config(spec: str, **overrides):
  """The config of `experiments/<spec>` with dotted-key overrides applied."""
  from gan_jax import config as config_lib, experiment
  return config_lib.apply_overrides(
      experiment.load_config(os.path.join(ROOT, "experiments", spec)), overrides)


@pytest.fixture
def make_config():
  return experiment_config
