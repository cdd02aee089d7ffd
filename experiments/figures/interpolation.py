"""Latent interpolation on Fashion-MNIST (DCGAN paper, Fig. 4: walking the latent space).

The generator of the `progress` figure's run (``experiments/dcgan.py``, 3,000 steps)
decodes 8 pairs of random latents and 10 points between each pair, along the straight
line (odd rows) and along the great circle, slerp (White, 2016; even rows). A generator
that has learnt a smooth map changes its output gradually: the numbers are, per path,
the mean absolute pixel change between neighbouring frames and its largest step relative
to the mean (1 = uniform change, large = a jump), and, with the Fashion-MNIST classifier,
how often the predicted class changes along a path (a path between two garments of
different classes changes at least once).

Writes ``interpolation.png`` and ``interpolation.json``. ``--run WORKDIR`` draws an
existing run (e.g. ``DIR/runs/progress`` after the progress figure) instead of training.

  python -m experiments.figures.interpolation --out DIR [--smoke] [--run WORKDIR]
"""
from __future__ import annotations

import os

import numpy as np

from experiments.figures import _common, progress
from gan_jax import classifier as classifier_lib, train, viz

NAME = "interpolation"
PAIRS, STEPS = 8, 10


def path_numbers(x: np.ndarray, steps: int) -> dict:
  """Per path (rows of `steps` frames): mean |frame_{t+1} - frame_t| and max / mean."""
  paths = x.reshape(-1, steps, *x.shape[1:])
  change = np.abs(np.diff(paths, axis=1)).mean(axis=(2, 3, 4))  # [paths, steps - 1]
  mean = change.mean(axis=1)
  return {"mean_step": mean, "max_over_mean": change.max(axis=1) / np.maximum(mean, 1e-12)}


def class_changes(x: np.ndarray, steps: int, path: str) -> dict | None:
  """Predicted classes along each path and how often they change (None: no classifier)."""
  if not progress.has_classifier(path):
    return None
  model, variables, info = classifier_lib.load(path)
  labels = classifier_lib.predict(model, variables, x).argmax(-1).reshape(-1, steps)
  return {"classes": labels, "changes": (np.diff(labels, axis=1) != 0).sum(axis=1),
          "classifier_sha256": info["sha256"]}


def main(argv=None):
  args = progress.parse_args(NAME, __doc__, argv)
  clock = _common.Clock()
  workdir, config = progress.trained_run(args, NAME)
  x, step = train.interpolation_images(config, workdir, PAIRS, STEPS)
  viz.save_image(viz.image_grid(x, rows=2 * PAIRS), os.path.join(args.out, f"{NAME}.png"),
                 scale=2)
  smooth = path_numbers(x, STEPS)
  numbers = {"linear": {k: v[0::2] for k, v in smooth.items()},
             "slerp": {k: v[1::2] for k, v in smooth.items()},
             "classes": class_changes(x, STEPS, args.classifier),
             "protocol": {"run": workdir, "step": step, "pairs": PAIRS, "steps": STEPS,
                          "z_seed": config.seed + 40_000, "ema": config.ema.decay > 0,
                          "classifier": args.classifier, "smoke": args.smoke}}
  numbers["seconds"] = clock.seconds()
  path = _common.write_json(args.out, NAME, numbers)
  for kind in ("linear", "slerp"):
    s = numbers[kind]
    print(f"{kind}: mean step {np.mean(s['mean_step']):.4f}, largest step / mean "
          f"{np.mean(s['max_over_mean']):.2f} (path average)")
  if numbers["classes"] is not None:
    print(f"class changes per path: {numbers['classes']['changes'].tolist()}")
  print(f"Wrote {path} in {clock.seconds()} s.")


if __name__ == "__main__":
  main()
