"""The fork test of video prediction (issue 20; Mathieu et al., 2016, on why MSE blurs):
the MSE predictor and the GAN predictor of ``experiments/video.py`` (motion=fork, the
same G) on held-out sequences at a fork, scored and drawn.

Three runs: MSE, the GAN, and the GAN with the mode-seeking term (``diversity=0.1``, Mao
et al., 2019), which makes it use z. Rows (test-split sequences): past | MSE prediction
| GAN predictions for 2 z | GAN + mode seeking for 3 z | the truth of both branches
(left, right). The table holds the `video` eval group of each
run, computed by `train.evaluate` (what ``launch.py --mode eval`` runs; it writes each
run's eval.json): the fork test (the share of single-branch predictions, left / right),
PSNR / SSIM per frame and sharpness (gan_jax/metrics/video.py).

Writes ``video_fork.png``, ``video_fork.md`` and ``video_fork.json``.

  python -m experiments.figures.video_fork --out DIR [--runs RUNS] [--smoke]

``--runs RUNS`` reads runs trained as ``launch.py --config experiments/video.py:loss=mse
--workdir RUNS/video_mse`` (and ``loss=gan``, ``RUNS/video_gan``; ``loss=gan,diversity=0.1``,
``RUNS/video_gan_ms``) instead of training them here.
"""
from __future__ import annotations

import os

import numpy as np

from experiments.figures import _common, _translation
from gan_jax import sampling, train

NAME = "video_fork"
RUNS = (("MSE", "video_mse", "loss=mse"), ("GAN", "video_gan", "loss=gan"),
        ("GAN + MS", "video_gan_ms", "loss=gan,diversity=0.1"))
ROWS = 6        # sequences drawn
NUM_Z = {"MSE": 1, "GAN": 2, "GAN + MS": 3}  # predictions (z) per sequence drawn
COLUMNS = (("single-branch", "fork_single_branch"), ("left", "fork_left"),
           ("right", "fork_right"), ("ghost", "fork_ghost"), ("residual", "fork_residual"),
           ("near / far", "fork_distance_ratio"),
           ("sharpness (last frame)", "fork_sharpness"), ("sharpness", "sharpness"),
           ("PSNR", "psnr"), ("PSNR f1", "psnr_f1"), ("PSNR f4", "psnr_f4"),
           ("SSIM", "ssim"))


def parse_args(argv=None):
  def extra(p):
    p.add_argument("--runs", default="", help="a folder with trained runs video_mse/, "
                                              "video_gan/")
  return _common.parse_args(NAME, __doc__, argv, extra)


def predictions(workdir: str, n: int, seed: int, num_z: int) -> tuple[dict, list, int]:
  """(record of n held-out sequences with one z, [num_z predictions x [n, F, H, W, C]]
  with other z, step)."""
  config = _common.saved_config(workdir)
  run = train.Run(config)
  state, _, step = run.restore(workdir)
  g_vars = run.generator_variables(state)
  conditions = run.conditions(n, seed)
  record = sampling.record(run.method, g_vars, conditions)
  rng = np.random.default_rng([seed, 1])
  xs = [sampling.record(run.method, g_vars, {**conditions, "z": rng.standard_normal(
      conditions["z"].shape).astype(np.float32)})["x"] for _ in range(num_z)]
  return record, xs, step


def figure(records: dict, predicted: dict, out: str) -> str:
  """`records` {run: record} (the same sequences), `predicted` {run: [x for each z]}."""
  import matplotlib.pyplot as plt
  first = next(iter(records.values()))
  left_first = lambda i: ((first["future"][i], first["alternative"][i])
                          if first["branch"][i] == 0 else
                          (first["alternative"][i], first["future"][i]))
  columns = [("past", lambda i: first["past"][i])]
  for label, xs in predicted.items():
    columns += [(label if len(xs) == 1 else f"{label}, z{k + 1}", lambda i, x=x: x[i])
                for k, x in enumerate(xs)]
  columns += [("truth, left", lambda i: left_first(i)[0]),
              ("truth, right", lambda i: left_first(i)[1])]
  n = min(ROWS, len(first["x"]))
  fig, axes = plt.subplots(n, len(columns), figsize=(1.9 * len(columns), 0.62 * n + 0.4),
                           squeeze=False)
  for r in range(n):
    for c, (title, frames) in enumerate(columns):
      f = np.asarray(frames(r))[..., 0]
      strip = np.concatenate([np.pad(x, ((1, 1), (1, 1)), constant_values=0) for x in f], 1)
      axes[r, c].imshow((strip + 1) / 2, cmap="gray", vmin=0, vmax=1)
      axes[r, c].set_xticks([])
      axes[r, c].set_yticks([])
      if r == 0:
        axes[r, c].set_title(title, fontsize=8)
  fig.tight_layout(pad=0.3)
  path = os.path.join(out, f"{NAME}.png")
  fig.savefig(path, dpi=110)
  plt.close(fig)
  return path


def markdown(scores: dict, steps: dict, n: int) -> str:
  head = ["run"] + [c for c, _ in COLUMNS]
  lines = [f"Fork test on {n} held-out sequences (test-split items, one z each; runs at "
           f"steps {steps}); `launch.py --mode eval`'s `video` group. single-branch: the "
           "last predicted frame holds one branch's item at 0.7 to 1.3 of its strength and "
           "the other's at <= 0.2 of that (least-squares coefficients a, b of the two items, "
           "each within 2 px of its place), leaves <= 0.5 of an item's energy unexplained "
           "(residual) and is as sharp as the truth (gradient energy 0.7 to 2 x); left / "
           "right: the shares of all predictions that are single-branch on that side; "
           "ghost: mean min(a, b) / max(a, b); near / far: mean ratio of the MSEs to the "
           "two branches.", "",
           "| " + " | ".join(head) + " |", "| " + " | ".join("---" for _ in head) + " |"]
  for run, s in scores.items():
    cells = [f"{s[k]:.3f}" if not k.startswith("psnr") else f"{s[k]:.2f}" for _, k in COLUMNS]
    lines.append("| " + " | ".join([run] + cells) + " |")
  return "\n".join(lines) + "\n"


def main(argv=None):
  args = parse_args(argv)
  clock = _common.Clock()
  scores, steps, records, protocols, predicted = {}, {}, {}, {}, {}
  for label, name, run_args in RUNS:
    spec = "video.py:" + ",".join(filter(None, ["smoke" if args.smoke else "", run_args]))
    workdir = _translation.train_or_reuse(spec, {}, args.runs, name, args.out)
    result = train.evaluate(_common.saved_config(workdir), workdir)  # launch.py --mode eval
    scores[label], protocols[label] = result["scores"], result["protocol"]
    records[label], xs, steps[name] = predictions(workdir, ROWS, 0, NUM_Z[label] - 1)
    predicted[label] = [records[label]["x"]] + xs
  n = protocols["GAN"]["video"]["num_sequences"]
  text = markdown(scores, steps, n)
  _translation.write_table(args.out, NAME, text)
  numbers = {"scores": scores, "steps": steps, "protocol": protocols,
             "figure": os.path.basename(figure(records, predicted, args.out)),
             "seconds": clock.seconds()}
  path = _common.write_json(args.out, NAME, numbers)
  print(f"Wrote {path} ({numbers['seconds']} s).", flush=True)
  return numbers


if __name__ == "__main__":
  main()
