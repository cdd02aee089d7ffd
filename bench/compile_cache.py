"""Start-up with and without JAX's persistent compilation cache, through launch.py.

  python bench/compile_cache.py [--config experiments/dcgan.py] [--steps 20] [--repeats 2]

Trains a short run of `--config` (`--steps` steps) once, then times, as separate
launch.py processes: `--mode sample`, `--mode eval` and a resume that trains 1 more
step, each (a) with the cache off (`--nocompilation_cache`), (b) with an empty cache
(the first process fills it) and (c) with the cache that (b) filled. Reported: wall
seconds of the whole process (imports, restore, compiling, the work itself) and the
seconds XLA spent compiling or loading compiled executables from the cache in it (the
sum of jax's "Finished XLA compilation" log lines, which time both), median over
`--repeats`. jax stores only compilations that took at least
`jax_persistent_cache_min_compile_time_secs` (1 s by default); the shorter ones are
compiled again in every process. Each variant gets a fresh copy of the trained run,
so every resume starts from the same checkpoint.
"""
from __future__ import annotations

import argparse
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
MODES = {"sample": ["--mode", "sample"], "eval": ["--mode", "eval"],
         "resume (+1 step)": ["--config.train.steps={next}"]}


def launch(args: list[str], env: dict) -> tuple[float, float]:
  """(wall seconds, XLA compile seconds) of one launch.py process."""
  start = time.perf_counter()
  out = subprocess.run([sys.executable, os.path.join(ROOT, "launch.py"), "--noprogress", *args],
                       env={**env, "JAX_LOG_COMPILES": "1"}, capture_output=True, text=True)
  wall = time.perf_counter() - start
  if out.returncode:
    sys.exit(f"launch.py {' '.join(args)} failed:\n{out.stderr[-3000:]}")
  compiled = sum(float(s) for s in re.findall(r"Finished XLA compilation of .* in ([0-9.]+) s",
                                              out.stderr + out.stdout))
  return wall, compiled


def main():
  p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
  p.add_argument("--config", default="experiments/dcgan.py")
  p.add_argument("--steps", type=int, default=20)
  p.add_argument("--repeats", type=int, default=2)
  args = p.parse_args()
  base = tempfile.mkdtemp(prefix="compile_cache_")
  env = dict(os.environ, GAN_JAX_CACHE=os.path.join(base, "user_cache"))
  env.pop("JAX_COMPILATION_CACHE_DIR", None)
  trained = os.path.join(base, "trained")
  n = args.steps
  launch(["--config", args.config, "--workdir", trained, f"--config.train.steps={n}",
          f"--config.ckpt.every={n}", f"--config.sample.every={n}", "--config.eval.every=0",
          "--nocompilation_cache"], env)
  rows = []
  for mode, extra in MODES.items():
    extra = [a.format(next=n + 1) for a in extra]
    times = {"off": [], "empty cache": [], "filled cache": []}
    for r in range(args.repeats):
      cache = os.path.join(base, f"jax_cache_{mode.split()[0]}_{r}")
      for variant in times:
        workdir = os.path.join(base, f"run_{len(rows)}_{r}_{variant.split()[0]}")
        shutil.copytree(trained, workdir)
        # off: neither the flag nor $JAX_COMPILATION_CACHE_DIR (which jax reads itself)
        flags, run_env = (["--nocompilation_cache"], env) if variant == "off" else (
            [], {**env, "JAX_COMPILATION_CACHE_DIR": cache})
        times[variant].append(launch(["--config", args.config, "--workdir", workdir,
                                      *extra, *flags], run_env))
    rows.append((mode, {k: (statistics.median(w for w, _ in v), statistics.median(c for _, c in v))
                        for k, v in times.items()}))
  print(f"\n`{args.config}` trained {n} steps; median of {args.repeats}; wall s (of which XLA "
        "compiling or loading from the cache, s)\n")
  print("| launch.py | cache off | empty cache (fills it) | filled cache | saved |")
  print("| --- | --- | --- | --- | --- |")
  for mode, t in rows:
    cells = [f"{t[k][0]:.1f} ({t[k][1]:.1f})" for k in ("off", "empty cache", "filled cache")]
    print(f"| {mode} | " + " | ".join(cells) + f" | {t['off'][0] - t['filled cache'][0]:.1f} s |")
  shutil.rmtree(base, ignore_errors=True)


if __name__ == "__main__":
  main()
