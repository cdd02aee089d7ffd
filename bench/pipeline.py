"""Input pipeline throughput against the train step it feeds.

  python bench/pipeline.py [--config experiments/dcgan.py] [--batches 2000]

Prints batches/s of the host pipeline alone (source.batch + stacking + device_put,
through the prefetching thread) and steps/s of the jit-compiled train step on
device-resident batches. The pipeline must be several times faster than the step.
"""
from __future__ import annotations

import argparse
import os
import sys
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)


def main():
  p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
  p.add_argument("--config", default="experiments/dcgan.py")
  p.add_argument("--batches", type=int, default=2000)
  p.add_argument("--steps", type=int, default=100)
  args = p.parse_args()
  if args.steps < 30 or args.batches < 200:
    print("warning: too few steps/batches for a stable figure (use >= 30 / >= 200).")
  import jax
  from gan_jax import experiment, train, train_step as step_lib
  from gan_jax.data import pipeline
  config = experiment.load_config(os.path.join(ROOT, args.config))
  run = train.Run(config)
  loader = pipeline.Prefetcher(run.source, 0, config.train.n_critic)
  for _ in range(20):
    batch = next(loader)
  start = time.perf_counter()
  for _ in range(args.batches):
    batch = next(loader)
  jax.block_until_ready(batch)
  pipe = args.batches / (time.perf_counter() - start)
  loader.close()

  step = jax.jit(step_lib.keyed(step_lib.make_train_step(config, run.method)),
                 donate_argnums=0)
  state = run.init_state()
  for _ in range(5):
    state, m = step(state, batch)
  jax.block_until_ready(m)
  start = time.perf_counter()
  for _ in range(args.steps):
    state, m = step(state, batch)
  jax.block_until_ready(m)
  rate = args.steps / (time.perf_counter() - start)
  print(f"config {args.config}: data {config.data.name}, batch {config.data.batch_size}, "
        f"n_critic {config.train.n_critic}; {os.cpu_count()} CPU cores")
  print("| what | per second |\n| --- | --- |")
  print(f"| pipeline (groups of {config.train.n_critic} batches) | {pipe:.0f} |")
  print(f"| train step | {rate:.1f} |")
  print(f"pipeline / step = {pipe / rate:.0f}x")


if __name__ == "__main__":
  main()
