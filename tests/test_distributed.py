"""Multi-process training with JAX's own runtime: 2 processes x 1 CPU device, talking
through `jax.distributed` (gloo), train exactly what 1 process x 2 devices trains, and
a SIGTERM to one of them stops both at the same step with a checkpoint."""
import os
import signal
import socket
import subprocess
import sys
import time

import jax
import numpy as np

from gan_jax import checkpoint, train, writers

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
STEPS = 60
ARGS = ["--config", "experiments/dcgan.py:smoke", f"--config.train.steps={STEPS}",
        "--config.eval.metrics=()", "--config.log.every=5", "--config.ckpt.every=20",
        "--config.sample.every=20", "--noprogress"]


def _free_port() -> int:
  with socket.socket() as s:
    s.bind(("localhost", 0))
    return s.getsockname()[1]


def _launch(workdir, env, *extra):
  return subprocess.Popen([sys.executable, "launch.py", *ARGS, "--workdir", workdir, *extra],
                          cwd=ROOT, env={**os.environ, **env}, stdout=subprocess.PIPE,
                          stderr=subprocess.PIPE, text=True)


def _two_processes(workdir):
  port = _free_port()
  return [_launch(workdir, {"JAX_COORDINATOR_ADDRESS": f"localhost:{port}",
                            "JAX_NUM_PROCESSES": "2", "JAX_PROCESS_ID": str(i),
                            "JAX_PLATFORMS": "cpu"}, "--distributed") for i in range(2)]


def test_two_processes_equal_one_process_with_two_devices_and_stop_together(make_config,
                                                                          tmp_path):
  single, multi = str(tmp_path / "single"), str(tmp_path / "multi")
  flags = os.environ.get("XLA_FLAGS", "")  # conftest's, for the same compiled code
  one = _launch(single, {"XLA_FLAGS": f"{flags} --xla_force_host_platform_device_count=2",
                         "JAX_PLATFORMS": "cpu"})
  assert one.wait(timeout=600) == 0, one.communicate()[1][-3000:]

  # Preempt: SIGTERM to process 1 only; JAX's preemption service makes both stop after
  # the same step, write one checkpoint and exit with 128 + SIGTERM.
  procs = _two_processes(multi)
  deadline = time.time() + 300
  while not [r for r in writers.read_metrics(multi) if r["step"] >= 10]:
    assert time.time() < deadline and all(p.poll() is None for p in procs), \
        [p.communicate()[1][-2000:] for p in procs]
    time.sleep(0.1)
  procs[1].send_signal(signal.SIGTERM)
  outputs = [p.communicate(timeout=300) for p in procs]
  assert [p.returncode for p in procs] == [128 + signal.SIGTERM] * 2, outputs
  stops = {line.split("after step ")[1].split(";")[0] for _, err in outputs
           for line in err.splitlines() if "Stopped by SIGTERM" in line}
  assert len(stops) == 1, outputs
  stopped = int(stops.pop())
  assert 10 <= stopped < STEPS
  assert stopped in checkpoint.Checkpointer(multi, read_only=True).steps()

  procs = _two_processes(multi)  # resume, both processes
  outputs = [p.communicate(timeout=600) for p in procs]
  assert [p.returncode for p in procs] == [0, 0], [o[1][-3000:] for o in outputs]
  assert "Resuming" in outputs[0][0]

  config = make_config("dcgan.py:smoke", **{"train.steps": STEPS, "eval.metrics": ()})
  run = train.Run(config)
  (a, _, step_a), (b, _, step_b) = run.restore(single), run.restore(multi)
  assert step_a == step_b == STEPS
  diff = max(float(np.max(np.abs(np.asarray(x, np.float64) - np.asarray(y, np.float64))))
             for x, y in zip(jax.tree.leaves(a), jax.tree.leaves(b)))
  z = run.conditions(256, 123)
  samples = [run.method.sample(run.generator_variables(s), z)["x"] for s in (a, b)]
  sample_diff = float(np.max(np.abs(np.asarray(samples[0]) - np.asarray(samples[1]))))
  print(f"max abs diff: state {diff:.3g}, 256 samples {sample_diff:.3g}")
  assert diff <= 1e-5 and sample_diff <= 1e-5
  # Only process 0 wrote the logs: one row per logged step.
  steps = [r["step"] for r in writers.read_metrics(multi) if "d_loss" in r]
  assert steps == list(range(5, STEPS + 1, 5))
