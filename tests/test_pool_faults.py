"""CycleGAN's image pools live in the train state: a run killed with SIGKILL (between
checkpoints, and at the commit of a checkpoint) and resumed equals the uninterrupted run
bitwise, pools included.

Every run is a child process (tests/test_faults.py's KILLER) sharing one JAX compilation
cache, so the children after the first load the compiled step instead of compiling it
again (the same executable: the same numbers)."""
import json
import os
import signal
import subprocess
import sys
import textwrap

from gan_jax import checkpoint
from tests.test_faults import KILLER, ROOT

SPEC = "cyclegan.py:smoke"
# Batch 4: the pools (50 images) are full after step 13, so the checkpoint at 16 holds
# full pools and the resumed steps swap images in and out of them.
OVERRIDES = {"train.steps": 20, "ckpt.every": 8, "log.every": 4, "sample.every": 20,
             "eval.every": 20, "eval.metrics": ()}

COMPARE = textwrap.dedent("""
    import json, sys
    sys.path.insert(0, {root!r})
    import jax, numpy as np
    from tests.conftest import experiment_config
    from gan_jax import train, writers
    config = experiment_config({spec!r}, **{overrides!r})
    run = train.Run(config)
    (a, pa, sa), (b, pb, sb) = run.restore({straight!r}), run.restore({killed!r})
    leaves = lambda s: jax.tree_util.tree_leaves_with_path(s)
    unequal = [jax.tree_util.keystr(k) for (k, x), (_, y) in zip(leaves(a), leaves(b))
               if not np.array_equal(np.asarray(x), np.asarray(y))]
    rows = lambda w: [{{k: v for k, v in r.items() if k != "steps_per_sec"}}
                      for r in writers.read_metrics(w)]
    pool = a.d["pool"]["ab"]
    print("RESULT", json.dumps({{
        "steps": [sa, sb], "positions": [pa, pb], "unequal": unequal,
        "same_metrics": rows({straight!r}) == rows({killed!r}),
        "pool_count": int(pool["count"]),
        "pool_distinct": int(len(np.unique(np.asarray(pool["images"]).reshape(50, -1), axis=0))),
        "pool_leaves": sum("pool" in jax.tree_util.keystr(k) for k, _ in leaves(a))}}))
""")


def child(script, cache, timeout=600):
  env = dict(os.environ, JAX_COMPILATION_CACHE_DIR=cache,
             JAX_PERSISTENT_CACHE_MIN_COMPILE_TIME_SECS="0",
             JAX_PERSISTENT_CACHE_MIN_ENTRY_SIZE_BYTES="0")
  return subprocess.run([sys.executable, "-c", script], capture_output=True, text=True,
                        timeout=timeout, cwd=ROOT, env=env)


def test_the_image_pools_survive_kill_9_and_resume_bitwise(tmp_path):
  cache = str(tmp_path / "jax_cache")
  straight, killed = str(tmp_path / "straight"), str(tmp_path / "killed")

  def train(workdir, where="none", step=0):
    return child(KILLER.format(root=ROOT, where=where, step=step, spec=SPEC,
                               overrides=OVERRIDES, workdir=workdir), cache)

  out = train(straight)
  assert out.returncode == 0 and "FINISHED" in out.stdout, out.stderr[-2000:]
  # Killed at the commit of step 16 (8 stays the newest), then 2 steps past 16.
  for where, step in (("commit", 16), ("after_step", 18)):
    out = train(killed, where, step)
    assert out.returncode == -signal.SIGKILL, (where, step, out.stderr[-2000:])
    steps = checkpoint.Checkpointer(killed, read_only=True).steps()
    assert step not in steps and all(s < step for s in steps), (where, step, steps)
  out = train(killed)  # resumes from the checkpoint of step 16
  assert out.returncode == 0 and "Resuming" in out.stdout + out.stderr, out.stderr[-2000:]
  out = child(COMPARE.format(root=ROOT, spec=SPEC, overrides=OVERRIDES, straight=straight,
                             killed=killed), cache)
  assert out.returncode == 0, out.stderr[-2000:]
  result = json.loads(out.stdout.split("RESULT", 1)[1])
  assert result["steps"] == [20, 20] and result["positions"][0] == result["positions"][1]
  assert result["unequal"] == [] and result["same_metrics"]
  # The pools are really in the state: full, 50 different generated images, 4 leaves
  # (images and count of each direction).
  assert result["pool_count"] == 50 and result["pool_distinct"] == 50
  assert result["pool_leaves"] == 4
