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
    for mass, shares in zip(r["mass_modes"], r["mass_shares"]):  # >= half a fair share
      assert mass == [i for i, share in enumerate(shares) if share >= 1 / 16], label
      assert 0 <= sum(shares) <= 1 + 1e-9, label
    assert r["dominant"] == [int(np.argmax(s)) if max(s) > 0.5 else None
                             for s in r["mass_shares"]], label
    assert r["hops_of_dominant"] == mode_collapse.hops(r["dominant"]), label
    assert r["hops"] == bool(r["dropped"])
    for d in r["dropped"]:  # a dropped mode was covered before and is not after
      i = steps.index(d["from"])
      assert set(d["lost"]) <= set(r["covered"][i]) - set(r["covered"][i + 1])
    # The framework evaluated the run every eval_every steps, up to the last snapshot.
    every = mode_collapse.SMOKE["eval_every"]
    assert r["eval_steps"] == list(range(every, steps[-1] + 1, every)), label
    assert all(0 <= m <= 8 for m in r["eval_modes"]), label
  for label in mode_collapse.METHODS:  # one checkpoint kept per snapshot
    ckpts = os.listdir(tmp_path / "runs" / mode_collapse.run_name(label) / "checkpoints")
    assert sorted(map(int, ckpts)) == steps[1:], label


def test_dropped_lists_modes_lost_between_snapshots():
  covered = [[], [0, 1, 3], [0, 1, 3, 6], [1, 6], [1, 2, 6]]
  assert mode_collapse.dropped([0, 10, 20, 30, 40], covered) == [
      {"from": 20, "to": 30, "lost": [0, 3]}]
  assert mode_collapse.dropped([0, 10], [[], list(range(8))]) == []


def test_modes_by_mass_count_a_wide_blob_that_the_3_std_rule_misses():
  means = np.array([[2 * np.cos(a), 2 * np.sin(a)] for a in np.arange(8) * np.pi / 4])

  class Ring:  # the distribution's two fields that modes_of reads
    pass
  dist = Ring()
  dist.means, dist.std = means, 0.02
  rng = np.random.default_rng(0)
  blob = means[2] + 0.3 * rng.normal(size=(1000, 2))  # collapsed, wider than 3 std
  m = mode_collapse.modes_of(blob, dist)
  assert m["mass"] == [2] and m["dominant"] == 2
  assert m["modes"] <= 1 and m["high_quality"] < 0.05  # ~2% of a N(0, 0.3^2) lies within 0.06
  assert 0.9 < m["mass_shares"].sum() <= 1.0  # within 0.765 of mode 2: ~96% of the blob
  # Two modes at 70 / 30 and a stray sample: the stray mode holds < 1/16 and is not counted.
  x = np.concatenate([np.repeat(means[[0]], 70, 0), np.repeat(means[[5]], 30, 0), means[[3]]])
  m = mode_collapse.modes_of(x, dist)
  assert m["mass"] == [0, 5] and m["dominant"] == 0 and m["covered"] == [0, 3, 5]
  # Parked at the centre (as G starts) or spread over the plane: mass nowhere, and no
  # dominant mode; half the gap between neighbours is 2 sin(pi / 8) = 0.765.
  centre = 0.1 * rng.normal(size=(500, 2))
  assert mode_collapse.modes_of(centre, dist)["mass"] == []
  assert mode_collapse.modes_of(centre, dist)["dominant"] is None
  spread = rng.uniform(-3, 3, size=(40_000, 2))  # 5.1% within 0.765 of each mode
  m = mode_collapse.modes_of(spread, dist)
  assert m["mass"] == [] and m["dominant"] is None and m["modes"] == 8
  inward = -means[1] / 2  # unit vector from mode 1 to the centre
  edge = means[1] + np.array([[0.76], [0.77]]) * inward  # just inside and just outside
  assert np.isclose(mode_collapse.modes_of(edge, dist)["mass_shares"].sum(), 0.5)


def test_hops_count_changes_of_the_dominant_mode_between_snapshots_that_have_one():
  assert mode_collapse.hops([None, 0, 0, 1, None, 1, 3]) == 2
  assert mode_collapse.hops([None, 2, None, None, 2]) == 0
  assert mode_collapse.hops([None] * 4) == 0
