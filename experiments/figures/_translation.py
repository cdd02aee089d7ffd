"""What the translation figures share: train a run of an experiment (or take a trained
one), read its final scores, and draw its outputs on held-out examples."""
from __future__ import annotations

import json
import os

from experiments.figures import _common
from gan_jax import sampling, train, writers


def train_or_reuse(spec: str, overrides: dict, runs: str, name: str, out: str) -> str:
  """The workdir of run `name`: RUNS/name when `runs` is given (it must exist), else
  trained now from `experiments/<spec>` with `overrides` into OUT/runs/name."""
  if runs:
    workdir = os.path.join(runs, name)
    if not os.path.exists(os.path.join(workdir, "config.json")):
      raise FileNotFoundError(f"{workdir} is not a trained run (no config.json); train it "
                              f"with launch.py --config experiments/{spec} --workdir "
                              f"{workdir}, or leave out --runs to train here.")
    return workdir
  workdir = os.path.join(out, "runs", name)
  config = _common.experiment_config(spec, overrides)
  train.train(config, workdir, progress=False)
  return workdir


def final_scores(workdir: str) -> dict:
  """The run's scores at its last step: WORKDIR/eval.json (`--mode eval`) when it is of
  the last step (e.g. re-scored with a new classifier), else the last `eval/...` row it
  logged (the train loop scores at its last step): {"step": int, "<score>": float, ...};
  {} if it has neither."""
  rows = [r for r in writers.read_metrics(workdir) if any(k.startswith("eval/") for k in r)]
  path = os.path.join(workdir, "eval.json")
  if os.path.exists(path):
    with open(path) as f:
      result = json.load(f)
    if not rows or result["protocol"]["step"] >= rows[-1]["step"]:
      return {"step": result["protocol"]["step"], **result["scores"]}
  if not rows:
    return {}
  return {"step": rows[-1]["step"], **{k[5:]: v for k, v in rows[-1].items()
                                       if k.startswith("eval/")}}


def outputs(workdir: str, n: int, seed: int) -> tuple[dict, int]:
  """(record {"a", "b", "x", "y"?} of G on n held-out examples chosen by `seed`, step)."""
  config = _common.saved_config(workdir)
  run = train.Run(config)
  state, _, step = run.restore(workdir)
  record = sampling.record(run.method, run.generator_variables(state),
                           run.conditions(n, seed))
  return record, step


def write_table(out: str, name: str, table: str) -> None:
  """`name`.md in `out` (the markdown tables), also printed."""
  with open(os.path.join(out, f"{name}.md"), "w") as f:
    f.write(table)
  print(table, flush=True)


def rows_json(rows: list, runs: dict) -> list[dict]:
  """The JSON of each (table, row label, run name, args) row with its run's scores (or
  why it is missing)."""
  return [{"table": t, "row": label, "run": name, "args": a,
           **{k: v for k, v in runs[name].items() if k != "workdir"}}
          for t, label, name, a in rows]
