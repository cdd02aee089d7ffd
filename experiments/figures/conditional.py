"""Class-conditional GANs on Fashion-MNIST side by side: cGAN (Mirza & Osindero, 2014),
the projection discriminator with conditional BatchNorm (Miyato & Koyama, 2018) and
AC-GAN (Odena et al., 2017).

Each method's default experiment (``experiments/cgan.py``, ``projection.py``,
``acgan.py``) is trained -- or, with ``--runs cgan=DIR,projection=DIR,acgan=DIR``, a
finished run is drawn -- and shown as a class x z grid (row c: class c; column j: the
same z in every row) of its generator at the last step (EMA weights when kept). The table gives the
scores of the 'classifier' and 'conditional' eval groups at the last step (10,000
samples, 1,000 per class, against the 10,000 test images, on the Fashion-MNIST
classifier's features; `eval.json` when the run has one, else the last eval row of
`metrics.jsonl`): class accuracy of the samples w.r.t. the requested labels, FID,
intra-FID, TSTR / TRTR accuracy, and the intra-class recall and classifier confidence
that expose AC-GAN's bias toward easy-to-classify, low-diversity samples.

Writes ``conditional.png``, ``conditional.md`` (the table) and ``conditional.json``.

  python -m experiments.figures.conditional --out DIR [--smoke] [--runs m=DIR,...]
"""
from __future__ import annotations

import json
import os
import shutil

import numpy as np

from experiments.figures import _common, progress
from gan_jax import config as config_lib, sampling, train, viz, writers

NAME = "conditional"
METHODS = ("cgan", "projection", "acgan")
TITLES = {"cgan": "cGAN (concat)", "projection": "projection D + cBN", "acgan": "AC-GAN"}
COLUMNS = (("class_accuracy", "class acc.", 3), ("fid", "FID", 1), ("intra_fid", "intra-FID", 1),
           ("tstr_acc", "TSTR", 3), ("trtr_acc", "TRTR", 3), ("intra_recall", "intra recall", 3),
           ("intra_precision", "intra precision", 3), ("class_confidence", "confidence", 3),
           ("classes_covered_per_class", "classes / label", 2))
FASHION = ("T-shirt", "trouser", "pullover", "dress", "coat", "sandal", "shirt", "sneaker",
           "bag", "boot")


def parse_args(argv=None):
  def extra(p):
    p.add_argument("--runs", default="", help="finished runs to draw instead of training: "
                   "cgan=DIR,projection=DIR,acgan=DIR (any subset; the rest are trained)")
    p.add_argument("--classifier", default=progress.classifier_lib.default_path("fashion_mnist"),
                   help="the Fashion-MNIST classifier's dir (make classifier)")
  args = _common.parse_args(NAME, __doc__, argv, extra)
  given = dict(item.split("=", 1) for item in filter(None, args.runs.split(",")))
  unknown = sorted(set(given) - set(METHODS))
  if unknown:
    raise SystemExit(f"--runs: unknown method(s) {unknown}; use {', '.join(METHODS)}.")
  args.runs = given
  return args


def trained_run(method: str, args) -> tuple[str, object]:
  """(workdir, config) of `method`: the --runs one, or its default trained into OUT/runs."""
  if method in args.runs:
    return args.runs[method], _common.saved_config(args.runs[method])
  if not progress.has_classifier(args.classifier):
    raise FileNotFoundError(f"No classifier at {args.classifier}: the table needs it "
                            "(make classifier, or pass --classifier DIR).")
  config = _common.experiment_config(f"{method}.py" + (":smoke" if args.smoke else ""),
                                     {"eval.classifier": args.classifier})
  if args.smoke:  # one evaluation, at the end, of 20 samples per class
    config = config_lib.apply_overrides(config, {"eval.every": config.train.steps,
                                                 "eval.num_samples": 200})
  workdir = os.path.join(args.out, "runs", method)
  shutil.rmtree(workdir, ignore_errors=True)  # a figure is a fresh run, not a resume
  train.train(config, workdir, progress=not args.smoke)
  return workdir, config


def final_scores(workdir: str) -> tuple[dict, str]:
  """(scores, where from): eval.json's, else the last eval row of metrics.jsonl."""
  path = os.path.join(workdir, "eval.json")
  if os.path.exists(path):
    with open(path) as f:
      return json.load(f)["scores"], "eval.json"
  rows = [r for r in writers.read_metrics(workdir) if any(k.startswith("eval/") for k in r)]
  if not rows:
    raise FileNotFoundError(f"{workdir} has no eval scores (eval.json or eval/ rows in "
                            "metrics.jsonl); run --mode eval on it.")
  return {k[5:]: v for k, v in rows[-1].items() if k.startswith("eval/")}, \
      f"metrics.jsonl step {rows[-1]['step']}"


def class_grid(workdir: str, config, columns: int = 10) -> tuple[np.ndarray, int, int]:
  """(grid pixels, rows, step): the class x z grid of the run's last checkpoint."""
  run = train.Run(config)
  state, _, step = run.restore(workdir)
  k = run.method.num_classes
  rec = sampling.record(run.method, sampling.generator_variables(state),
                        run.conditions(k * columns, config.seed + 20_000))
  images, rows = run.method.grid(rec)
  return viz.image_grid(images, rows=rows), rows, step


def table(results: dict) -> str:
  lines = ["| method | step | " + " | ".join(c[1] for c in COLUMNS) + " |",
           "| --- | --- |" + " --- |" * len(COLUMNS)]
  for method, r in results.items():
    cells = [f"{r['scores'][key]:.{digits}f}" if key in r["scores"] else "-"
             for key, _, digits in COLUMNS]
    lines.append(f"| {TITLES[method]} | {r['step']} | " + " | ".join(cells) + " |")
  return "\n".join(lines)


def plot(grids: dict, results: dict, path: str):
  import matplotlib.pyplot as plt
  fig, axes = plt.subplots(1, len(grids), figsize=(4.2 * len(grids), 4.6), squeeze=False)
  for ax, (method, (pixels, rows)) in zip(axes[0], grids.items()):
    ax.imshow(pixels[..., 0] if pixels.shape[-1] == 1 else pixels, cmap="gray",
              interpolation="nearest")
    s = results[method]["scores"]
    ax.set_title(f"{TITLES[method]}\nacc {s.get('class_accuracy', np.nan):.2f}, "
                 f"FID {s.get('fid', np.nan):.1f}, intra-FID {s.get('intra_fid', np.nan):.1f}",
                 fontsize=10)
    cell = (pixels.shape[0] - 2) / rows
    ax.set_yticks([2 + cell * (r + 0.5) for r in range(rows)])
    ax.set_yticklabels(FASHION[:rows] if rows == len(FASHION) else range(rows), fontsize=7)
    ax.set_xticks([])
  fig.suptitle("class x z: row = requested class, column = the same z", fontsize=11)
  fig.tight_layout(rect=(0, 0, 1, 0.95))
  viz.save_figure(fig, path)


def main(argv=None):
  args = parse_args(argv)
  clock = _common.Clock()
  grids, results = {}, {}
  for method in METHODS:
    workdir, config = trained_run(method, args)
    pixels, rows, step = class_grid(workdir, config)
    scores, source = final_scores(workdir)
    grids[method] = (pixels, rows)
    results[method] = {"run": workdir, "step": step, "scores": scores, "scores_from": source,
                       "experiment": f"experiments/{method}.py", "steps": config.train.steps,
                       "n_critic": config.train.n_critic, "loss": config.loss.name}
  plot(grids, results, os.path.join(args.out, f"{NAME}.png"))
  md = table(results)
  with open(os.path.join(args.out, f"{NAME}.md"), "w") as f:
    f.write(md + "\n")
  numbers = {"results": results, "table": md,
             "protocol": {"eval": "10,000 samples (1,000 per class) vs the 10,000 test images, "
                                  "Fashion-MNIST classifier features; TSTR/TRTR: "
                                  "metrics.conditional.TSTR", "smoke": args.smoke}}
  numbers["seconds"] = clock.seconds()
  path = _common.write_json(args.out, NAME, numbers)
  print(md)
  print(f"Wrote {path} in {clock.seconds()} s.")


if __name__ == "__main__":
  main()
