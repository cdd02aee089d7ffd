"""Mode collapse over training: snapshots of G's samples on 8 Gaussians (ring8).

The row-of-snapshots figure of the unrolled-GAN paper (Metz et al., 2017, Fig. 1): one
row per method, G's samples at steps 0, 5k, ..., 25k, each panel titled with its step
and the number of modes covered (the VEEGAN rule of `gan_jax.metrics.toy`: a mode is
covered when at least one sample lies within 3 std of it and nearest to it). The
paper's settings, `experiments/gan.py:net=unrolled,loss=minimax,data=ring8` (its App.
A.1: G 2 x 128 ReLU, D 1 x 128 ReLU on its input / 4, orthogonal weights x 0.8,
z ~ N(0, I_256), the minimax loss, Adam 1e-4 with beta1 0.5 for both nets, 25,000
steps; batch 512 as in the authors' notebook; ring8 of radius 2, std 0.02), with:

- the plain GAN (unroll 0): the paper's top row, G hopping from mode to mode;
- the unrolled GAN with k = 5 and k = 10 unrolled D updates (`unroll=5|10`; the paper's
  Fig. 1 bottom row uses 10).

Each method is one run of `gan_jax.train.train` that keeps a checkpoint at every
snapshot step; the panels are G's samples from those checkpoints, from the same fixed z
in every panel, so a panel-to-panel change is G's change. The framework's Evaluator
also counts the modes every `eval_every` steps during the run (`eval_modes` in the JSON),
which shows hopping between the snapshots.

Two mode counts per panel: the VEEGAN rule (>= 1 sample within 3 std) and by mass (the
modes with at least 1 / 2K of the samples within half the distance between neighbouring
modes): a G parked on one mode holds mass there alone, however many of its samples
reach 3 std of another.

Writes ``mode_collapse.png`` and ``mode_collapse.json`` (modes, high-quality fraction,
the modes' sample shares, the modes by mass and the dominant mode per snapshot;
`dropped`: modes covered at one snapshot and lost at the next, `hops` = any were;
`dominant`: the mode holding > 50% of the samples (None if none does) per snapshot,
`hops_of_dominant`: how often it changed between snapshots that have one;
`eval_decreases`: how often the mode count fell between two of the framework's
evaluations).

  python -m experiments.figures.mode_collapse --out DIR [--smoke] [--reuse]
"""
from __future__ import annotations

import os
import shutil

import numpy as np

from experiments.figures import _common
from gan_jax import checkpoint, sampling, train, viz, writers
from gan_jax.metrics import toy as toy_metrics

NAME = "mode_collapse"
PAPER = "gan.py:net=unrolled,loss=minimax,data=ring8"
METHODS = {"GAN": PAPER, "unrolled GAN, k=5": PAPER + ",unroll=5",
           "unrolled GAN, k=10": PAPER + ",unroll=10"}
FULL = dict(snapshots=(0, 5000, 10000, 15000, 20000, 25000), samples=2500, eval_every=500)
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
  fraction of all samples that are high quality there (these add up to high_quality);
  `mass_shares`: per mode, the fraction of samples nearer to it than half the distance
  between two neighbouring modes; `mass`: the modes holding at least half their fair
  share (1 / 2K) that way, i.e. where G puts a real part of its samples (a G spread
  over the plane or parked between modes holds none); `dominant`: the mode holding more
  than half of all samples, or None."""
  m = toy_metrics.mode_metrics(x, distribution.means, distribution.std)
  means = np.asarray(distribution.means)
  k = len(means)
  d2 = ((x[:, None, :] - means[None]) ** 2).sum(-1)
  nearest, dist = d2.argmin(1), np.sqrt(d2.min(1))
  gaps = np.sqrt(((means[:, None] - means[None]) ** 2).sum(-1) + np.diag(np.full(k, np.inf)))
  near = dist <= 0.5 * gaps.min()
  shares = np.bincount(nearest[dist <= 3 * distribution.std], minlength=k) / len(x)
  mass = np.bincount(nearest[near], minlength=k) / len(x)
  top = int(mass.argmax())
  return {**m, "covered": [int(i) for i in np.flatnonzero(shares > 0)], "shares": shares,
          "mass_shares": mass, "mass": [int(i) for i in np.flatnonzero(mass >= 0.5 / k)],
          "dominant": top if mass[top] > 0.5 else None}


def snapshots(spec: str, s: dict, workdir: str, smoke: bool, reuse: bool = False):
  """([(step, samples [n, 2], mode numbers)], eval trajectory [(step, modes)], real
  points) of one run, read back from its checkpoints at the snapshot steps."""
  config = config_for(spec, s, smoke)
  run = train.Run(config)
  z = sampling.latents(run.method, s["samples"], config.seed + 30_000)
  if not (reuse and trained(workdir, s["snapshots"])):
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


def run_name(label: str) -> str:
  return label.replace(" ", "_").replace(",", "").replace("=", "")


def trained(workdir: str, steps) -> bool:
  """Whether `workdir` holds a checkpoint at every nonzero snapshot step."""
  folder = os.path.join(workdir, "checkpoints")
  have = set(os.listdir(folder)) if os.path.isdir(folder) else set()
  return all(str(step) in have for step in steps if step)


def hops(dominant: list) -> int:
  """How often the dominant mode changed from one snapshot where there was one to the
  next such snapshot: a collapsed G moving to another mode."""
  seen = [d for d in dominant if d is not None]
  return sum(a != b for a, b in zip(seen, seen[1:]))


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
    ax.set_title(f"step {step}: {m['modes']}/8 (3 std), {len(m['mass'])}/8 (mass)",
                 fontsize=8)
  axes[0].set_ylabel(label, fontsize=10)


def summary(spec: str, snaps, trajectory) -> dict:
  steps = [st for st, _, _ in snaps]
  covered = [m["covered"] for _, _, m in snaps]
  drops = dropped(steps, covered)
  evals = [m for _, m in trajectory]
  dominant = [m["dominant"] for _, _, m in snaps]
  return {"spec": spec, "steps": steps, "modes": [m["modes"] for _, _, m in snaps],
          "mass_modes": [m["mass"] for _, _, m in snaps],
          "mass_shares": [m["mass_shares"] for _, _, m in snaps], "dominant": dominant,
          "hops_of_dominant": hops(dominant),
          "high_quality": [m["high_quality"] for _, _, m in snaps],
          "reverse_kl": [m["reverse_kl"] for _, _, m in snaps],
          "covered": covered, "shares": [m["shares"] for _, _, m in snaps],
          "dropped": drops, "hops": bool(drops),
          "eval_steps": [st for st, _ in trajectory], "eval_modes": evals,
          "eval_decreases": sum(b < a for a, b in zip(evals, evals[1:]))}


def main(argv=None):
  args = _common.parse_args(NAME, __doc__, argv, extra=lambda p: p.add_argument(
      "--reuse", action="store_true",
      help="draw from the runs already under DIR/runs when they hold every snapshot "
           "(same settings), instead of training them again"))
  clock = _common.Clock()
  s = SMOKE if args.smoke else FULL
  import matplotlib.pyplot as plt
  n = len(s["snapshots"])
  fig, axes = plt.subplots(len(METHODS), n, figsize=(2.4 * n, 2.8 * len(METHODS)))
  results = {}
  for row, (label, spec) in enumerate(METHODS.items()):
    workdir = os.path.join(args.out, "runs", run_name(label))
    snaps, trajectory, real = snapshots(spec, s, workdir, args.smoke, args.reuse)
    draw_row(axes[row], snaps, real, label)
    results[label] = r = summary(spec, snaps, trajectory)
    print(f"{label}: modes {r['modes']}, covered {r['covered']}, by mass "
          f"{[len(x) for x in r['mass_modes']]}, dominant {r['dominant']}; every "
          f"{s['eval_every']} "
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
