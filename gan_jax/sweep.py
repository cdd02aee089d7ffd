"""Sweeps: many runs of one experiment, as one compiled program where possible.

An experiment may define ``get_sweep()`` (or ``get_sweep(arg)``) next to `get_config`,
returning the members as a list of override dicts ``{dotted.key: value}``, built with
`axis`, `seeds`, `product` and `zip`:

    def get_sweep():
      return sweep.product(sweep.axis("optim.d.lr", [1e-4, 1e-3]), sweep.seeds(3))

``launch.py --config ... --sweep --workdir DIR`` runs member i in ``DIR/<i>_<name>/`` (a
full workdir: resumable, its own metrics.jsonl) and writes ``DIR/sweep.csv``. Members
that differ only in the seed and array-valued hyperparameters (learning rates, Adam
betas, penalty and loss weights, EMA decay) train as one `jax.vmap`-ed step over their
stacked states (`sweep.vectorize`, on by default; on CPU only for MLP members); the
others run one after another.

``python -m gan_jax.sweep results DIR --metric eval/modes --x optim.d.lr`` turns
sweep.csv into DIR/sweep.md and a PNG of the metric against the hyperparameter (mean
+- std over seeds).
"""
from __future__ import annotations

import argparse
import builtins
import csv
import inspect
import itertools
import math
import os
import re

import numpy as np

from gan_jax import config as config_lib, experiment, train_step as step_lib, writers


def axis(key: str, values) -> list[dict]:
  """One axis of a sweep: a member per value of `key`."""
  return [{key: v} for v in values]


def seeds(n: int, start: int = 0) -> list[dict]:
  return axis("seed", range(start, start + n))


def product(*axes: list[dict]) -> list[dict]:
  """Every combination of the axes' members (the last axis varies fastest)."""
  return [dict(kv for member in combo for kv in member.items())
          for combo in itertools.product(*axes)]


def zip(*axes: list[dict]) -> list[dict]:  # noqa: A001 - the sweep vocabulary
  """Members taken in step from equally long axes."""
  lengths = {len(a) for a in axes}
  if len(lengths) > 1:
    raise ValueError(f"sweep.zip needs axes of equal length, got {sorted(lengths)}.")
  return [dict(kv for member in combo for kv in member.items())
          for combo in builtins.zip(*axes)]


def member_name(index: int, overrides: dict) -> str:
  """`3_d.lr0.001_seed1`: the index and the overrides, keys cut to their last two parts."""
  parts = [f"{'.'.join(k.split('.')[-2:])}{v}" for k, v in overrides.items()]
  short = re.sub(r"[^A-Za-z0-9_.+-]", "", "_".join(parts)) or "base"
  return f"{index}_{short}"[:120]


def load_members(spec: str, base):
  """(overrides, configs) of the experiment's sweep; every member is checked first."""
  path, arg = experiment.split_spec(spec)
  module = experiment.load_module(path)
  if not hasattr(module, "get_sweep"):
    raise ValueError(f"{path} defines no get_sweep(); --sweep needs one next to get_config "
                     "(see gan_jax/sweep.py).")
  fn = module.get_sweep
  members = fn(arg) if inspect.signature(fn).parameters else fn()
  configs = []
  for i, overrides in enumerate(members):
    try:
      configs.append(config_lib.apply_overrides(base, overrides))
    except (ValueError, TypeError) as e:
      raise ValueError(f"Sweep member {i} {overrides}: {e}") from None
  return members, configs


def plan(configs, backend: str | None = None) -> tuple[list[list[int]], str]:
  """Groups of member indices that can share one vmapped step, and why members were
  split (an empty reason when all are in one group). On CPU, convolutional members run
  one after another: vmapped per-member kernels become grouped convolutions, which XLA
  CPU runs far slower than one member at a time (bench/sweep_speed.py)."""
  if backend is None:
    import jax
    backend = jax.default_backend()
  flat = [config_lib.flat_keys(c) for c in configs]
  free = step_lib.array_keys(configs[0])
  if len({f["ema.decay"] > 0 for f in flat}) > 1:
    free.discard("ema.decay")  # EMA on for some members changes the state's structure
  groups: dict[tuple, list[int]] = {}
  for i, f in enumerate(flat):
    fixed = tuple(sorted((k, repr(v)) for k, v in f.items() if k not in free))
    groups.setdefault(fixed, []).append(i)
  split = sorted({k for k in flat[0] if k not in free and len({repr(f[k]) for f in flat}) > 1})
  if not configs[0].sweep.vectorize:
    return [[i] for i in range(len(configs))], "sweep.vectorize=False"
  if backend == "cpu" and configs[0].model.name not in config_lib.MLP_NETWORKS and len(configs) > 1:
    return [[i] for i in range(len(configs))], (
        "on CPU, vmapped convolutions run as grouped convolutions, slower than one member "
        "at a time (8 DCGAN members: 0.28x, bench/sweep_speed.py); vectorised on GPU/TPU")
  reason = "" if len(groups) == 1 else (
      f"members differ in {', '.join(split)}, which cannot be vectorised "
      f"(not array-valued); {len(groups)} vectorised groups run one after another")
  return list(groups.values()), reason


def run(spec: str, base, workdir: str, dry_run: bool = False, progress: bool = True):
  """Runs (or resumes) every member of the sweep and writes DIR/sweep.csv."""
  from gan_jax import train
  members, configs = load_members(spec, base)
  names = [member_name(i, m) for i, m in enumerate(members)]
  groups, reason = plan(configs)
  print(f"Sweep of {len(members)} members in {workdir}:")
  for name, m in builtins.zip(names, members):
    print(f"  {name}: {m}")
  print(f"{len(groups)} group(s): {groups}" + (f"; {reason}" if reason else
                                                "; all members in one vmapped step"))
  if dry_run:
    return None
  for group in groups:
    train.train_population([configs[i] for i in group],
                           [os.path.join(workdir, names[i]) for i in group],
                           progress=progress)
  return write_csv(workdir, names, members)


def final_metrics(member_dir: str) -> dict:
  """The last logged value of every metric of a run."""
  out = {}
  for row in writers.read_metrics(member_dir):
    out.update({k: v for k, v in row.items() if k != "step"})
  return out


def write_csv(workdir: str, names, members) -> str:
  rows = []
  for name, overrides in builtins.zip(names, members):
    rows.append({"member": name, **{k: v for k, v in overrides.items()},
                 **final_metrics(os.path.join(workdir, name))})
  columns = list(dict.fromkeys(k for r in rows for k in r))
  path = os.path.join(workdir, "sweep.csv")
  with open(path, "w", newline="") as f:
    w = csv.DictWriter(f, columns)
    w.writeheader()
    w.writerows(rows)
  print(f"Wrote {path}.")
  return path


def summarize(workdir: str, metric: str, x: str) -> tuple[str, str]:
  """DIR/sweep.md (all members, then `metric` mean +- std over seeds per value of `x`)
  and DIR/sweep_<metric>.png. Returns both paths."""
  import matplotlib
  matplotlib.use("Agg")
  import matplotlib.pyplot as plt
  with open(os.path.join(workdir, "sweep.csv")) as f:
    rows = list(csv.DictReader(f))
  if not rows or metric not in rows[0] or x not in rows[0]:
    raise ValueError(f"sweep.csv has no column {metric!r} or {x!r}; columns: "
                     f"{', '.join(rows[0]) if rows else 'none'}.")
  columns = list(rows[0])
  table = ["| " + " | ".join(columns) + " |", "|" + " --- |" * len(columns)]
  table += ["| " + " | ".join(r[c] for c in columns) + " |" for r in rows]
  by_x: dict[str, list[float]] = {}
  for r in rows:
    if r[metric] not in ("", None):
      by_x.setdefault(r[x], []).append(float(r[metric]))
  xs = sorted(by_x, key=lambda v: float(v) if _is_number(v) else math.inf)
  table += ["", f"| {x} | {metric} (mean +- std over seeds) | runs |", "| --- | --- | --- |"]
  table += [f"| {v} | {np.mean(by_x[v]):.4g} +- {np.std(by_x[v]):.2g} | {len(by_x[v])} |"
            for v in xs]
  md = os.path.join(workdir, "sweep.md")
  with open(md, "w") as f:
    f.write("\n".join(table) + "\n")
  fig, ax = plt.subplots(figsize=(5, 3.5))
  numeric = all(_is_number(v) for v in xs)
  pos = [float(v) for v in xs] if numeric else list(range(len(xs)))
  ax.errorbar(pos, [np.mean(by_x[v]) for v in xs], [np.std(by_x[v]) for v in xs],
              marker="o", capsize=4)
  if numeric and min(pos) > 0 and max(pos) / min(pos) > 20:
    ax.set_xscale("log")
  if not numeric:
    ax.set_xticks(pos, xs, rotation=30)
  ax.set_xlabel(x)
  ax.set_ylabel(metric)
  fig.tight_layout()
  png = os.path.join(workdir, f"sweep_{re.sub(r'[^A-Za-z0-9_.-]', '_', metric)}.png")
  fig.savefig(png, dpi=100)
  plt.close(fig)
  return md, png


def _is_number(v) -> bool:
  try:
    float(v)
    return True
  except (TypeError, ValueError):
    return False


def main(argv=None):
  p = argparse.ArgumentParser(prog="python -m gan_jax.sweep")
  sub = p.add_subparsers(dest="command", required=True)
  r = sub.add_parser("results", help="sweep.csv -> sweep.md and a PNG")
  r.add_argument("workdir")
  r.add_argument("--metric", required=True, help="a column of sweep.csv, e.g. eval/modes")
  r.add_argument("--x", required=True, help="the hyperparameter column, e.g. optim.d.lr")
  args = p.parse_args(argv)
  md, png = summarize(args.workdir, args.metric, args.x)
  print(open(md).read())
  print(f"Wrote {md} and {png}.")


if __name__ == "__main__":
  main()
