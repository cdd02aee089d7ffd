"""experiments/figures/mode_table.py in smoke mode: a vmapped population per (row, data),
scored by the framework's Evaluator, summarised in a markdown table; the launch.py
command the table prints for each row makes that row's config."""
import json
import os
import shlex

import numpy as np
import pytest

from experiments.figures import mode_table
from gan_jax import config as config_lib


def test_table_of_modes_over_seeds(tmp_path):
  mode_table.main(["--out", str(tmp_path), "--smoke"])
  assert os.path.getsize(tmp_path / "mode_table.png") > 10_000
  out = json.load(open(tmp_path / "mode_table.json"))
  budget = mode_table.BUDGETS["smoke"]
  losses = list(budget["rows"])
  assert list(out["results"]) == losses
  assert out["seeds"] == list(mode_table.SEEDS) and len(mode_table.SEEDS) >= 5
  for loss in losses:
    for data_name in budget["data"]:
      k = mode_table.DATASETS[data_name]
      r = out["results"][loss][data_name]
      assert len(r["per_seed"]) == len(mode_table.SEEDS)
      modes = [s["modes"] for s in r["per_seed"]]
      hq = [s["high_quality"] for s in r["per_seed"]]
      rkl = [s["reverse_kl_hq"] for s in r["per_seed"]]
      assert all(0 <= m <= k and m == int(m) for m in modes), (loss, data_name)
      assert all(0 <= h <= 1 for h in hq), (loss, data_name)
      # KL(q || uniform over k modes) = log k - H(q) lies in [0, log k].
      assert all(-1e-9 <= x <= np.log(k) + 1e-9 for x in rkl), (loss, data_name)
      # A mode is recovered only through a high-quality sample.
      assert all(h > 0 for m, h in zip(modes, hq) if m > 0), (loss, data_name)
      assert np.isclose(r["summary"]["modes"]["mean"], np.mean(modes))
      assert np.isclose(r["summary"]["high_quality"]["std"], np.std(hq))
      # The seeds trained as one population: each seed wrote its own workdir.
      run = tmp_path / "runs" / "mode_table" / f"{loss.split(' ')[0]}_{data_name}"
      assert sorted(os.listdir(run)) == [f"seed{s}" for s in mode_table.SEEDS]
  table = open(tmp_path / "mode_table.md").read().splitlines()
  rows = [line for line in table if line.startswith("| ") and "---" not in line]
  assert table[0].startswith("# ")
  assert len(rows) == 1 + len(losses)  # header, one row per table row
  gan = next(row for row in rows if row.startswith("| GAN |"))
  assert "grid25: 17.3 / 94.8 / 0.7" in gan and "ring8: 6.3 / 98.2 / 0.45" in gan
  assert all(row.count("|") == 3 * len(budget["data"]) + 4 for row in rows)


@pytest.mark.parametrize("budget_name", ["paper", "cpu"])
def test_each_rows_launch_command_makes_its_config(budget_name, monkeypatch):
  """The command under the table, parsed as launch.py parses it, gives the config the
  table trained (but for seed and intervals)."""
  from absl import flags
  from ml_collections import config_flags
  budget = mode_table.BUDGETS[budget_name]
  assert set(budget["rows"]) <= set(mode_table.ROWS)
  for row in budget["rows"]:
    fv = flags.FlagValues()
    config_flags.DEFINE_config_file("config", None, flag_values=fv, lock_config=True)
    argv = shlex.split(mode_table.command(row, "grid25", budget))
    assert argv[:2] == ["python", "launch.py"] and argv[-2] == "--workdir"
    argv = ["launch.py"] + argv[2:-2]
    monkeypatch.setattr("sys.argv", argv)  # config_flags finds the overrides in sys.argv
    fv(argv)
    got = config_lib.flat_keys(fv.config)
    want = config_lib.flat_keys(mode_table.config_for(row, "grid25", 0, budget))
    skip = ("log.", "sample.", "eval.", "ckpt.")
    diff = {k: (got.get(k), v) for k, v in want.items()
            if not k.startswith(skip) and got.get(k) != v}
    assert not diff, (row, diff)
  if budget_name == "paper":
    c = mode_table.config_for("PacGAN3", "ring8", 0, budget)
    assert (c.model.width, c.model.depth, c.data.batch_size, c.model.pack, c.train.steps,
            c.optim.g.lr, c.optim.d.b1) == (400, 4, 300, 3, 400_000, 1e-4, 0.8)
    w = mode_table.config_for("WGAN-GP", "grid25", 0, budget)
    assert (w.model.name, w.model.width, w.data.batch_size, w.train.n_critic) == (
        "pacgan_mlp", 400, 100, 5)
