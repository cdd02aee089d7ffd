"""experiments/figures/mode_table.py in smoke mode: a vmapped population per (loss, data),
scored by the framework's Evaluator, summarised in a markdown table."""
import json
import os

import numpy as np

from experiments.figures import mode_table


def test_table_of_modes_over_seeds(tmp_path):
  mode_table.main(["--out", str(tmp_path), "--smoke"])
  assert os.path.getsize(tmp_path / "mode_table.png") > 10_000
  out = json.load(open(tmp_path / "mode_table.json"))
  losses = list(mode_table.SMOKE["losses"])
  assert list(out["results"]) == losses
  assert out["seeds"] == list(mode_table.SEEDS)
  for loss in losses:
    for data_name, k in mode_table.DATASETS.items():
      r = out["results"][loss][data_name]
      assert len(r["per_seed"]) == len(mode_table.SEEDS)
      modes = [s["modes"] for s in r["per_seed"]]
      hq = [s["high_quality"] for s in r["per_seed"]]
      rkl = [s["reverse_kl"] for s in r["per_seed"]]
      assert all(0 <= m <= k and m == int(m) for m in modes), (loss, data_name)
      assert all(0 <= h <= 1 for h in hq), (loss, data_name)
      # KL(q || uniform over k modes) = log k - H(q) lies in [0, log k].
      assert all(-1e-9 <= x <= np.log(k) + 1e-9 for x in rkl), (loss, data_name)
      # A mode is recovered only through a high-quality sample.
      assert all(h > 0 for m, h in zip(modes, hq) if m > 0), (loss, data_name)
      assert np.isclose(r["summary"]["modes"]["mean"], np.mean(modes))
      assert np.isclose(r["summary"]["high_quality"]["std"], np.std(hq))
      # The seeds trained as one population: each seed wrote its own workdir.
      run = tmp_path / "runs" / "mode_table" / f"{loss.replace(' ', '_')}_{data_name}"
      assert sorted(os.listdir(run)) == [f"seed{s}" for s in mode_table.SEEDS]
  table = open(tmp_path / "mode_table.md").read().splitlines()
  rows = [line for line in table if line.startswith("| ") and "---" not in line]
  assert table[0].startswith("# ")
  assert len(rows) == 1 + len(losses) + 1  # header, one row per loss, the published row
  assert "17.3" in rows[-1] and "94.8" in rows[-1] and "6.3" in rows[-1]
  assert all(row.count("|") == 8 for row in rows)
