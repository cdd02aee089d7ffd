"""Progressive growing through the whole loop: a run killed with SIGKILL inside a fade-in
and resumed equals the uninterrupted run bitwise; a vmapped population's member equals
its solo run across a stage change; 2 devices (pmap) equal one.

The runs are 8-px smoke runs (two stages: 4 steps of stage 0, then the fade-in of
stage 1); each stage is its own compiled step."""
import json
import os
import signal
import subprocess
import sys
import textwrap

import jax
import numpy as np
import pytest

from gan_jax import checkpoint, train, writers
from tests.test_faults import KILLER, ROOT, assert_same_run

SPEC = "progan.py:smoke"
OVERRIDES = {"train.steps": 8, "ckpt.every": 8, "log.every": 4, "sample.every": 8,
             "eval.every": 8, "eval.metrics": ()}
# A fade of 8 steps (steps 5 to 12) with checkpoints every 2 steps: the run is killed 3
# steps past the checkpoint of step 6, inside the fade.
KILL = {**OVERRIDES, "train.steps": 14, "ckpt.every": 2, "log.every": 2,
        "growth.fade_images": 128}


def test_kill_9_inside_a_fade_then_resume_equals_the_uninterrupted_run(make_config, tmp_path,
                                                                      smoke_classifier):
  """Also the experiment's smoke test (tests/test_experiments.py, ELSEWHERE): the run's
  samples and its classifier scores, 8-px samples resized to the classifier's 28 px."""
  config = make_config(SPEC, **KILL)
  straight, killed = str(tmp_path / "straight"), str(tmp_path / "killed")
  train.train(config, straight, progress=False)
  script = KILLER.format(root=ROOT, where="after_step", step=9, spec=SPEC, overrides=KILL,
                         workdir=killed)
  out = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True,
                       timeout=300, cwd=ROOT)
  assert out.returncode == -signal.SIGKILL, out.stderr[-2000:]
  steps = checkpoint.Checkpointer(killed, read_only=True).steps()
  assert 6 <= max(steps) <= 8, steps  # the newest checkpoint lies inside the fade
  state, _, _ = train.Run(config).restore(killed)
  assert int(state.g["growth"]["stage"]) == 1
  assert 0 < float(state.g["growth"]["alpha"]) < 1
  train.train(config, killed, progress=False)
  assert_same_run(config, straight, killed)
  rows = [r for r in writers.read_metrics(killed) if "alpha" in r]
  scored = make_config(SPEC, **{k: v for k, v in KILL.items() if k != "eval.metrics"})
  with np.load(train.sample(scored, straight, 16)) as samples:
    assert samples["x"].shape == (16, 8, 8, 1) and np.all(np.isfinite(samples["x"]))
  result = train.evaluate(scored, straight)
  assert result["protocol"]["step"] == 14 and np.isfinite(result["scores"]["fid"])
  assert "resized" in result["protocol"]["classifier"]
  assert [(r["step"], r["stage"], r["alpha"]) for r in rows] == [
      (2, 0, 1.0), (4, 0, 1.0), (6, 1, 0.0625), (8, 1, 0.3125), (10, 1, 0.5625),
      (12, 1, 0.8125), (14, 1, 1.0)]


def test_a_resume_at_the_stage_boundary_compiles_the_next_stage(make_config, tmp_path):
  """Stopped right after stage 0's last step (checkpoint 4) and resumed: the first
  step of the resumed process is the fade-in's (stage 1), and the run equals the
  uninterrupted one bitwise."""
  config = make_config(SPEC, **{**OVERRIDES, "ckpt.every": 4, "log.every": 1})
  straight, stopped = str(tmp_path / "straight"), str(tmp_path / "stopped")
  train.train(config, straight, progress=False)
  train.train(config, stopped, progress=False, stop_after=4)
  state, _, step = train.Run(config).restore(stopped)
  assert step == 4 and int(state.g["growth"]["stage"]) == 0
  train.train(config, stopped, progress=False)
  assert_same_run(config, straight, stopped)
  rows = [(r["step"], r["stage"], r["alpha"]) for r in writers.read_metrics(stopped)]
  assert rows[3:5] == [(4, 0, 1.0), (5, 1, 0.0)], rows


def test_a_vmapped_member_equals_its_solo_run_across_stages(make_config, tmp_path):
  configs = [make_config(SPEC, **OVERRIDES, seed=s) for s in (0, 1)]
  dirs = [str(tmp_path / f"m{i}") for i in range(2)]
  states = train.train_population(configs, dirs, progress=False)
  solo = train.train(configs[1], str(tmp_path / "solo"), progress=False)
  assert int(states[1].g["growth"]["stage"]) == int(solo.g["growth"]["stage"]) == 1
  for a, b in zip(jax.tree.leaves(states[1]), jax.tree.leaves(solo)):
    np.testing.assert_allclose(np.asarray(a, np.float64), np.asarray(b, np.float64),
                               atol=1e-5)
  a = writers.read_metrics(dirs[1])
  assert [r["d_loss"] for r in a] == pytest.approx(
      [r["d_loss"] for r in writers.read_metrics(str(tmp_path / "solo"))], abs=1e-5)
  assert writers.read_metrics(dirs[0])[0]["d_loss"] != a[0]["d_loss"]  # seeds differ


PMAP = textwrap.dedent("""
    import json, sys
    sys.path.insert(0, {root!r})
    import jax, numpy as np
    from tests.conftest import experiment_config
    from gan_jax import train
    assert jax.local_device_count() == 2
    finals = []
    for n in (1, 2):
      config = experiment_config({spec!r}, **{overrides!r}, **{{"parallel.num_devices": n}})
      finals.append(train.train(config, {workdir!r} + str(n), progress=False))
    diff = max(float(np.max(np.abs(np.asarray(a, np.float64) - np.asarray(b, np.float64))))
               for a, b in zip(jax.tree.leaves(finals[0]), jax.tree.leaves(finals[1])))
    print("RESULT", json.dumps({{"diff": diff,
                                "stages": [int(f.g["growth"]["stage"]) for f in finals]}}))
""")


def test_two_devices_equal_one(tmp_path):
  # SGD: Adam would blow float rounding of a near-zero first gradient up to a full step
  overrides = {**OVERRIDES, "optim.d.name": "sgd", "optim.g.name": "sgd", "optim.d.lr": 1e-2,
               "optim.g.lr": 1e-2}
  env = dict(os.environ, XLA_FLAGS=os.environ.get("XLA_FLAGS", "")
             + " --xla_force_host_platform_device_count=2", JAX_PLATFORMS="cpu")
  script = PMAP.format(root=ROOT, spec=SPEC, overrides=overrides,
                       workdir=str(tmp_path / "run"))
  out = subprocess.run([sys.executable, "-c", script], env=env, capture_output=True,
                       text=True, timeout=600, cwd=ROOT)
  assert out.returncode == 0, out.stderr[-3000:]
  result = json.loads(out.stdout.split("RESULT", 1)[1])
  assert result["stages"] == [1, 1] and result["diff"] <= 1e-5, result
