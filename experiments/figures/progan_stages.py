"""Samples of progressive growing, stage by stage (Karras et al., 2018, Fig. 1 / Sec. 3):
the same 64 latents at the end of each resolution's stabilisation and halfway through
each fade-in, from one run of ``experiments/progan.py``.

G's output is upsampled to the data's size at every stage (nearest neighbour), so every
panel has one size: a 4x4 stage shows 8x8-pixel blocks on a 32-px grid. The stage and
alpha of each grid are those of the state that drew it (the schedule of the run's
config after that many steps; the grids' own titles say the same).

Writes ``progan_stages.png`` and ``progan_stages.json`` (the panels' steps, stages,
alphas and the run's losses there); ``--run DIR`` draws an existing run (e.g. the
default ``launch.py --config experiments/progan.py`` run), otherwise it trains the
experiment into ``DIR/runs/progan_stages`` (``--smoke``: 16 steps at 8 px).

  python -m experiments.figures.progan_stages --out DIR [--smoke] [--run WORKDIR]
"""
from __future__ import annotations

import os
import shutil

import numpy as np

from experiments.figures import _common, progress
from gan_jax import train, viz, writers
from gan_jax.methods import progan
from gan_jax.networks import progan as nets

NAME = "progan_stages"
SPEC = "progan.py"
TITLE_ROWS = 14  # the strip of text loop.py writes above a growing GAN's grid


def schedule(config, step: int) -> tuple[int, float]:
  """(stage, alpha) of the state after `step` steps (its last step's)."""
  stages = nets.num_stages(int(config.data.image_size))
  h, alpha = progan.phase(max(step - 1, 0), int(config.data.batch_size),
                          int(config.growth.stable_images), int(config.growth.fade_images),
                          stages)
  return (int(h) + 1) // 2, float(alpha)


def panels(config, steps: list[int]) -> list[dict]:
  """For each stage: the grid nearest alpha 0.5 of its fade-in (stages > 0) and its last
  grid (the end of its stabilisation, or of the run), in order of step."""
  at = {s: schedule(config, s) for s in steps}
  out = []
  for stage in sorted({a[0] for a in at.values()}):
    mine = [s for s in steps if at[s][0] == stage]
    fading = [s for s in mine if at[s][1] < 1.0]
    if fading:
      mid = min(fading, key=lambda s: abs(at[s][1] - 0.5))
      out.append({"step": mid, "stage": stage, "alpha": at[mid][1]})
    out.append({"step": mine[-1], "stage": stage, "alpha": at[mine[-1]][1]})
  return out


def plot(workdir: str, chosen: list[dict], path: str):
  import matplotlib.pyplot as plt
  from PIL import Image
  fig, axes = plt.subplots(1, len(chosen), figsize=(2.6 * len(chosen), 3.1), squeeze=False)
  for ax, p in zip(axes[0], chosen):
    image = np.asarray(Image.open(os.path.join(workdir, "samples", f"step_{p['step']}.png")))
    if image.shape[0] == image.shape[1] + TITLE_ROWS:
      image = image[TITLE_ROWS:]
    ax.imshow(image, cmap="gray" if image.ndim == 2 else None, interpolation="nearest")
    r = nets.resolution(p["stage"])
    what = f"fade-in, alpha {p['alpha']:.2f}" if p["alpha"] < 1 else "stable"
    ax.set_title(f"{r}x{r} {what}\nstep {p['step']}", fontsize=9)
    ax.axis("off")
  fig.suptitle("progressive growing: the same 64 latents at each stage", fontsize=10)
  fig.tight_layout(rect=(0, 0, 1, 0.93))
  viz.save_figure(fig, path)


def main(argv=None):
  args = _common.parse_args(NAME, __doc__, argv, lambda p: p.add_argument(
      "--run", default="", help="a trained workdir to draw instead of training"))
  clock = _common.Clock()
  if args.run:
    workdir, config = args.run, _common.saved_config(args.run)
  else:
    config = _common.experiment_config(SPEC + (":smoke" if args.smoke else ""),
                                       {"eval.metrics": ()} if args.smoke else {})
    workdir = os.path.join(args.out, "runs", NAME)
    shutil.rmtree(workdir, ignore_errors=True)
    train.train(config, workdir, progress=not args.smoke)
  chosen = panels(config, progress.sample_steps(workdir))
  plot(workdir, chosen, os.path.join(args.out, f"{NAME}.png"))
  rows = writers.read_metrics(workdir)
  numbers = {"panels": [{**p, **progress.losses_at(rows, p["step"])} for p in chosen],
             "protocol": {"run": workdir, "experiment": SPEC, "data": config.data.name,
                          "image_size": config.data.image_size,
                          "steps": config.train.steps, "batch": config.data.batch_size,
                          "stable_images": config.growth.stable_images,
                          "fade_images": config.growth.fade_images,
                          "sample_every": config.sample.every, "seed": config.seed,
                          "weights": "ema" if config.ema.decay > 0 else "raw",
                          "smoke": args.smoke}}
  numbers["seconds"] = clock.seconds()
  path = _common.write_json(args.out, NAME, numbers)
  print(f"Wrote {path} and {NAME}.png ({len(chosen)} panels) in {clock.seconds()} s.")


if __name__ == "__main__":
  main()
