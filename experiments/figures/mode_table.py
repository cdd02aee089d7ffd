"""Modes recovered by every loss on 8 and 25 Gaussians: the table of VEEGAN (Srivastava
et al., 2017, Table 1) and PacGAN (Lin et al., 2018, Table 1), for this framework's losses.

Every loss pair x {ring8, grid25} x 3 seeds. The settings are the framework's experiment
files (`gan_jax.experiment.load_config` + `gan_jax.config.apply_overrides`):

- minimax, non-saturating, least squares, hinge: ``experiments/gan.py:loss=<name>``
  (z ~ N(0, I_2), Adam 1e-4, betas (0.5, 0.999), batch 256);
- WGAN with weight clipping: ``experiments/wgan.py:penalty=clip`` (c 0.01, RMSProp 5e-5,
  n_critic 5);
- WGAN-GP: ``experiments/wgan.py:penalty=gp`` (the toy defaults: lambda 0.1, Adam 1e-3
  decayed linearly to 0 over the run, n_critic 5).

Overridden, to fit the whole table in ~15 minutes on 2 CPU cores: the networks are
3x128 ReLU MLPs for every loss (the files have 512, or 256 for WGAN-GP) and every run
makes 2,000 steps (one step = n_critic D updates + one G update); plus the logging /
checkpoint intervals. ``--smoke`` runs two rows (non-saturating and WGAN-GP, one per
experiment file) for 10 steps with the experiments' smoke networks.

The 3 seeds of a (loss, data) pair train as one population (`train.train_population`:
one `jax.vmap`-ed step over the stacked states). After the last step the framework's
Evaluator scores 2,500 samples of G with `gan_jax.metrics.toy.mode_metrics` (each sample
goes to its nearest mode; high quality if within 3 std of it; a mode is recovered
when it has >= 1 high-quality sample; reverse KL of the nearest-mode histogram against
the uniform mode weights).

Writes ``mode_table.md`` (mean +- std over seeds, next to the published plain-GAN
numbers), ``mode_table.json`` (every seed's scores) and ``mode_table.png``.

  python -m experiments.figures.mode_table --out DIR [--smoke]
"""
from __future__ import annotations

import os
import shutil

import numpy as np

from experiments.figures import _common
from gan_jax import sweep, train, viz

NAME = "mode_table"
LOSSES = {"minimax": "gan.py:loss=minimax", "non-saturating": "gan.py:loss=nonsaturating",
          "least squares": "gan.py:loss=least_squares", "WGAN clip": "wgan.py:penalty=clip",
          "WGAN-GP": "wgan.py:penalty=gp", "hinge": "gan.py:loss=hinge"}
DATASETS = {"ring8": 8, "grid25": 25}
SEEDS = (0, 1, 2)
FULL = dict(steps=2000, losses=tuple(LOSSES), overrides={"model.width": 128})
SMOKE = dict(steps=10, losses=("non-saturating", "WGAN-GP"), overrides={})
SCORES = ("modes", "high_quality", "reverse_kl")
# PacGAN (Lin et al., 2018) Table 1, the plain GAN, 2,500 samples, VEEGAN's protocol.
PUBLISHED = {"ring8": {"modes": 6.3, "high_quality": 0.982},
             "grid25": {"modes": 17.3, "high_quality": 0.948}}


def config_for(spec: str, data_name: str, seed: int, smoke: bool):
  s = SMOKE if smoke else FULL
  steps, every = s["steps"], max(1, s["steps"] // 10)
  return _common.experiment_config(f"{spec},data={data_name}" + (",smoke" if smoke else ""), {
      **s["overrides"], "seed": seed, "train.steps": steps, "log.every": every,
      "sample.every": steps, "eval.every": steps, "ckpt.every": steps})


def train_group(spec: str, data_name: str, smoke: bool, root: str) -> list[dict]:
  """Trains the seeds of one (loss, data) pair as one vmapped population; returns each
  seed's final `eval/*` scores."""
  configs = [config_for(spec, data_name, seed, smoke) for seed in SEEDS]
  groups, reason = sweep.plan(configs)
  if len(groups) != 1:
    raise RuntimeError(f"The seeds of {spec} did not form one vmapped group: {reason}.")
  workdirs = [os.path.join(root, f"seed{seed}") for seed in SEEDS]
  shutil.rmtree(root, ignore_errors=True)  # a figure is a fresh run, not a resume
  train.train_population(configs, workdirs, progress=False)
  out = []
  for w in workdirs:
    final = sweep.final_metrics(w)
    missing = [k for k in SCORES if f"eval/{k}" not in final]
    if missing:
      raise RuntimeError(f"{w}/metrics.jsonl has no final eval/{missing[0]}; the run did "
                         "not evaluate at its last step.")
    out.append({k: float(final[f"eval/{k}"]) for k in SCORES})
  return out


def summary(per_seed: list[dict]) -> dict:
  return {k: {"mean": float(np.mean([r[k] for r in per_seed])),
              "std": float(np.std([r[k] for r in per_seed]))} for k in SCORES}


def markdown(results: dict, smoke: bool, seconds: float) -> str:
  c = config_for(LOSSES["minimax"], "ring8", 0, smoke)
  steps, width = c.train.steps, c.model.width
  head = ("| loss | ring8 modes (of 8) | ring8 high quality % | ring8 reverse KL "
          "| grid25 modes (of 25) | grid25 high quality % | grid25 reverse KL |")
  lines = ["# Modes recovered per loss on 8 and 25 Gaussians", "",
           "Made by `python -m experiments.figures.mode_table --out DIR` (DIR/mode_table.md; "
           "the figure is DIR/mode_table.png). Compare PacGAN (Lin et al., 2018) Table 1 and "
           "VEEGAN (Srivastava et al., 2017) Table 1.", "", head, "|" + " --- |" * 7]
  for loss, by_data in results.items():
    cells = []
    for data_name in DATASETS:
      m = by_data[data_name]["summary"]
      cells += [_common.fmt(m["modes"]["mean"], m["modes"]["std"]),
                _common.fmt(100 * m["high_quality"]["mean"], 100 * m["high_quality"]["std"]),
                _common.fmt(m["reverse_kl"]["mean"], m["reverse_kl"]["std"], 2)]
    lines.append(f"| {loss} | " + " | ".join(cells) + " |")
  p = PUBLISHED
  lines.append(f"| GAN, published (PacGAN Table 1) | {p['ring8']['modes']} | "
               f"{100 * p['ring8']['high_quality']:.1f} | - | {p['grid25']['modes']} | "
               f"{100 * p['grid25']['high_quality']:.1f} | - |")
  protocol = [
      "", f"Mean +- std over {len(SEEDS)} seeds ({', '.join(map(str, SEEDS))})"
      + (" - SMOKE RUN, numbers are meaningless" if smoke else "") + ".", "",
      "Protocol:", "",
      f"- {steps:,} steps per run (one step = n_critic D updates + 1 G update), batch "
      f"{c.data.batch_size}, G and D 3x{width} ReLU MLPs for every loss (overridden to fit "
      "the time budget), z ~ N(0, I_2).",
      "- The rest is the experiment files' settings: minimax / non-saturating / least "
      "squares / hinge `experiments/gan.py:loss=<name>` (Adam 1e-4, betas (0.5, 0.999), "
      "n_critic 1); WGAN clip `experiments/wgan.py:penalty=clip` (c 0.01, RMSProp 5e-5, "
      "n_critic 5); WGAN-GP `experiments/wgan.py:penalty=gp` (lambda 0.1, Adam 1e-3, "
      "betas (0.5, 0.9), decayed linearly to 0 over the run, n_critic 5).",
      "- The 3 seeds of each row and data set train as one `jax.vmap`-ed population "
      "(`gan_jax.train.train_population`).",
      f"- Scores: the framework's Evaluator after the last step, {c.eval.num_samples:,} "
      "samples of G, "
      "`gan_jax.metrics.toy.mode_metrics`: each sample is assigned to its nearest mode, "
      "it is high quality if within 3 std of it (std 0.02 on ring8, radius 2; std 0.05 on "
      "grid25, spacing 2), a mode is recovered if >= 1 high-quality sample is assigned to "
      "it, reverse KL = KL(q || uniform) of the nearest-mode histogram q (nats).",
      "- Reading: one high-quality sample recovers a mode, so a G spread thinly over the "
      "plane (a high-quality fraction of a few %) recovers many modes; read the mode count "
      "together with the high-quality fraction.",
      "- Published row: PacGAN (Lin et al., 2018) Table 1, the plain GAN, scored with the "
      "same sample count and mode rule (VEEGAN's, Srivastava et al., 2017) but trained with "
      "the authors' own networks, optimiser and training length, so it is a reference "
      "point, not a like-for-like comparison.",
      f"- Wall time of the whole table on 2 CPU cores: {seconds / 60:.1f} min."]
  return "\n".join(lines + protocol) + "\n"


def plot(results: dict, path: str):
  """Per loss, each seed's modes recovered (top) and high-quality % (bottom), with the
  mean +- std and the published plain GAN as a dashed line."""
  import matplotlib.pyplot as plt
  fig, axes = plt.subplots(2, 2, figsize=(11, 6.5), sharex=True)
  names = list(results)
  for col, (data_name, k) in enumerate(DATASETS.items()):
    for row, (score, scale, top) in enumerate((("modes", 1, k), ("high_quality", 100, 100))):
      ax = axes[row, col]
      for i, loss in enumerate(names):
        values = [scale * r[score] for r in results[loss][data_name]["per_seed"]]
        ax.scatter([i] * len(values), values, color=f"C{i}", alpha=0.7)
        ax.errorbar([i + 0.15], [np.mean(values)], [np.std(values)], fmt="k_", capsize=3)
      ax.axhline(scale * PUBLISHED[data_name][score], color="gray", ls="--", lw=1,
                 label="GAN, PacGAN Table 1")
      ax.set_ylim(-0.03 * top, 1.03 * top)
      ax.set_title(f"{data_name}: " + (f"modes recovered (of {k})" if score == "modes"
                                       else "high-quality samples %"), fontsize=10)
      ax.legend(fontsize=7, loc="center left")
      ax.set_xticks(range(len(names)), names, rotation=25, fontsize=8)
  fig.tight_layout()
  viz.save_figure(fig, path)


def main(argv=None):
  args = _common.parse_args(NAME, __doc__, argv)
  clock = _common.Clock()
  budget = SMOKE if args.smoke else FULL
  results = {}
  for loss in budget["losses"]:
    spec = LOSSES[loss]
    results[loss] = {}
    for data_name in DATASETS:
      t = _common.Clock()
      root = os.path.join(args.out, "runs", NAME, f"{loss.replace(' ', '_')}_{data_name}")
      per_seed = train_group(spec, data_name, args.smoke, root)
      results[loss][data_name] = {"per_seed": per_seed, "summary": summary(per_seed),
                                  "seconds": t.seconds()}
      s = results[loss][data_name]["summary"]
      print(f"{loss} {data_name}: modes {s['modes']['mean']:.1f} +- {s['modes']['std']:.1f}, "
            f"hq {s['high_quality']['mean']:.3f}, rkl {s['reverse_kl']['mean']:.3f} "
            f"({t.seconds()} s)", flush=True)
  seconds = clock.seconds()
  with open(os.path.join(args.out, f"{NAME}.md"), "w") as f:
    f.write(markdown(results, args.smoke, seconds))
  plot(results, os.path.join(args.out, f"{NAME}.png"))
  path = _common.write_json(args.out, NAME, {
      "results": results, "published_gan": PUBLISHED, "steps": budget["steps"],
      "overrides": budget["overrides"], "seeds": SEEDS,
      "eval_samples": config_for(LOSSES["minimax"], "ring8", 0, args.smoke).eval.num_samples,
      "smoke": args.smoke, "seconds": clock.seconds()})
  print(f"Wrote {path} and {os.path.join(args.out, NAME + '.md')} in {clock.seconds()} s.")


if __name__ == "__main__":
  main()
