"""Before and after: flax's strided convolutions against `gan_jax.networks.layers`.

  python bench/layers_speed.py [--steps 30] [--batch 64]

The layers of the 28x28 DCGAN (width 64): G's transposed convolutions 7->14 (128->64
channels) and 14->28 (64->1), D's strided convolutions 28->14 (1->64) and 14->7
(64->128), all 4x4 with stride 2. For each, the jit-compiled gradient of a loss w.r.t.
kernel and input (what a train step does per layer), with flax's `nn.ConvTranspose` /
`nn.Conv` ("before") and the framework's forms of the same maths ("after"), and for
D's layers the gradient penalty's double backward (the gradient w.r.t. the kernel of
||d out / d x||^2). Median ms per call over --steps calls after warm-up.

Then whole train steps, before and after: the Fashion-MNIST steps of
`experiments/dcgan.py` and `experiments/wgan.py` (WGAN-GP, n_critic 5) with the
networks built once from flax's layers (swapped in for `layers.ConvTranspose` and
`layers.Conv`) and once from the framework's; median ms per step over --step_calls.
"""
from __future__ import annotations

import argparse
import os
import sys
import time

import numpy as np

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)


def timed(fn, *args, steps: int) -> float:
  import jax
  jax.block_until_ready(fn(*args))  # compile
  times = []
  for _ in range(steps):
    t = time.perf_counter()
    jax.block_until_ready(fn(*args))
    times.append(time.perf_counter() - t)
  return 1000 * float(np.median(times))


def main():
  p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
  p.add_argument("--steps", type=int, default=30)
  p.add_argument("--batch", type=int, default=64)
  p.add_argument("--step_calls", type=int, default=10, help="calls per whole-step figure")
  args = p.parse_args()
  if args.steps < 10:
    print(f"warning: --steps {args.steps} is too few for a stable median; use 10 or more.")
  import flax.linen as nn
  import jax
  import jax.numpy as jnp
  from gan_jax.networks import layers

  cases = [  # name, (before, after) constructors, input [H, W, C_in], double backward
      ("G 7->14, 128->64", lambda c: nn.ConvTranspose(c, (4, 4), (2, 2), padding="SAME"),
       lambda c: layers.ConvTranspose(c, (4, 4), (2, 2), padding="SAME"), (7, 7, 128), 64, False),
      ("G 14->28, 64->1", lambda c: nn.ConvTranspose(c, (4, 4), (2, 2), padding="SAME"),
       lambda c: layers.ConvTranspose(c, (4, 4), (2, 2), padding="SAME"), (14, 14, 64), 1, False),
      ("D 28->14, 1->64", lambda c: nn.Conv(c, (4, 4), (2, 2), padding="SAME"),
       lambda c: layers.Conv(c, (4, 4), (2, 2), padding="SAME"), (28, 28, 1), 64, True),
      ("D 14->7, 64->128", lambda c: nn.Conv(c, (4, 4), (2, 2), padding="SAME"),
       lambda c: layers.Conv(c, (4, 4), (2, 2), padding="SAME"), (14, 14, 64), 128, True),
  ]
  key = jax.random.PRNGKey(0)
  print(f"batch {args.batch}, median ms per call over {args.steps} calls, "
        f"{jax.devices()[0].platform}, jax {jax.__version__}")
  print(f"{'layer':<20} {'what':<22} {'flax (before)':>14} {'gan_jax (after)':>16} {'speed-up':>9}")
  for name, before, after, shape, out, double in cases:
    x = jax.random.normal(key, (args.batch, *shape))
    results = {}
    for which, make in (("before", before), ("after", after)):
      module = make(out)
      params = module.init(key, x)

      def loss(params, x, module=module):
        return jnp.mean(jnp.tanh(module.apply(params, x)))

      grad = jax.jit(jax.grad(loss, argnums=(0, 1)))
      results[which, "forward + backward"] = timed(grad, params, x, steps=args.steps)
      if double:
        def penalty(params, x, loss=loss):
          g = jax.grad(loss, argnums=1)(params, x)
          return jnp.mean(jnp.sum(g ** 2, axis=(1, 2, 3)))
        results[which, "penalty double backward"] = timed(
            jax.jit(jax.grad(penalty)), params, x, steps=args.steps)
    for what in dict.fromkeys(w for _, w in results):
      b, a = results["before", what], results["after", what]
      print(f"{name:<20} {what:<22} {b:>14.2f} {a:>16.2f} {b / a:>8.1f}x")
  whole_steps(args.step_calls)


def whole_step_ms(spec: str, plain: bool, calls: int) -> float:
  """Median ms of the jitted train step of `spec`; `plain`: flax's conv layers."""
  import flax.linen as nn
  import jax
  from gan_jax import experiment, train, train_step as step_lib
  from gan_jax.data import pipeline
  from gan_jax.networks import layers
  fast = layers.ConvTranspose, layers.Conv
  if plain:  # the networks look these up when they are built
    layers.ConvTranspose, layers.Conv = nn.ConvTranspose, nn.Conv
  try:
    config = experiment.load_config(os.path.join(ROOT, spec))
    run = train.Run(config)
    state = run.init_state()
    step = jax.jit(step_lib.keyed(step_lib.make_train_step(config, run.method)))
    batch = jax.device_put(next(pipeline.host_batches(run.source, 0, config.train.n_critic)))
    return timed(lambda s: step(s, batch)[1], state, steps=calls)
  finally:
    layers.ConvTranspose, layers.Conv = fast


def whole_steps(calls: int):
  print(f"\nwhole train steps, median ms over {calls} calls")
  print(f"{'step':<34} {'flax (before)':>14} {'gan_jax (after)':>16} {'speed-up':>9}")
  for spec in ("experiments/dcgan.py", "experiments/wgan.py"):
    before, after = whole_step_ms(spec, True, calls), whole_step_ms(spec, False, calls)
    print(f"{spec:<34} {before:>14.1f} {after:>16.1f} {before / after:>8.1f}x", flush=True)


if __name__ == "__main__":
  main()
