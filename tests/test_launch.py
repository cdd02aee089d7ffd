"""launch.py end to end, as a user runs it."""
import os
import shutil
import subprocess
import sys

import numpy as np

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def launch(*args, cwd=ROOT, env=None):
  return subprocess.run([sys.executable, os.path.join(ROOT, "launch.py"), *args], cwd=cwd,
                        capture_output=True, text=True, timeout=600, env=env)


def test_train_then_sample(tmp_path):
  """... and launch.py keeps compiled executables in the user cache (JAX's persistent
  compilation cache), so later processes on the run skip compiling."""
  env = {k: v for k, v in os.environ.items() if k != "JAX_COMPILATION_CACHE_DIR"}
  env.update(GAN_JAX_CACHE=str(tmp_path / "cache"), JAX_PERSISTENT_CACHE_MIN_COMPILE_TIME_SECS="0")
  out = launch("--config", "experiments/gan.py:smoke,data=swissroll,loss=hinge", "--noprogress",
               "--config.train.steps=10", env=env)
  assert out.returncode == 0, out.stderr[-2000:]
  assert os.listdir(tmp_path / "cache" / "jax_compilation_cache")
  workdir = out.stdout.split("workdir: ")[1].split()[0]
  assert workdir.startswith("runs/gan-")
  full = os.path.join(ROOT, workdir)
  try:
    # --nocompilation_cache: nothing is written, even where $JAX_COMPILATION_CACHE_DIR
    # (which jax reads by itself) names a folder
    unused = tmp_path / "unused_cache"
    out = launch("--config", "experiments/gan.py:smoke,data=swissroll,loss=hinge",
                 "--workdir", full, "--mode", "sample", "--num_samples", "64",
                 "--nocompilation_cache", env={**env, "JAX_COMPILATION_CACHE_DIR": str(unused)})
    assert out.returncode == 0, out.stderr[-2000:]
    assert np.load(os.path.join(full, "samples.npz"))["x"].shape == (64, 2)
    assert not unused.exists() or not os.listdir(unused)
  finally:
    shutil.rmtree(full, ignore_errors=True)


def test_bad_input_messages(tmp_path):
  out = launch("--config", "experiments/gan.py:smoke", "--config.data.nme=ring8")
  assert out.returncode != 0 and "Unknown config key 'data.nme' (did you mean 'data.name'?)" \
      in out.stderr
  out = launch("--config", "experiments/gan.py:smoke,data=ring9", "--workdir", str(tmp_path))
  assert out.returncode != 0 and "Unknown data set 'ring9'" in out.stderr \
      and "ring8" in out.stderr
  out = launch("--config", "experiments/gan.py:smoke,loss=wgan-gp", "--workdir", str(tmp_path))
  assert out.returncode != 0 and "Unknown loss 'wgan-gp'" in out.stderr
  out = launch("--config", "experiments/gan.py:smoke", "--config.train.steps=many")
  assert out.returncode != 0 and "'train.steps' is a int" in out.stderr

