"""The lecture notes' 1-D density, learnt by a GAN and compared with exact sampling.

The density (`gan_jax.data.toy.Pdf1d`) on [-3, 3] is proportional to steps 1/3, 2/3, 1
on [-3, -2), [-2, -1), [-1, 0) and to the cosine bump 0.5 cos(pi x) + 0.5 on [0, 3].
Three things are drawn over each other: the exact PDF, a histogram of N samples of the
exact inverse-CDF sampler x = F^{-1}(u), u ~ U[0, 1], and a histogram of N samples of a
GAN trained on it. Both sample sets are scored against the exact CDF at the same N:
the Kolmogorov-Smirnov distance sup_x |F_N(x) - F(x)| and the total variation of a
60-bin histogram (`gan_jax.metrics.toy`); the exact sampler's values are what sampling
noise alone gives at that N.

The GAN is ``experiments/wgan.py:data=pdf1d,penalty=gp`` (the toy WGAN-GP defaults:
lambda 0.1, Adam 1e-3 decayed linearly to 0, n_critic 5, batch 256, 3-layer ReLU MLPs)
with a 1-D latent z ~ U[-1, 1] (G is then a learnt inverse CDF), 128-unit layers and
8,000 steps.

Writes ``pdf1d.png`` and ``pdf1d.json``.

  python -m experiments.figures.pdf1d --out DIR [--smoke]
"""
from __future__ import annotations

import os
import shutil

import numpy as np

from experiments.figures import _common
from gan_jax import sampling, train, viz
from gan_jax.data import toy
from gan_jax.metrics import toy as toy_metrics

NAME = "pdf1d"
SPEC = "wgan.py:data=pdf1d,penalty=gp"
FULL = dict(steps=8000, samples=20_000)
SMOKE = dict(steps=40, samples=2000)
# A 1-D latent (G is then a learnt inverse CDF) and 128-unit networks, which learn this
# density better in the same minutes than 256 units at half the steps (KS 0.033 against
# 0.046, measured).
OVERRIDES = {"model.z_dim": 1, "model.z_dist": "uniform"}
FULL_OVERRIDES = {"model.width": 128}


def gan_config(smoke: bool):
  s = SMOKE if smoke else FULL
  spec = SPEC + (",smoke" if smoke else "")
  return _common.experiment_config(spec, {
      **OVERRIDES, **({} if smoke else FULL_OVERRIDES), "train.steps": s["steps"],
      "log.every": 20 if smoke else 100, "sample.every": s["steps"], "eval.every": s["steps"],
      "ckpt.every": s["steps"]})


def scores(x: np.ndarray, pdf: toy.Pdf1d) -> dict:
  low, high = pdf.support()
  return {"ks": toy_metrics.ks_distance(x, pdf.cdf),
          "tv": toy_metrics.total_variation(x, pdf.cdf, low, high),
          "mean": float(np.mean(x)), "outside_support": float(np.mean((x < low) | (x > high)))}


def exact_mean(pdf: toy.Pdf1d) -> float:
  x = np.linspace(pdf.low, pdf.high, 60_001)
  return float(np.sum(x * pdf.pdf(x)) * (x[1] - x[0]))


def plot(exact_x, gan_x, pdf: toy.Pdf1d, numbers: dict, path: str):
  import matplotlib.pyplot as plt
  fig, (a, b) = plt.subplots(1, 2, figsize=(12, 4))
  xs = np.linspace(-3.5, 3.5, 1401)
  bins = np.linspace(-3.5, 3.5, 71)
  n = len(exact_x)
  e, g = numbers["exact_sampler"], numbers["gan"]
  a.hist(exact_x, bins, density=True, histtype="step", lw=1.5, color="C0",
         label=f"inverse-CDF sampler (KS {e['ks']:.4f}, TV {e['tv']:.3f})")
  a.hist(np.clip(gan_x, bins[0], bins[-1]), bins, density=True, alpha=0.45, color="C2",
         label=f"GAN (KS {g['ks']:.4f}, TV {g['tv']:.3f})")
  a.plot(xs, pdf.pdf(xs), "k-", lw=1.2, label="exact pdf")
  a.set_title(f"density, N = {n} samples each")
  a.legend(fontsize=8, loc="upper left")
  a.set_ylim(0, 0.45)
  for x, color, label in ((exact_x, "C0", "sampler"), (gan_x, "C2", "GAN")):
    sx = np.sort(x.ravel())
    b.plot(sx, np.arange(1, n + 1) / n - pdf.cdf(sx), color=color, lw=1,
           label=f"F_N - F, {label}")
  b.axhline(0, color="k", lw=0.5)
  b.set_xlim(a.get_xlim())
  b.set_title("empirical CDF minus exact CDF (KS = max |.|)")
  b.legend(fontsize=8)
  for ax in (a, b):
    ax.set_xlabel("x")
  fig.tight_layout()
  viz.save_figure(fig, path)


def main(argv=None):
  args = _common.parse_args(NAME, __doc__, argv)
  clock = _common.Clock()
  s = SMOKE if args.smoke else FULL
  config = gan_config(args.smoke)
  workdir = os.path.join(args.out, "runs", NAME)
  shutil.rmtree(workdir, ignore_errors=True)  # a figure is a fresh run, not a resume
  state = train.train(config, workdir, progress=False)
  run = train.Run(config)
  pdf = run.source.distribution
  z = sampling.latents(run.method, s["samples"], config.seed + 30_000)
  gan_x = sampling.generate(run.method, sampling.generator_variables(state), z)[:, 0]
  exact_x = run.source.reference(s["samples"], config.seed + 1)[:, 0]
  numbers = {"samples": s["samples"], "exact_sampler": scores(exact_x, pdf),
             "gan": scores(gan_x, pdf), "exact_mean": exact_mean(pdf),
             "protocol": {"experiment": SPEC + (",smoke" if args.smoke else ""),
                          "overrides": {**OVERRIDES, **({} if args.smoke else FULL_OVERRIDES)},
                          "steps": s["steps"],
                          "n_critic": config.train.n_critic, "batch": config.data.batch_size,
                          "width": config.model.width, "depth": config.model.depth,
                          "lambda": config.regularizers.gradient_penalty.weight,
                          "optim": f"{config.optim.d.name} {config.optim.d.lr} "
                                   f"{config.optim.d.schedule}",
                          "tv_bins": 60, "seed": config.seed, "smoke": args.smoke}}
  plot(exact_x, gan_x, pdf, numbers, os.path.join(args.out, f"{NAME}.png"))
  numbers["seconds"] = clock.seconds()
  path = _common.write_json(args.out, NAME, numbers)
  print(f"N = {s['samples']}: exact sampler KS {numbers['exact_sampler']['ks']:.4f} "
        f"TV {numbers['exact_sampler']['tv']:.4f}; GAN KS {numbers['gan']['ks']:.4f} "
        f"TV {numbers['gan']['tv']:.4f}")
  print(f"Wrote {path} in {clock.seconds()} s.")


if __name__ == "__main__":
  main()
