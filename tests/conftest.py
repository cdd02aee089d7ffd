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


@pytest.fixture(scope="session")
def smoke_classifier(tmp_path_factory):
  """A small Fashion-MNIST classifier (1 epoch, width 4; ~80% test accuracy), trained
  once per test session, for tests of the image metrics."""
  from gan_jax import classifier
  path = str(tmp_path_factory.mktemp("classifier"))
  classifier.train(experiment_config("classifier.py:smoke"), path, progress=False)
  return path


@pytest.fixture(scope="session")
def smoke_fonts_classifiers(tmp_path_factory):
  """Small glyph classifiers of the first 64 characters (experiments/classifier.py's
  smoke): {"style": Kai / Ming, "content": characters of both fonts}, trained once per
  session, for the unpaired scores on fonts_unpaired."""
  from gan_jax import classifier
  root = tmp_path_factory.mktemp("fonts_classifiers")
  out = {}
  for role, data in (("style", "fonts_style"), ("content", "fonts_both")):
    out[role] = str(root / data)
    classifier.train(experiment_config(f"classifier.py:data={data},smoke"), out[role],
                     progress=False)
  return out
