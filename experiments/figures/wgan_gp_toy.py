"""WGAN-GP Figure 1 (Gulrajani et al., 2017): critics trained against a fixed "generator".

The generator is held fixed at the real data plus Gaussian noise, fake = x + N(0, s^2 I)
(s = 1, as in the authors' toy code), and only the critic is trained, for a fixed
number of critic iterations, on 8 Gaussians (ring8), 25 Gaussians (grid25) and the Swiss
roll. The critic is the paper's toy network (3 hidden layers of 512 ReLU units) trained
on the Wasserstein loss E[D(fake)] - E[D(x)] with either

- weight clipping to [-c, c], c = 0.01, RMSProp 5e-5 (WGAN, Arjovsky et al., 2017, Alg. 1):
  the configs of ``experiments/wgan.py:penalty=clip,paper``; or
- the gradient penalty lambda E[(||grad D(x_hat)||_2 - 1)^2], lambda = 10, Adam 1e-4,
  betas (0.5, 0.9) (WGAN-GP, Eq. 3 and Alg. 1): ``experiments/wgan.py:penalty=gp,paper``.

Writes ``wgan_gp_toy.png`` (Fig. 1a: value surfaces, clipping top, penalty bottom),
``wgan_gp_toy_weights.png`` (Fig. 1b, right: the critic's weights, which clipping piles
at +-c) and ``wgan_gp_toy.json``: per data set and regularizer, the fraction of the
critic's weights within 1% of +-c, their std, and the final Wasserstein estimate.

  python -m experiments.figures.wgan_gp_toy --out DIR [--smoke]
"""
from __future__ import annotations

import os

import jax
import jax.numpy as jnp
import numpy as np

from experiments.figures import _common
from gan_jax import data, methods, sampling, train_step as step_lib, viz

NAME = "wgan_gp_toy"
DATASETS = ("ring8", "grid25", "swissroll")
REGULARIZERS = ("clip", "gp")
TITLES = {"clip": "weight clipping (c = 0.01, RMSProp)", "gp": "gradient penalty (lambda 10, Adam)"}
CLIP_C = 0.01
NOISE_STD = 1.0
FULL = dict(iterations=3000, chunk=100)
SMOKE = dict(iterations=60, chunk=20)


class FixedGenerator:
  """A method whose generator is held fixed at real data plus noise: generate() returns
  x + noise_std * N(0, I) for the batch's own x. Everything else is the wrapped method's,
  so the framework's D update (gradient, optimizer, clipping) is used unchanged."""

  def __init__(self, method, noise_std: float):
    self.method, self.noise_std = method, noise_std

  def __getattr__(self, name):
    return getattr(self.method, name)

  def generate(self, g_vars, batch, key, ctx, train: bool):
    x = batch["x"]
    return x + self.noise_std * ctx.normal(key, x.shape), g_vars


def config_for(data_name: str, regularizer: str, smoke: bool):
  overrides = {"regularizers.weight_clip.c": CLIP_C} if regularizer == "clip" else {
      "regularizers.gradient_penalty.weight": 10.0}
  if smoke:
    overrides.update({"model.width": 32, "data.batch_size": 64})
  return _common.experiment_config(
      f"wgan.py:data={data_name},penalty={regularizer},paper", overrides)


def train_critic(config, iterations: int, chunk: int):
  """(method, final state, Wasserstein estimates per iteration) of a critic trained alone
  for `iterations` updates; `chunk` updates run as one jit-compiled `lax.scan`."""
  source = data.get_source(config)
  method = FixedGenerator(methods.get(config.method).build(config, source.shape), NOISE_STD)
  state = step_lib.init_state(config, method, jax.random.PRNGKey(config.seed), source.batch(0))
  d_update, _ = step_lib.make_updates(config, method)

  def body(state, x):
    key = jax.random.fold_in(state.key, state.step)
    state, metrics = d_update(state, {"x": x}, key, 0)
    return state.replace(step=state.step + 1), metrics["wasserstein"]

  run_chunk = jax.jit(lambda state, xs: jax.lax.scan(body, state, xs), donate_argnums=0)
  estimates = []
  for start in range(0, iterations, chunk):
    xs = np.stack([source.batch(start + i)["x"] for i in range(chunk)])
    state, w = run_chunk(state, xs)
    estimates.append(np.asarray(w))
  return method, state, np.concatenate(estimates)


def kernels(d_vars) -> np.ndarray:
  """Every weight of the critic's Dense kernels (biases excluded), flattened."""
  flat = jax.tree_util.tree_flatten_with_path(d_vars["params"])[0]
  return np.concatenate([np.ravel(v) for path, v in flat if "kernel" in jax.tree_util.keystr(path)])


def weight_stats(w: np.ndarray, c: float = CLIP_C) -> dict:
  """Fraction of weights with | |w| - c | <= 0.01 c (piled at +-c), their std and max |w|."""
  return {"frac_at_c": float(np.mean(np.abs(np.abs(w) - c) <= 0.01 * c)),
          "std": float(np.std(w)), "max_abs": float(np.max(np.abs(w))), "count": int(w.size)}


def surface(method, state, real, n: int):
  low, high = viz.toy_limits(real, real, margin=1.0)
  grid = viz.toy_grid(low, high, n)
  discriminate = sampling.jitted(method.method, "discriminate")
  return grid, np.asarray(discriminate(state.d, jnp.asarray(grid)))


def critic_panel(name: str, reg: str, smoke: bool, budget: dict, ax, wax) -> dict:
  """Trains one critic, draws its value surface on `ax` and its weights on `wax`;
  returns its numbers."""
  config = config_for(name, reg, smoke)
  method, state, w_est = train_critic(config, budget["iterations"], budget["chunk"])
  real = data.get_source(config).reference(1000, config.seed)
  grid, values = surface(method, state, real, 40 if smoke else 120)
  viz.toy_figure(real, real[:0], grid, values, f"{name}: {TITLES[reg]}", ax=ax)
  ax.get_legend().remove()
  w = kernels(jax.device_get(state.d))
  stats = weight_stats(w)
  bins = np.linspace(-1.2 * CLIP_C, 1.2 * CLIP_C, 97) if reg == "clip" else 100
  wax.hist(w, bins=bins, color="C0" if reg == "clip" else "C1")
  wax.set_yscale("log")
  wax.set_title(f"{name}, {reg}: {100 * stats['frac_at_c']:.1f}% within 1% of +-c, "
                f"std {stats['std']:.3g}", fontsize=9)
  return {**stats, "finite": bool(np.all(np.isfinite(w_est)) and np.all(np.isfinite(values))),
          "wasserstein_final": float(np.mean(w_est[-budget["chunk"]:])),
          "surface_range": [float(values.min()), float(values.max())],
          "optim": f"{config.optim.d.name} {config.optim.d.lr}"}


def main(argv=None):
  args = _common.parse_args(NAME, __doc__, argv)
  clock = _common.Clock()
  budget = SMOKE if args.smoke else FULL
  import matplotlib.pyplot as plt
  fig, axes = plt.subplots(2, 3, figsize=(13, 8.6))
  wfig, waxes = plt.subplots(2, 3, figsize=(13, 6))
  results = {}
  for col, name in enumerate(DATASETS):
    results[name] = {}
    for row, reg in enumerate(REGULARIZERS):
      results[name][reg] = critic_panel(name, reg, args.smoke, budget, axes[row, col],
                                        waxes[row, col])
      print(f"{name} {reg}: {results[name][reg]}", flush=True)
  fig.suptitle("Critic value surfaces, generator fixed at real data + N(0, 1) noise "
               f"({budget['iterations']} critic iterations); real points in orange", fontsize=11)
  fig.tight_layout()
  wfig.suptitle("Critic weights (Dense kernels): weight clipping (top) vs gradient penalty "
                "(bottom), log counts", fontsize=11)
  wfig.tight_layout()
  viz.save_figure(fig, os.path.join(args.out, f"{NAME}.png"))
  viz.save_figure(wfig, os.path.join(args.out, f"{NAME}_weights.png"))
  c = config_for(DATASETS[0], "gp", args.smoke)
  protocol = {"critic": f"MLP {c.model.depth}x{c.model.width} ReLU", "batch": c.data.batch_size,
              "critic_iterations": budget["iterations"], "noise_std": NOISE_STD,
              "clip_c": CLIP_C, "gp_lambda": c.regularizers.gradient_penalty.weight,
              "gp_adam_betas": [c.optim.d.b1, c.optim.d.b2], "smoke": args.smoke}
  path = _common.write_json(args.out, NAME, {"results": results, "protocol": protocol,
                                             "seconds": clock.seconds()})
  print(f"Wrote {path} in {clock.seconds()} s.")


if __name__ == "__main__":
  main()
