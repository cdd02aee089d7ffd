"""experiments/figures/mode_collapse.py in smoke mode: one row of snapshots per method,
read back from the run's checkpoints, with mode counts that agree with the framework's."""
import json
import os

import numpy as np

from experiments.figures import mode_collapse


def test_snapshots_and_their_mode_counts(tmp_path):
  mode_collapse.main(["--out", str(tmp_path), "--smoke"])
  assert os.path.getsize(tmp_path / "mode_collapse.png") > 10_000
  out = json.load(open(tmp_path / "mode_collapse.json"))
  steps = list(mode_collapse.SMOKE["snapshots"])
  assert sorted(out["results"]) == sorted(mode_collapse.METHODS)
  for label, r in out["results"].items():
    assert r["steps"] == steps, label
    n = len(steps)
    assert len(r["modes"]) == len(r["high_quality"]) == len(r["covered"]) == n, label
    for modes, hq, covered, shares, rkl in zip(r["modes"], r["high_quality"], r["covered"],
                                               r["shares"], r["reverse_kl"]):
      assert 0 <= modes <= 8 and len(covered) == modes, label
      # The per-mode shares of high-quality samples add up to the framework's fraction.
      assert np.isclose(sum(shares), hq), label
      assert 0 <= rkl <= np.log(8) + 1e-9, label  # KL(q || uniform) <= log K
    assert r["hops"] == bool(r["dropped"])
    for d in r["dropped"]:  # a dropped mode was covered before and is not after
      i = steps.index(d["from"])
      assert set(d["lost"]) <= set(r["covered"][i]) - set(r["covered"][i + 1])
    # The framework evaluated the run every eval_every steps, up to the last snapshot.
    every = mode_collapse.SMOKE["eval_every"]
    assert r["eval_steps"] == list(range(every, steps[-1] + 1, every)), label
    assert all(0 <= m <= 8 for m in r["eval_modes"]), label
  for label in mode_collapse.METHODS:  # one checkpoint kept per snapshot
    ckpts = os.listdir(tmp_path / "runs" / label.replace(" ", "_") / "checkpoints")
    assert sorted(map(int, ckpts)) == steps[1:], label


def test_dropped_lists_modes_lost_between_snapshots():
  covered = [[], [0, 1, 3], [0, 1, 3, 6], [1, 6], [1, 2, 6]]
  assert mode_collapse.dropped([0, 10, 20, 30, 40], covered) == [
      {"from": 20, "to": 30, "lost": [0, 3]}]
  assert mode_collapse.dropped([0, 10], [[], list(range(8))]) == []
