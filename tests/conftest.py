"""Shared helpers: small configs built from the real experiment files."""
from __future__ import annotations

import os
import sys

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)

# Tests compile far more than they run. XLA's CPU backend defaults to LLVM optimisation
# level 3; level 2 compiled a step 3-4x faster (pix2pix smoke: init_state 12.5 s -> 3.6 s,
# the jitted G loss 5.0 s -> 1.9 s) and ran as fast (the TSTR classifier tests: 14.0 s
# and 13.0 s); level 1 takes 12% less CPU again on compile-bound tests (progan and
# stylegan unit tests: 74.4 s -> 65.7 s) and runs as fast (bf16 grid25's 1,000 steps and
# the TSTR tests: 97.2 s and 96.6 s); level 0 compiles faster still but runs elementwise
# code ~10x slower. Set before JAX starts its backend; the tests' launch.py subprocesses
# inherit it. GAN_JAX_TEST_XLA_OPT=default keeps XLA's level.
if os.environ.get("GAN_JAX_TEST_XLA_OPT") != "default":
  os.environ["XLA_FLAGS"] = " ".join(filter(None, [
      os.environ.get("XLA_FLAGS", ""), "--xla_backend_optimization_level=1"]))


def experiment_config(spec: str, **overrides):
  """The config of `experiments/<spec>` with dotted-key overrides applied."""
  from gan_jax import config as config_lib, experiment
  return config_lib.apply_overrides(
      experiment.load_config(os.path.join(ROOT, "experiments", spec)), overrides)


@pytest.fixture
def make_config():
  return experiment_config


def _session_dir(tmp_path_factory, worker_id: str):
  """A directory shared by every xdist worker of this test session."""
  base = tmp_path_factory.getbasetemp()
  return base if worker_id == "master" else base.parent


@pytest.fixture(scope="session", autouse=True)
def gan_jax_cache(tmp_path_factory, worker_id):
  """$GAN_JAX_CACHE for the whole session, shared by the workers (and the launch.py
  subprocesses, which inherit it): tests never read or fill the user's ~/.cache."""
  path = str(_session_dir(tmp_path_factory, worker_id) / "gan_jax_cache")
  os.makedirs(path, exist_ok=True)
  old = os.environ.get("GAN_JAX_CACHE")
  os.environ["GAN_JAX_CACHE"] = path
  # JAX's persistent compilation cache, shared by the workers and the launch.py
  # subprocesses of the session: the same step, generator or feature network compiled
  # by many tests is compiled once (the same executable, so results are unchanged).
  compiled = os.path.join(path, "jax_compilation_cache")
  os.environ["JAX_COMPILATION_CACHE_DIR"] = compiled
  import jax
  jax.config.update("jax_compilation_cache_dir", compiled)
  yield path
  if old is None:
    os.environ.pop("GAN_JAX_CACHE", None)
  else:
    os.environ["GAN_JAX_CACHE"] = old


@pytest.fixture(scope="session")
def smoke_classifier(gan_jax_cache):
  """The Fashion-MNIST classifier of every `smoke` config (experiments/classifier.py:smoke:
  1 epoch, width 4; ~80% test accuracy), built by the same `classifier.ensure` a run
  uses, into the session's cache: once per session, the first worker to need it builds
  it under a file lock, the others wait and load it."""
  from gan_jax import classifier
  return classifier.ensure("", "fashion_mnist", "smoke", progress=False)


@pytest.fixture(scope="session")
def smoke_fonts_classifiers(gan_jax_cache):
  """The glyph classifiers of every `smoke` fonts_unpaired config (experiments/
  classifier.py:data=...,smoke: the first 64 characters), {"style": Kai / Ming,
  "content": characters of both fonts}, for the unpaired scores; built like
  `smoke_classifier`, once per session into its cache, where the runs find them too."""
  from gan_jax import classifier
  return {role: classifier.ensure("", data, "smoke", progress=False)
          for role, data in (("style", "fonts_style"), ("content", "fonts_both"))}


def train_sample_eval(config, workdir, n=10):
  """Train `config` in `workdir`, sample `n`, evaluate: (samples.npz's arrays, scores,
  protocol), after checking that eval.json holds what evaluate returned."""
  import json
  import numpy as np
  from gan_jax import train
  train.train(config, workdir, progress=False)
  train.sample(config, workdir, n)
  samples = dict(np.load(os.path.join(workdir, "samples.npz")))
  result = train.evaluate(config, workdir)
  with open(os.path.join(workdir, "eval.json")) as f:
    assert json.load(f) == json.loads(json.dumps(result))
  return samples, result["scores"], result["protocol"]
