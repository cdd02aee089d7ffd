"""Faults that must lose nothing: kill -9 at any moment (inside a checkpoint write too),
SIGTERM / SIGINT (preemption, Ctrl-C). Each interrupted run, resumed, equals the
uninterrupted run bitwise."""
import os
import signal
import subprocess
import sys
import textwrap
import time

import jax
import numpy as np

from gan_jax import checkpoint, train, writers

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SPEC = "gan.py:smoke,data=ring8"
OVERRIDES = {"train.steps": 40, "ckpt.every": 8, "log.every": 4, "sample.every": 20,
             "eval.every": 20}

# Runs the training in a process that kills itself (SIGKILL: no handler, no cleanup)
# at a chosen point: right after step K was dispatched, or inside the checkpoint write of
# step K, either when the state item is written but the others are not ("mid-write"),
# or at the final rename that commits the step ("commit").
KILLER = textwrap.dedent("""
    import os, signal, sys
    sys.path.insert(0, {root!r})
    import jax
    from tests.conftest import experiment_config
    from gan_jax import parallel, train
    where, step = {where!r}, {step}
    die = lambda: os.kill(os.getpid(), signal.SIGKILL)
    if where == "after_step":
      compile_step = parallel.compile_step
      def killing_compile_step(fn, n, donate=True):
        compiled = compile_step(fn, n, donate)
        def run(state, batch):
          out = compiled(state, batch)
          if int(jax.device_get(out[0].step)) == step:
            die()
          return out
        return run
      parallel.compile_step = killing_compile_step
    else:
      rename = os.rename
      def killing_rename(src, dst, *args, **kwargs):
        src = str(src)
        if where == "mid-write" and src.endswith(f"{{step}}.orbax-checkpoint-tmp/state.orbax-checkpoint-tmp"):
          print("KILLED IN SAVE", os.listdir(os.path.dirname(src)), flush=True)
          die()
        if where == "commit" and src.endswith(f"/{{step}}.orbax-checkpoint-tmp"):
          print("KILLED IN SAVE", sorted(os.listdir(src)), flush=True)
          die()
        return rename(src, dst, *args, **kwargs)
      os.rename = killing_rename
    train.train(experiment_config({spec!r}, **{overrides!r}), {workdir!r}, progress=False)
    print("FINISHED", flush=True)
""")


def final_state(config, workdir):
  return train.Run(config).restore(workdir)


def assert_same_run(config, straight, resumed):
  a, b = final_state(config, straight), final_state(config, resumed)
  assert a[2] == b[2] == config.train.steps and a[1] == b[1]
  for x, y in zip(jax.tree.leaves(a[0]), jax.tree.leaves(b[0])):
    assert np.array_equal(np.asarray(x), np.asarray(y))
  rows = lambda w: [{k: v for k, v in r.items() if k != "steps_per_sec"}
                    for r in writers.read_metrics(w)]
  assert rows(straight) == rows(resumed)


def test_kill_9_at_five_points_then_resume_equals_the_uninterrupted_run(make_config, tmp_path):
  config = make_config(SPEC, **OVERRIDES)
  straight, killed = str(tmp_path / "straight"), str(tmp_path / "killed")
  train.train(config, straight, progress=False)
  # Between checkpoints, mid-write of step 8 (none complete yet), 3 steps past
  # checkpoint 16, at the commit of step 24, and 1 step past checkpoint 32.
  points = [("after_step", 5), ("mid-write", 8), ("after_step", 19), ("commit", 24),
            ("after_step", 33)]
  for where, step in points:
    script = KILLER.format(root=ROOT, where=where, step=step, spec=SPEC, overrides=OVERRIDES,
                           workdir=killed)
    out = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True,
                         timeout=300, cwd=ROOT)
    assert out.returncode == -signal.SIGKILL, (where, step, out.stdout, out.stderr[-2000:])
    if where != "after_step":
      assert "KILLED IN SAVE" in out.stdout
    steps = checkpoint.Checkpointer(killed, read_only=True).steps()
    assert step not in steps and all(s < step for s in steps), (where, step, steps)
  train.train(config, killed, progress=False)
  assert_same_run(config, straight, killed)


LONG = {"log.every": 5, "ckpt.every": 100, "sample.every": 100, "eval.every": 100}


def _launch(workdir, steps):
  cmd = [sys.executable, os.path.join(ROOT, "launch.py"), "--config",
         f"experiments/{SPEC}", "--workdir", workdir, "--noprogress",
         f"--config.train.steps={steps}"] + [f"--config.{k}={v}" for k, v in LONG.items()]
  return subprocess.Popen(cmd, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                          text=True)


def _wait_for_step(workdir, step, process, timeout=120):
  deadline = time.time() + timeout
  while time.time() < deadline:
    rows = writers.read_metrics(workdir) if os.path.exists(workdir) else []
    if rows and rows[-1]["step"] >= step:
      return
    assert process.poll() is None, process.communicate()
    time.sleep(0.05)
  raise TimeoutError(f"no step {step} in {workdir}")


def test_sigterm_and_sigint_write_a_checkpoint_and_resume_exactly(make_config, tmp_path):
  steps = 400
  config = make_config(SPEC, **{"train.steps": steps, **LONG})
  straight, stopped = str(tmp_path / "straight"), str(tmp_path / "stopped")
  stop_steps = []
  for signum, after in ((signal.SIGTERM, 30), (signal.SIGINT, 150)):
    process = _launch(stopped, steps)
    _wait_for_step(stopped, after, process)
    process.send_signal(signum)
    _, err = process.communicate(timeout=120)
    assert process.returncode == 128 + signum, err[-2000:]
    line = [l for l in err.splitlines() if "Stopped by" in l][-1]
    assert f"Stopped by {signal.Signals(signum).name} after step" in line
    stop_steps.append(int(line.split("after step ")[1].split(";")[0]))
    assert stop_steps[-1] in checkpoint.Checkpointer(stopped, read_only=True).steps()
  assert 30 <= stop_steps[0] < stop_steps[1] < steps and stop_steps[0] % 100
  train.train(config, straight, progress=False)
  train.train(config, stopped, progress=False)
  assert_same_run(config, straight, stopped)


def test_processes_probing_one_workdir_at_once_do_not_trip_each_other(tmp_path):
  """The processes of a multi-host run check the shared workdir at the same moment
  (a shared probe name let one remove the other's: 'not writable (No such file or
  directory)' at resume, seen in tests/test_distributed.py)."""
  import threading
  from gan_jax import checkpoint
  errors = []

  def probe():
    for _ in range(300):
      try:
        checkpoint.check_writable(str(tmp_path))
      except OSError as e:
        errors.append(str(e))
  threads = [threading.Thread(target=probe) for _ in range(4)]
  for t in threads:
    t.start()
  for t in threads:
    t.join()
  assert len(errors) == 0, errors[:2]
  assert sorted(os.listdir(tmp_path)) == []
