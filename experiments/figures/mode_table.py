"""The mode table of PacGAN (Lin et al., 2018, Table 1) / VEEGAN (Srivastava et al., 2017,
Table 1) on the 2-D ring (8 modes) and grid (25 modes), with the mode-collapse remedies
and this framework's losses, at the papers' protocol.

Protocol (`--budget paper`, PacGAN's 2-D code, `synthetic_data_experiments/2D*_GAN&PacGAN`):
G 4 x 400 Dense-BatchNorm-ReLU, D 3 maxout layers of 200 units x 5 pieces, weights
N(0, 0.02), Adam 1e-4 with beta1 0.8, batch 100 D decisions (PacGAN-m: 100 packs of m
points), z ~ N(0, I_2), 400 epochs of 100,000 points = 400,000 steps
(``experiments/gan.py:net=pacgan``). Rows, all on those networks:

- GAN: the non-saturating loss of the paper's code; PacGAN2/3/4: ``pack=2|3|4``;
- Unrolled GAN: ``unroll=5`` (k = 5; the unrolled GAN paper's 2-D runs use 5-10);
- minibatch discrimination / minibatch stddev: ``minibatch=disc|stddev``;
- WGAN-GP: ``experiments/wgan.py:penalty=gp`` (lambda 0.1, Adam 1e-3 with betas
  (0.5, 0.9) decayed linearly to 0, n_critic 5) on the same networks;
- our other losses: ``loss=minimax|least_squares|hinge``.

`--budget cpu` (what fits 2 CPU cores: ~15 ms per step and seed for the paper's
networks, so the paper budget is ~100 min per seed and row there): the grid only, the
rows GAN, PacGAN2/3/4, minibatch discrimination and Unrolled GAN, 20,000 steps,
networks of width 128 (G 4 x 128, D 3 maxout x 64) and Adam 1e-3 (betas kept) decayed
linearly to 0 over the run, so that G gets far in the budget; every other setting as
above. ``--smoke``: 2 rows, 10 steps, tiny networks.

The table (md, json, png) is rewritten after every row, so a long run shows its
progress and a stopped one keeps its finished rows.

The 5 seeds of a row train as one population (`train.train_population`: one
`jax.vmap`-ed step over the stacked states). After the last step the framework's
Evaluator scores 2,500 samples of G with `gan_jax.metrics.toy.mode_metrics` (VEEGAN's
rule: each sample goes to its nearest mode; high quality if within 3 std of it; a mode is
recovered when it has >= 1 high-quality sample; `reverse_kl_hq`: KL of the high-quality
samples' mode histogram from the uniform one, the published reverse KL).

Writes ``mode_table.md`` (mean +- std over seeds beside the published numbers, the launch
command of each row), ``mode_table.json`` (every seed's scores) and ``mode_table.png``.

  python -m experiments.figures.mode_table --out DIR [--budget paper|cpu] [--smoke]
      [--rows ROW ...] [--steps N] [--resume]

On an accelerator, the paper budget in one command (22 (row, data) populations of
400,000 steps; `--resume` after an interruption, `--rows` to split it over machines):

  python -m experiments.figures.mode_table --out DIR --budget paper --resume
"""
from __future__ import annotations

import json
import os
import re
import shutil

import numpy as np

from experiments.figures import _common
from gan_jax import sweep, train, viz, writers

NAME = "mode_table"
# The PacGAN networks and batch for the rows of experiments/wgan.py (gan.py: net=pacgan).
PACGAN_NETS = {"model.name": "pacgan_mlp", "model.width": 400, "model.depth": 4,
               "data.batch_size": 100}
ROWS = {  # label: (experiment spec, overrides)
    "GAN": ("gan.py:net=pacgan", {}),
    "PacGAN2": ("gan.py:net=pacgan,pack=2", {}),
    "PacGAN3": ("gan.py:net=pacgan,pack=3", {}),
    "PacGAN4": ("gan.py:net=pacgan,pack=4", {}),
    "Unrolled GAN": ("gan.py:net=pacgan,unroll=5", {}),
    "minibatch discrimination": ("gan.py:net=pacgan,minibatch=disc", {}),
    "minibatch stddev": ("gan.py:net=pacgan,minibatch=stddev", {}),
    "WGAN-GP": ("wgan.py:penalty=gp", PACGAN_NETS),
    "minimax": ("gan.py:net=pacgan,loss=minimax", {}),
    "least squares": ("gan.py:net=pacgan,loss=least_squares", {}),
    "hinge": ("gan.py:net=pacgan,loss=hinge", {}),
}
DATASETS = {"ring8": 8, "grid25": 25}
SEEDS = (0, 1, 2, 3, 4)
CPU_DEVIATION = {"model.width": 128, "optim.g.lr": 1e-3, "optim.d.lr": 1e-3,
                 "optim.g.schedule": "linear", "optim.d.schedule": "linear"}
BUDGETS = {
    "paper": dict(steps=400_000, data=("ring8", "grid25"), rows=tuple(ROWS), overrides={}),
    "cpu": dict(steps=20_000, data=("grid25",), overrides=CPU_DEVIATION,
                rows=("GAN", "PacGAN2", "PacGAN3", "PacGAN4", "minibatch discrimination",
                      "Unrolled GAN")),
    "smoke": dict(steps=10, data=("ring8", "grid25"), rows=("GAN", "PacGAN2"),
                  overrides={"model.width": 16, "eval.num_samples": 500}),
}
SCORES = ("modes", "high_quality", "reverse_kl_hq")
# Published means (modes, high-quality %, reverse KL): PacGAN Table 1 (arXiv 1712.04086,
# mean of 10 runs of its networks at its budget; its standard deviations are not copied
# here) and, for the unrolled GAN, VEEGAN Table 1 (its own networks, budget and k;
# VEEGAN reports no reverse KL for the 2-D sets). None: not reported.
PUBLISHED = {
    "GAN": {"ring8": (6.3, 98.2, 0.45), "grid25": (17.3, 94.8, 0.70)},
    "PacGAN2": {"ring8": (7.9, 95.6, 0.07), "grid25": (23.8, 91.3, 0.13)},
    "PacGAN3": {"ring8": (7.8, 97.7, 0.10), "grid25": (24.6, 94.2, 0.06)},
    "PacGAN4": {"ring8": (7.8, 95.9, 0.07), "grid25": (24.8, 93.6, 0.04)},
    "minibatch discrimination": {"ring8": (4.3, 36.6, 1.93), "grid25": (23.8, 79.9, 0.17)},
    "Unrolled GAN": {"ring8": (7.6, 35.6, None), "grid25": (23.6, 16.0, None)},
}
SOURCE = {"Unrolled GAN": "VEEGAN Table 1"}
PAPER_DEVIATIONS = (
    "the ring is VEEGAN's (radius 2, std 0.02; PacGAN's code: radius 1, std 0.01 - the "
    "same up to scale for the metric, not for training from N(0, 0.02) weights); D and G "
    "update in turn, G against the updated D and fresh z (the authors' ALI-based code "
    "updates both at once from one batch); G's BatchNorm normalises all 100 m samples of "
    "a step together (the code: 100 per pack position); the data are a stream (the code: "
    "a fixed set of 100,000 points); BatchNorm eps 1e-5.")


def slug(row: str) -> str:
  """The row's name in workdirs: lower case, runs of other characters as one '_'."""
  return re.sub(r"\W+", "_", row.lower()).strip("_")


def budget_of(name: str, smoke: bool) -> dict:
  return BUDGETS["smoke" if smoke else name]


def overrides_for(row: str, budget: dict, seed: int) -> dict:
  steps = budget["steps"]
  return {**ROWS[row][1], **budget["overrides"], "seed": seed, "train.steps": steps,
          "eval.every": max(1, steps // 4), "log.every": max(1, steps // 20),
          "sample.every": steps,
          "ckpt.every": max(1, steps // 4)}


def config_for(row: str, data_name: str, seed: int, budget: dict):
  spec = f"{ROWS[row][0]},data={data_name}"
  return _common.experiment_config(spec, overrides_for(row, budget, seed))


def command(row: str, data_name: str, budget: dict, seed: int = 0) -> str:
  """The launch.py command of one seed of a row: the row's keys, the budget's steps and
  deviations, evaluation (2,500 samples) at the last step."""
  flags = " ".join(f"--config.{k}={v}" for k, v in overrides_for(row, budget, seed).items()
                   if k.split(".")[0] not in ("log", "sample", "ckpt"))
  return (f"python launch.py --config experiments/{ROWS[row][0]},data={data_name} {flags} "
          f"--workdir RUNS/{slug(row)}_{data_name}_seed{seed}")


def train_group(row: str, data_name: str, budget: dict, root: str) -> list[dict]:
  """Trains the seeds of one (row, data) pair as one vmapped population; returns each
  seed's final `eval/*` scores."""
  configs = [config_for(row, data_name, seed, budget) for seed in SEEDS]
  groups, reason = sweep.plan(configs)
  if len(groups) != 1:
    raise RuntimeError(f"The seeds of {row} did not form one vmapped group: {reason}.")
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
    scores = {k: float(final[f"eval/{k}"]) for k in SCORES}
    scores["trend"] = [[int(r["step"]), int(r["eval/modes"]), float(r["eval/high_quality"])]
                       for r in writers.read_metrics(w) if "eval/modes" in r]
    out.append(scores)
  return out


def summary(per_seed: list[dict]) -> dict:
  return {k: {"mean": float(np.mean([r[k] for r in per_seed])),
              "std": float(np.std([r[k] for r in per_seed]))} for k in SCORES}


def markdown(results: dict, budget_name: str, budget: dict, smoke: bool,
             made_by: str = "") -> str:
  data = budget["data"]
  head = "| row | " + " | ".join(
      f"{d} modes (of {DATASETS[d]}) | {d} high quality % | {d} reverse KL" for d in data
  ) + " | published (modes / hq % / KL) | minutes |"
  lines = ["# Modes recovered on the 2-D " + " and ".join(data), "",
           f"Made by `{made_by or 'python -m experiments.figures.mode_table --out DIR'}` "
           "(DIR/mode_table.md; the figure is DIR/mode_table.png), the "
           "protocol of PacGAN (Lin et al., 2018) Table 1 / VEEGAN (Srivastava et al., "
           "2017) Table 1.", "", head, "|" + " --- |" * (3 * len(data) + 3)]
  for row, by_data in results.items():
    cells = []
    for d in data:
      m = by_data[d]["summary"]
      cells += [_common.fmt(m["modes"]["mean"], m["modes"]["std"]),
                _common.fmt(100 * m["high_quality"]["mean"], 100 * m["high_quality"]["std"]),
                _common.fmt(m["reverse_kl_hq"]["mean"], m["reverse_kl_hq"]["std"], 2)]
    pub = PUBLISHED.get(row)
    published = "; ".join(
        f"{d}: {p[0]} / {p[1]} / {'-' if p[2] is None else p[2]}"
        for d in data for p in [pub[d]]) + f" ({SOURCE.get(row, 'PacGAN Table 1')})" \
        if pub else "-"
    minutes = sum(by_data[d]["seconds"] for d in data) / 60
    lines.append(f"| {row} | " + " | ".join(cells) + f" | {published} | {minutes:.1f} |")
  lines += trend_lines(results, data)
  trained = sum(by_data[d]["seconds"] for by_data in results.values() for d in data)
  c = config_for("GAN", data[0], 0, budget)
  deviation = {"paper": "the paper's networks, optimiser, batch and 400,000 steps; "
                        + PAPER_DEVIATIONS,
               "cpu": "networks of width 128 (G 4 x 128, D 3 maxout x 64; the paper 400 / "
                      "200), Adam 1e-3 decayed linearly to 0 (the paper 1e-4 constant), "
                      f"{budget['steps']:,} steps (the paper 400,000), the grid only, "
                      "no WGAN-GP and loss rows; and as for the paper budget: "
                      + PAPER_DEVIATIONS,
               "smoke": "SMOKE RUN, numbers are meaningless."}[
                   "smoke" if smoke else budget_name]
  protocol = [
      "", f"Mean +- std over {len(SEEDS)} seeds ({', '.join(map(str, SEEDS))}), each row's "
      "seeds trained as one `jax.vmap`-ed population (`gan_jax.train.train_population`).",
      "", "Protocol:", "",
      f"- Budget `{'smoke' if smoke else budget_name}`: {budget['steps']:,} steps per run "
      "(one step = n_critic D updates + 1 G update). Deviation from the paper: "
      + deviation,
      "- Networks (`gan_jax/networks/pacgan_mlp.py`, PacGAN's 2-D code): G Dense-BatchNorm-"
      "ReLU hidden layers and a linear output, D maxout layers (5 pieces) and a linear "
      "logit, weights N(0, 0.02); z ~ N(0, I_2); batch 100 D decisions (PacGAN-m: 100 packs "
      f"of m points); Adam betas ({c.optim.g.b1}, {c.optim.g.b2}) for the GAN rows.",
      "- WGAN-GP (paper budget): `experiments/wgan.py:penalty=gp` on the same networks (the "
      "framework's toy settings: lambda 0.1, Adam 1e-3 with betas (0.5, 0.9) decayed "
      "linearly to 0, n_critic 5).",
      f"- Scores: the framework's Evaluator after the last step, {c.eval.num_samples:,} "
      "samples of G (`gan_jax.metrics.toy.mode_metrics`): each sample is assigned to its "
      "nearest mode, high quality if within 3 std of it (grid25: spacing 2, std 0.05; "
      "ring8: radius 2, std 0.02 - PacGAN's ring is radius 1, std 0.01, the same up to "
      "scale), a mode is recovered with >= 1 high-quality sample, reverse KL = "
      "KL(q || uniform) of the high-quality samples' mode histogram (nats; log K when "
      "there is none).",
      "- Published: PacGAN Table 1 (mean of 10 runs of its networks at its budget); the "
      "Unrolled GAN row's published numbers are VEEGAN's Table 1 (its own unrolled-GAN "
      "networks), a reference point, not a like-for-like comparison.",
      f"- Wall time of the table's runs on this machine: {trained / 60:.1f} min (each "
      "row's in the last column; on 2 CPU cores other jobs shared).", "",
      "Seed 0 of each row from `launch.py` (`--config.seed=1..4` for the others; the "
      "table's runs set the same keys, plus log / sample / checkpoint intervals):", ""]
  protocol += [f"- {row}, {d}: `{command(row, d, budget)}`" for row in results for d in data]
  return "\n".join(lines + protocol) + "\n"


def trend_lines(results: dict, data: tuple) -> list[str]:
  """Modes and high-quality % at each evaluation (every quarter of the run), mean over
  seeds: whether the budget let them settle."""
  out = []
  for d in data:
    runs = {row: by_data[d]["per_seed"] for row, by_data in results.items()
            if all(seed.get("trend") for seed in by_data[d]["per_seed"])}
    if not runs:
      continue
    steps = [t[0] for t in next(iter(runs.values()))[0]["trend"]]
    out += ["", f"{d} over training (mean over seeds; modes / high quality %):", "",
            "| row | " + " | ".join(f"step {st:,}" for st in steps) + " |",
            "|" + " --- |" * (len(steps) + 1)]
    for row, seeds in runs.items():
      cells = [f"{np.mean([s['trend'][i][1] for s in seeds]):.1f} / "
               f"{100 * np.mean([s['trend'][i][2] for s in seeds]):.1f}"
               for i in range(len(steps))]
      out.append(f"| {row} | " + " | ".join(cells) + " |")
  return out


def plot(results: dict, data: tuple, path: str):
  """Per row, each seed's modes recovered (top) and high-quality % (bottom), with the
  mean +- std and the published value as a grey bar."""
  import matplotlib.pyplot as plt
  fig, axes = plt.subplots(2, len(data), figsize=(5.5 * len(data) + 1, 6.5), sharex=True,
                           squeeze=False)
  names = list(results)
  for col, data_name in enumerate(data):
    k = DATASETS[data_name]
    for row, (score, scale, top) in enumerate((("modes", 1, k), ("high_quality", 100, 100))):
      ax = axes[row, col]
      for i, name in enumerate(names):
        values = [scale * r[score] for r in results[name][data_name]["per_seed"]]
        ax.scatter([i] * len(values), values, color=f"C{i % 10}", alpha=0.7)
        ax.errorbar([i + 0.15], [np.mean(values)], [np.std(values)], fmt="k_", capsize=3)
        if name in PUBLISHED:
          ax.plot([i - 0.3, i + 0.3], [PUBLISHED[name][data_name][row]] * 2, color="gray",
                  lw=3, alpha=0.6, label="published" if i == 0 else None)
      ax.set_ylim(-0.03 * top, 1.03 * top)
      ax.set_title(f"{data_name}: " + (f"modes recovered (of {k})" if score == "modes"
                                       else "high-quality samples %"), fontsize=10)
      ax.legend(fontsize=7, loc="lower left")
      ax.set_xticks(range(len(names)), names, rotation=30, ha="right", fontsize=8)
  fig.tight_layout()
  viz.save_figure(fig, path)


def made_by(args) -> str:
  """The command line of this table (its options, DIR for the folder)."""
  rows = " ".join(f"'{r}'" if " " in r else r for r in args.rows or ())
  return ("python -m experiments.figures.mode_table --out DIR --budget " + args.budget
          + (" --smoke" if args.smoke else "") + (f" --steps {args.steps}" if args.steps else "")
          + (f" --rows {rows}" if rows else ""))


def write(args, budget: dict, results: dict, clock) -> str:
  """The table of the rows so far: mode_table.md, .png and .json; returns the JSON path."""
  with open(os.path.join(args.out, f"{NAME}.md"), "w") as f:
    f.write(markdown(results, args.budget, budget, args.smoke, made_by(args)))
  plot(results, budget["data"], os.path.join(args.out, f"{NAME}.png"))
  return _common.write_json(args.out, NAME, {
      "results": results, "published": PUBLISHED, "budget": args.budget,
      "steps": budget["steps"], "overrides": budget["overrides"], "seeds": SEEDS,
      "eval_samples": config_for("GAN", budget["data"][0], 0, budget).eval.num_samples,
      "smoke": args.smoke, "seconds": clock.seconds()})


def extra_args(p) -> None:
  p.add_argument("--budget", choices=("paper", "cpu"), default="cpu",
                 help="paper: the full protocol (an accelerator); cpu: the reduced one "
                      "that fits 2 CPU cores (docs/mode_table.md)")
  p.add_argument("--steps", type=int, default=0,
                 help="steps per run instead of the budget's (the md says which)")
  p.add_argument("--rows", nargs="+", metavar="ROW",
                 help=f"only these rows (default: the budget's); any of: {', '.join(ROWS)}")
  p.add_argument("--resume", action="store_true",
                 help="keep the (row, data) results already in DIR/mode_table.json from "
                      "the same budget and train only the missing ones")


def done(args, budget: dict) -> dict:
  """The results of an earlier run of this command in args.out (same budget, steps and
  deviations), for --resume; {} when there is none."""
  path = os.path.join(args.out, f"{NAME}.json")
  if not os.path.exists(path):
    return {}
  with open(path) as f:
    old = json.load(f)
  same = (old.get("budget"), old.get("steps"), old.get("overrides"), old.get("smoke")) == (
      args.budget, budget["steps"], budget["overrides"], args.smoke)
  if not same:
    raise SystemExit(f"--resume: {path} is from another budget ({old.get('budget')}, "
                     f"{old.get('steps')} steps); use a fresh --out.")
  return {row: by_data for row, by_data in old["results"].items()}


def main(argv=None):
  args = _common.parse_args(NAME, __doc__, argv, extra=extra_args)
  clock = _common.Clock()
  budget = dict(budget_of(args.budget, args.smoke))
  if args.rows:
    unknown = sorted(set(args.rows) - set(ROWS))
    if unknown:
      raise SystemExit(f"--rows: unknown {unknown}; the rows are {', '.join(ROWS)}.")
    budget["rows"] = tuple(args.rows)
  if args.steps:
    budget["steps"] = args.steps
  results = done(args, budget) if args.resume else {}
  for row in budget["rows"]:
    results.setdefault(row, {})
    for data_name in budget["data"]:
      if data_name in results[row]:
        print(f"{row} {data_name}: kept from {args.out}/{NAME}.json (--resume)", flush=True)
        continue
      t = _common.Clock()
      root = os.path.join(args.out, "runs", NAME, f"{slug(row)}_{data_name}")
      per_seed = train_group(row, data_name, budget, root)
      results[row][data_name] = {"per_seed": per_seed, "summary": summary(per_seed),
                                 "seconds": t.seconds()}
      s = results[row][data_name]["summary"]
      print(f"{row} {data_name}: modes {s['modes']['mean']:.1f} +- {s['modes']['std']:.1f}, "
            f"hq {s['high_quality']['mean']:.3f}, rkl {s['reverse_kl_hq']['mean']:.3f} "
            f"({t.seconds()} s)", flush=True)
    path = write(args, budget, results, clock)
  print(f"Wrote {path} and {os.path.join(args.out, NAME + '.md')} in {clock.seconds()} s.")


if __name__ == "__main__":
  main()
