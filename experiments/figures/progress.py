"""Fashion-MNIST sample grids at a few steps of one DCGAN run, with the scores there.

The run is ``experiments/dcgan.py`` (Fashion-MNIST, non-saturating loss, Adam 2e-4,
beta1 0.5, batch 64, EMA off) for 3,000 steps. Every 250 steps it writes a grid of the
same 64 latents (so each cell follows one z through training), and every 1,000 steps it
is scored by the Evaluator with the Fashion-MNIST classifier (``make classifier``): FID
and KID on the classifier's features, IS, classes covered, 10,000 samples against the
test split. Without the classifier the grids are drawn and the scores are left out,
with the reason in the JSON.

Writes ``progress.png`` (up to six grids in a row, titled with step and FID) and
``progress.json``; the run stays in ``DIR/runs/progress``, and ``--run DIR`` draws an
existing run instead of training (e.g. the default ``launch.py`` run).

  python -m experiments.figures.progress --out DIR [--smoke] [--run WORKDIR]
"""
from __future__ import annotations

import glob
import os
import re
import shutil

import numpy as np

from experiments.figures import _common
from gan_jax import classifier as classifier_lib, train, viz, writers

NAME = "progress"
SPEC = "dcgan.py"
FULL = dict(steps=3000, sample_every=250, eval_every=1000)
SMOKE = dict(steps=30, sample_every=10, eval_every=30)
PANELS = 6
SCORES = ("fid", "kid", "is", "precision", "recall", "coverage", "classes_covered")


def parse_args(name: str, doc: str, argv=None):
  """The figures' command line plus --run (an existing run to draw) and --classifier."""
  def extra(p):
    p.add_argument("--run", default="", help="a trained workdir to draw instead of training")
    p.add_argument("--classifier", default=classifier_lib.default_path("fashion_mnist"),
                   help="the Fashion-MNIST classifier's dir (make classifier)")
  return _common.parse_args(name, doc, argv, extra)


def has_classifier(path: str) -> bool:
  return os.path.exists(os.path.join(path, "classifier.json"))


def run_config(smoke: bool, classifier: str):
  """The DCGAN config of these figures; scored with the classifier where it exists."""
  s = SMOKE if smoke else FULL
  have = has_classifier(classifier)
  return _common.experiment_config(SPEC + (":smoke" if smoke else ""), {
      "train.steps": s["steps"], "sample.every": s["sample_every"],
      "eval.every": s["eval_every"], "ckpt.every": s["steps"],
      "eval.classifier": classifier if have else "",
      "eval.metrics": ("classifier",) if have else ()})


def trained_run(args, name: str):
  """(workdir, config): the run of --run, or a fresh run trained into OUT/runs/<name>."""
  if args.run:
    return args.run, _common.saved_config(args.run)
  config = run_config(args.smoke, args.classifier)
  if not has_classifier(args.classifier):
    print(f"Warning: no classifier at {args.classifier}; the run is not scored "
          "(create it with `make classifier`).", flush=True)
  workdir = os.path.join(args.out, "runs", name)
  shutil.rmtree(workdir, ignore_errors=True)  # a figure is a fresh run, not a resume
  train.train(config, workdir, progress=not args.smoke)
  return workdir, config


def sample_steps(workdir: str) -> list[int]:
  steps = [int(re.search(r"step_(\d+)\.png$", p).group(1))
           for p in glob.glob(os.path.join(workdir, "samples", "step_*.png"))]
  if not steps:
    raise FileNotFoundError(f"No sample grids in {workdir}/samples; train the run first.")
  return sorted(steps)


def pick(steps: list[int], scored, k: int = PANELS) -> list[int]:
  """Up to k of the sample steps: the first, the last and the scored ones, then, while
  there is room, the step nearest the geometric middle of the widest gap (early
  training changes fastest)."""
  keep = sorted({steps[0], steps[-1], *(s for s in scored if s in steps)})
  if len(keep) > k:
    return [keep[i] for i in np.unique(np.round(np.linspace(0, len(keep) - 1, k)).astype(int))]
  while len(keep) < k:
    gaps = [(b / a, a, b) for a, b in zip(keep, keep[1:])
            if any(a < s < b for s in steps)]
    if not gaps:
      break
    _, a, b = max(gaps)
    inside = [s for s in steps if a < s < b]
    keep = sorted(keep + [min(inside, key=lambda s: abs(np.log(s) - np.log(a * b) / 2))])
  return keep


def scores_by_step(rows: list[dict]) -> dict[int, dict]:
  out = {}
  for row in rows:
    found = {k: row[f"eval/{k}"] for k in SCORES if f"eval/{k}" in row}
    if found:
      out[int(row["step"])] = found
  return out


def losses_at(rows: list[dict], step: int) -> dict:
  """D and G losses of the last log row at or before `step`."""
  logged = [r for r in rows if "d_loss" in r and r["step"] <= step]
  return {k: logged[-1][k] for k in ("d_loss", "g_loss")} if logged else {}


def plot(workdir: str, steps: list[int], scores: dict, path: str):
  import matplotlib.pyplot as plt
  from PIL import Image
  fig, axes = plt.subplots(1, len(steps), figsize=(3.2 * len(steps), 3.6), squeeze=False)
  for ax, step in zip(axes[0], steps):
    image = np.asarray(Image.open(os.path.join(workdir, "samples", f"step_{step}.png")))
    ax.imshow(image, cmap="gray" if image.ndim == 2 else None, interpolation="nearest")
    fid = scores.get(step, {}).get("fid")
    ax.set_title(f"step {step}" + (f"\nFID {fid:.1f}" if fid is not None else ""), fontsize=10)
    ax.axis("off")
  fig.suptitle("the same 64 latents through training", fontsize=11)
  fig.tight_layout(rect=(0, 0, 1, 0.94))
  viz.save_figure(fig, path)


def main(argv=None):
  args = parse_args(NAME, __doc__, argv)
  clock = _common.Clock()
  workdir, config = trained_run(args, NAME)
  rows = writers.read_metrics(workdir)
  scores = scores_by_step(rows)
  steps = pick(sample_steps(workdir), scores)
  plot(workdir, steps, scores, os.path.join(args.out, f"{NAME}.png"))
  numbers = {"steps": steps, "losses": {s: losses_at(rows, s) for s in steps},
             "scores": scores,
             "scores_skipped": None if scores else "the run logged no eval scores (no "
                                                   "classifier: make classifier)",
             "protocol": {"run": workdir, "experiment": SPEC, "data": config.data.name,
                          "steps": config.train.steps, "sample_every": config.sample.every,
                          "batch": config.data.batch_size, "seed": config.seed,
                          "eval_samples": config.eval.num_samples,
                          "reference_split": config.eval.reference_split,
                          "feature_net": "Fashion-MNIST classifier" if scores else None,
                          "ema": config.ema.decay > 0, "smoke": args.smoke}}
  numbers["seconds"] = clock.seconds()
  path = _common.write_json(args.out, NAME, numbers)
  for step, s in sorted(scores.items()):
    print(f"step {step}: " + ", ".join(f"{k} {v:.3f}" for k, v in s.items()))
  print(f"Wrote {path} in {clock.seconds()} s.")


if __name__ == "__main__":
  main()
