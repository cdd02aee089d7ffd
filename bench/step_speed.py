"""Steps/s of the toy train step: jit on one device, and pmap over 4 host devices.

  python bench/step_speed.py [--steps 200] [--config experiments/wgan.py:data=grid25]
  python bench/step_speed.py --compare experiments/dcgan.py experiments/stylegan.py --steps 48

`--compare A B ...` measures each config's step on one device in one process, one
after the other, and prints steps/s, images/s and the ratio to the first (the ratio,
not the times, is what holds on a loaded machine). A config whose regularizer is lazy
(StyleGAN2's R1 every 16 D updates) needs a step count that is a multiple of the
interval for a fair average (48 = 3 x 16).

The 4-device figure runs in a subprocess with
XLA_FLAGS=--xla_force_host_platform_device_count=4 (4 virtual devices on this CPU: it
shows the pmap overhead, not a speed-up, since they share the same cores). There each
step is waited for before the next is dispatched: with dozens of pmap steps queued,
XLA's in-process all-reduce between 4 virtual devices on 2 cores missed its 40 s
rendezvous deadline and aborted (seen with jax 0.10.2); real devices do not share
one thread pool like that, so on a GPU or TPU the steps are queued as in training.
"""
from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)


def measure(spec: str, n: int, steps: int) -> dict:
  import jax
  from gan_jax import experiment, parallel, train
  from gan_jax import train_step as step_lib
  from gan_jax.data import pipeline
  config = experiment.load_config(os.path.join(ROOT, spec))
  run = train.Run(config, parallel.context(n))
  state = parallel.replicate(run.init_state(), n)
  step = parallel.compile_step(step_lib.keyed(step_lib.make_train_step(
      config, run.method, parallel.context(n))), n)
  batches = [parallel.put_batch(b, n) for _, b in
             zip(range(8), pipeline.host_batches(run.source, 0, config.train.n_critic))]
  t0 = time.perf_counter()
  state, m = step(state, batches[0])
  jax.block_until_ready(m)
  compile_s = time.perf_counter() - t0
  for i in range(10):  # warm-up
    state, m = step(state, batches[i % 8])
    jax.block_until_ready(m)
  jax.block_until_ready(m)
  t0 = time.perf_counter()
  for i in range(steps):
    state, m = step(state, batches[i % 8])
    if n > 1 and jax.default_backend() == "cpu":  # see the module docstring
      jax.block_until_ready(m)
  jax.block_until_ready(m)
  dt = time.perf_counter() - t0
  return {"devices": n, "steps_per_sec": steps / dt, "compile_s": compile_s,
          "batch": config.data.batch_size, "n_critic": config.train.n_critic,
          "width": config.model.width}


def main():
  p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
  p.add_argument("--steps", type=int, default=200)
  p.add_argument("--config", default="experiments/wgan.py:data=grid25")
  p.add_argument("--devices", type=int, default=0, help=argparse.SUPPRESS)
  p.add_argument("--compare", nargs="+", default=None, help="configs to compare on 1 device")
  args = p.parse_args()
  if args.compare:
    rows = [(spec, measure(spec, 1, args.steps)) for spec in args.compare]
    print(f"{args.steps} steps each, 1 device, {os.cpu_count()} CPU cores")
    print("| config | batch | steps/s | images/s | steps/s vs first | compile (s) |\n"
          "| --- | --- | --- | --- | --- | --- |")
    for spec, r in rows:
      print(f"| {spec} | {r['batch']} | {r['steps_per_sec']:.2f} | "
            f"{r['steps_per_sec'] * r['batch']:.0f} | "
            f"{r['steps_per_sec'] / rows[0][1]['steps_per_sec']:.2f} | {r['compile_s']:.1f} |")
    return
  if args.steps < 50:
    print(f"warning: {args.steps} steps are too few for a stable figure; use >= 50.")
  if args.devices:  # the child process of the multi-device measurement
    print(json.dumps(measure(args.config, args.devices, args.steps)))
    return
  rows = [measure(args.config, 1, args.steps)]
  env = dict(os.environ, XLA_FLAGS="--xla_force_host_platform_device_count=4")
  out = subprocess.run([sys.executable, __file__, "--devices", "4", "--steps",
                        str(args.steps), "--config", args.config],
                       env=env, capture_output=True, text=True, check=True)
  rows.append(json.loads(out.stdout.strip().splitlines()[-1]))
  print(f"config {args.config}: batch {rows[0]['batch']}, n_critic {rows[0]['n_critic']}, "
        f"MLP width {rows[0]['width']}; {os.cpu_count()} CPU cores")
  print("| devices | steps/s | compile (s) |\n| --- | --- | --- |")
  for r in rows:
    print(f"| {r['devices']} | {r['steps_per_sec']:.1f} | {r['compile_s']:.1f} |")


if __name__ == "__main__":
  main()
