"""Steps/s of the progressive GAN's step at each growing stage against the DCGAN step of
the same resolution, measured in one process in alternating rounds (so the machine's
load falls on all of them alike; the ratios are the figure to read).

  python bench/progan_speed.py [--rounds 5] [--steps 20] [--progan experiments/progan.py]
      [--dcgan experiments/dcgan.py:size=32]
"""
from __future__ import annotations

import argparse
import os
import sys
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)


def compiled(spec: str, stage: int | None = None):
  """(step, state, batches, config) of an experiment; for progan the step of `stage`."""
  import jax
  from gan_jax import experiment, train
  from gan_jax import train_step as step_lib
  from gan_jax.data import pipeline
  config = experiment.load_config(os.path.join(ROOT, spec))
  run = train.Run(config)
  method = run.method.at_stage(stage) if stage is not None else run.method
  step = jax.jit(step_lib.keyed(step_lib.make_train_step(config, method)), donate_argnums=0)
  batches = [b for _, b in zip(range(4), pipeline.host_batches(run.source, 0,
                                                                config.train.n_critic))]
  state = run.init_state()
  state, m = step(state, batches[0])  # compile
  jax.block_until_ready(m)
  return step, state, batches, config


def main():
  import jax
  p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
  p.add_argument("--rounds", type=int, default=5)
  p.add_argument("--steps", type=int, default=20)
  p.add_argument("--progan", default="experiments/progan.py")
  p.add_argument("--dcgan", default="experiments/dcgan.py:size=32")
  args = p.parse_args()
  from gan_jax.networks import progan as nets
  cases = {"dcgan": compiled(args.dcgan)}
  size = cases["dcgan"][3].data.image_size
  for s in range(nets.num_stages(size)):
    cases[f"progan stage {s} ({nets.resolution(s)}x{nets.resolution(s)})"] = compiled(
        args.progan, s)
  times = {k: [] for k in cases}
  states = {k: v[1] for k, v in cases.items()}
  for _ in range(args.rounds):
    for name, (step, _, batches, _) in cases.items():
      t0 = time.perf_counter()
      for i in range(args.steps):
        states[name], m = step(states[name], batches[i % len(batches)])
      jax.block_until_ready(m)
      times[name].append(args.steps / (time.perf_counter() - t0))
  base = sorted(times["dcgan"])[len(times["dcgan"]) // 2]
  print(f"{args.rounds} rounds of {args.steps} steps, median steps/s; {os.cpu_count()} CPU "
        f"cores; load {os.getloadavg()[0]:.1f}")
  print("| step | batch | steps/s | / DCGAN |\n| --- | --- | --- | --- |")
  for name, ts in times.items():
    med = sorted(ts)[len(ts) // 2]
    print(f"| {name} | {cases[name][3].data.batch_size} | {med:.2f} | {med / base:.2f} |")


if __name__ == "__main__":
  main()
