"""Vectorised sweep against sequential runs: member-steps per second.

  python bench/sweep_speed.py [--members 8] [--steps 50]

For the toy WGAN-GP step (grid25) and the Fashion-MNIST DCGAN step: P members that
differ in seed and learning rate, as one `jax.vmap`-ed step over stacked states, against
the same step for one member at a time (what P sequential runs would do). Throughput =
members x steps / second; batches are device-resident, so this is the step alone.
"""
from __future__ import annotations

import argparse
import os
import sys
import time

import numpy as np

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)

CASES = {"toy WGAN-GP (grid25)": "experiments/wgan.py:data=grid25",
         "Fashion-MNIST DCGAN": "experiments/dcgan.py"}


def rate(step, state, batch, steps: int) -> float:
  import jax
  for _ in range(3):
    state, m = step(state, batch)
  jax.block_until_ready(m)
  start = time.perf_counter()
  for _ in range(steps):
    state, m = step(state, batch)
  jax.block_until_ready(m)
  return steps / (time.perf_counter() - start)


def measure(spec: str, members: int, steps: int) -> tuple[float, float]:
  import jax
  from gan_jax import config as config_lib, data, experiment, train, train_step as step_lib
  from gan_jax.data import pipeline
  base = experiment.load_config(os.path.join(ROOT, spec))
  configs = [config_lib.apply_overrides(base, {"seed": k, "optim.d.lr": base.optim.d.lr * (1 + k)})
             for k in range(members)]
  run = train.Run(base)
  sources = [run.source] + [data.get_source(c) for c in configs[1:]]
  states = [step_lib.init_state(c, run.method, jax.random.PRNGKey(c.seed), s.batch(0))
            for c, s in zip(configs, sources)]
  group = base.train.n_critic
  batches = [next(pipeline.host_batches(s, 0, group)) for s in sources]
  step = step_lib.keyed(step_lib.make_train_step(base, run.method))
  stacked = jax.tree.map(lambda *x: np.stack(x), *states)  # before donation frees states[0]
  batch = jax.device_put({k: np.stack([b[k] for b in batches]) for k in batches[0]})
  single = rate(jax.jit(step, donate_argnums=0), states[0], jax.device_put(batches[0]), steps)
  vec = rate(jax.jit(jax.vmap(step), donate_argnums=0), stacked, batch, max(10, steps // members))
  return single, vec * members


def main():
  p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
  p.add_argument("--members", type=int, default=8)
  p.add_argument("--steps", type=int, default=50)
  args = p.parse_args()
  if args.steps < 20:
    print("warning: fewer than 20 steps give unstable figures.")
  print(f"{args.members} members; {os.cpu_count()} CPU cores\n")
  print("| step | sequential (member-steps/s) | vectorised (member-steps/s) | speed-up |")
  print("| --- | --- | --- | --- |")
  for name, spec in CASES.items():
    single, vec = measure(spec, args.members, args.steps)
    print(f"| {name} | {single:.1f} | {vec:.1f} | {vec / single:.2f}x |", flush=True)


if __name__ == "__main__":
  main()
