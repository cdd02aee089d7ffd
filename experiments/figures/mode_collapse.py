"""Mode collapse over training: snapshots of G's samples on 8 Gaussians (ring8).

The row-of-snapshots figure of the unrolled-GAN paper (Metz et al., 2017, Fig. 1): one
row per method, G's samples at increasing steps, each panel titled with its step and
the number of modes covered (the VEEGAN rule of `gan_jax.metrics.toy`: a mode is covered
when at least one sample lies within 3 std of it and nearest to it). Methods:

- the non-saturating GAN (``experiments/gan.py:loss=nonsaturating,data=ring8``: Adam 1e-4,
  beta1 0.5, 3x512 ReLU MLPs, batch 256, z ~ N(0, I_2));
- WGAN-GP (``experiments/wgan.py:penalty=gp,data=ring8``: the framework's toy settings,
  lambda 0.1, Adam 1e-3 decayed linearly to 0, n_critic 5, 3x256 MLPs).

Each method is one run of `gan_jax.train.train` that keeps a checkpoint at every
snapshot step; the panels are G's samples from those checkpoints, from the same fixed z
in every panel, so a panel-to-panel change is G's change. The framework's Evaluator
also counts the modes every `eval_every` steps during the run (`eval_modes` in the JSON),
which shows hopping between the snapshots.

Writes ``mode_collapse.png`` and ``mode_collapse.json`` (modes, high-quality fraction and
the modes' sample shares per snapshot; `dropped`: modes covered at one snapshot and lost
at the next, `hops` = any were; `eval_decreases`: how often the mode count fell between
two of the framework's evaluations).

  python -m experiments.figures.mode_collapse --out DIR [--smoke]
"""
from __future__ import annotations

import os
import shutil

import numpy as np

from experiments.figures import _common
from gan_jax import checkpoint, sampling, train, viz, writers
from gan_jax.metrics import toy as toy_metrics

NAME = "mode_collapse"
METHODS = {"non-saturating GAN": "gan.py:loss=nonsaturating,data=ring8",
           "WGAN-GP": "wgan.py:penalty=gp,data=ring8"}
FULL = dict(snapshots=(0, 800, 1600, 2400, 3200, 4000), samples=2500, eval_every=200)
SMOKE = dict(snapshots=(0, 10, 20), samples=500, eval_every=5)


def config_for(spec: str, s: dict, smoke: bool):
  """The experiment's config, run to the last snapshot, with a checkpoint kept at every
  snapshot and the framework's toy scores every `eval_every` steps."""
  every = s["snapshots"][1]
  if any(step % every for step in s["snapshots"]):
    raise ValueError(f"Snapshots {s['snapshots']} must be multiples of the first nonzero "
                     f"one ({every}): they are the run's checkpoints.")
  steps = s["snapshots"][-1]
  return _common.experiment_config(spec + (",smoke" if smoke else ""), {
      "train.steps": steps, "log.every": s["eval_every"], "sample.every": steps,
      "eval.every": s["eval_every"], "eval.num_samples": s["samples"], "ckpt.every": every,
      "ckpt.keep": len(s["snapshots"])})


def modes_of(x: np.ndarray, distribution) -> dict:
  """The framework's mode metrics, plus which modes are covered and, per mode, the
  fraction of all samples that are high quality there (these add up to high_quality)."""
  m = toy_metrics.mode_metrics(x, distribution.means, distribution.std)
  d2 = ((x[:, None, :] - distribution.means[None]) ** 2).sum(-1)
  nearest, good = d2.argmin(1), np.sqrt(d2.min(1)) <= 3 * distribution.std
  shares = np.bincount(nearest[good], minlength=len(distribution.means)) / len(x)
  return {**m, "covered": [int(i) for i in np.flatnonzero(shares > 0)], "shares": shares}


def snapshots(spec: str, s: dict, workdir: str, smoke: bool):
  """([(step, samples [n, 2], mode numbers)], eval trajectory [(step, modes)], real
  points) of one run, read back from its checkpoints at the snapshot steps."""
  config = config_for(spec, s, smoke)
  run = train.Run(config)
  z = sampling.latents(run.method, s["samples"], config.seed + 30_000)
  shutil.rmtree(workdir, ignore_errors=True)  # a figure is a fresh run, not a resume
  train.train(config, workdir, progress=False)
  fresh = run.init_state()
  ckpt = checkpoint.Checkpointer(workdir, read_only=True)
  out = []
  for step in s["snapshots"]:
    state = fresh if step == 0 else ckpt.restore_at(step, fresh)[0]
    x = sampling.generate(run.method, sampling.generator_variables(state), z)
    out.append((step, x, modes_of(x, run.source.distribution)))
  ckpt.close()
  trajectory = [(int(r["step"]), int(r["eval/modes"])) for r in writers.read_metrics(workdir)
                if "eval/modes" in r]
  return out, trajectory, run.source.reference(1000, config.seed)


def dropped(steps: list[int], covered: list[list[int]]) -> list[dict]:
  """Modes covered at one snapshot and lost at the next: G leaving a mode, the mark of
  mode hopping (a G that only spreads to more modes drops none)."""
  out = []
  for (s0, c0), (s1, c1) in zip(zip(steps, covered), zip(steps[1:], covered[1:])):
    lost = sorted(set(c0) - set(c1))
    if lost:
      out.append({"from": s0, "to": s1, "lost": lost})
  return out


def draw_row(axes, snaps, real, label: str) -> None:
  for col, (step, x, m) in enumerate(snaps):
    ax = axes[col]
    ax.scatter(real[:, 0], real[:, 1], s=4, c="orange", alpha=0.5)
    ax.scatter(np.clip(x[:, 0], -3, 3), np.clip(x[:, 1], -3, 3), s=1, c="C2", alpha=0.4)
    ax.set_xlim(-3, 3)
    ax.set_ylim(-3, 3)
    ax.set_aspect("equal")
    ax.set_xticks([])
    ax.set_yticks([])
    ax.set_title(f"step {step}: {m['modes']}/8 modes", fontsize=9)
  axes[0].set_ylabel(label, fontsize=10)


def summary(spec: str, snaps, trajectory) -> dict:
  steps = [st for st, _, _ in snaps]
  covered = [m["covered"] for _, _, m in snaps]
  drops = dropped(steps, covered)
  evals = [m for _, m in trajectory]
  return {"spec": spec, "steps": steps, "modes": [m["modes"] for _, _, m in snaps],
          "high_quality": [m["high_quality"] for _, _, m in snaps],
          "reverse_kl": [m["reverse_kl"] for _, _, m in snaps],
          "covered": covered, "shares": [m["shares"] for _, _, m in snaps],
          "dropped": drops, "hops": bool(drops),
          "eval_steps": [st for st, _ in trajectory], "eval_modes": evals,
          "eval_decreases": sum(b < a for a, b in zip(evals, evals[1:]))}


def main(argv=None):
  args = _common.parse_args(NAME, __doc__, argv)
  clock = _common.Clock()
  s = SMOKE if args.smoke else FULL
  import matplotlib.pyplot as plt
  n = len(s["snapshots"])
  fig, axes = plt.subplots(len(METHODS), n, figsize=(2.4 * n, 2.8 * len(METHODS)))
  results = {}
  for row, (label, spec) in enumerate(METHODS.items()):
    workdir = os.path.join(args.out, "runs", label.replace(" ", "_"))
    snaps, trajectory, real = snapshots(spec, s, workdir, args.smoke)
    draw_row(axes[row], snaps, real, label)
    results[label] = r = summary(spec, snaps, trajectory)
    print(f"{label}: modes {r['modes']}, covered {r['covered']}; every {s['eval_every']} "
          f"steps: {r['eval_modes']}", flush=True)
  fig.suptitle("Generated (green) over real (orange) samples on ring8; same z in every panel",
               fontsize=10)
  fig.tight_layout()
  viz.save_figure(fig, os.path.join(args.out, f"{NAME}.png"))
  path = _common.write_json(args.out, NAME, {
      "results": results, "samples": s["samples"],
      "mode_rule": "nearest mode, within 3 std, >= 1 sample (gan_jax.metrics.toy)",
      "smoke": args.smoke, "seconds": clock.seconds()})
  print(f"Wrote {path} in {clock.seconds()} s.")


if __name__ == "__main__":
  main()
