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


def test_table_of_modes_over_seeds(tmp_path, capsys):
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
      # Evaluated every quarter of the run; the last evaluation is the table's.
      for seed in r["per_seed"]:
        assert [t[0] for t in seed["trend"]] == [2, 4, 6, 8, 10]  # smoke: 10 steps
        assert seed["trend"][-1][1:] == [seed["modes"], seed["high_quality"]]
      assert np.isclose(r["summary"]["high_quality"]["std"], np.std(hq))
      # The seeds trained as one population: each seed wrote its own workdir.
      run = tmp_path / "runs" / "mode_table" / f"{mode_table.slug(loss)}_{data_name}"
      assert sorted(os.listdir(run)) == [f"seed{s}" for s in mode_table.SEEDS]
      # ... from its own seed: the first logged losses differ between the seeds.
      first = [json.loads(open(run / f"seed{s}" / "metrics.jsonl").readline())
               for s in mode_table.SEEDS]
      assert len({f["d_real"] for f in first}) == len(mode_table.SEEDS), first
  table = open(tmp_path / "mode_table.md").read().splitlines()
  end = next(i for i, line in enumerate(table) if "over training" in line)
  rows = [line for line in table[:end] if line.startswith("| ") and "---" not in line]
  assert table[0].startswith("# ")
  assert len(rows) == 1 + len(losses)  # header, one row per table row
  gan = next(row for row in rows if row.startswith("| GAN |"))
  assert "grid25: 17.3 / 94.8 / 0.7" in gan and "ring8: 6.3 / 98.2 / 0.45" in gan
  trend = [line for line in table if line.startswith("| ") and "step 2 |" in line]
  assert len(trend) == len(budget["data"])  # one over-training table per data set
  assert sum(1 for line in table if line.startswith("| GAN | ")) == 1 + len(budget["data"])
  assert all(row.count("|") == 3 * len(budget["data"]) + 4 for row in rows)
  # --resume keeps every finished (row, data) and trains nothing; the table is the same.
  capsys.readouterr()
  mode_table.main(["--out", str(tmp_path), "--smoke", "--resume"])
  assert capsys.readouterr().out.count("(--resume)") == len(losses) * len(budget["data"])
  assert json.load(open(tmp_path / "mode_table.json"))["results"] == out["results"]
  with pytest.raises(SystemExit, match="another budget"):
    mode_table.main(["--out", str(tmp_path), "--resume"])  # the cpu budget, not smoke
  # --rows and --steps: one row, 4 steps (evaluated at 1, 2, 3, 4).
  mode_table.main(["--out", str(tmp_path / "short"), "--smoke", "--rows", "PacGAN2",
                   "--steps", "4"])
  short = json.load(open(tmp_path / "short" / "mode_table.json"))
  assert list(short["results"]) == ["PacGAN2"] and short["steps"] == 4
  assert [t[0] for t in short["results"]["PacGAN2"]["grid25"]["per_seed"][0]["trend"]] == [
      1, 2, 3, 4]
  md = open(tmp_path / "short" / "mode_table.md").read()
  assert "4 steps per run" in md
  assert ("`python -m experiments.figures.mode_table --out DIR --budget cpu --smoke --steps 4 "
          "--rows PacGAN2`") in md


# What each row must be, whatever the budget: (model.pack, train.unroll, model.minibatch,
# loss.name, D decisions per step = data.batch_size / pack, n_critic).
EXPECTED = {
    "GAN": (1, 0, "", "nonsaturating", 100, 1),
    "PacGAN2": (2, 0, "", "nonsaturating", 100, 1),
    "PacGAN3": (3, 0, "", "nonsaturating", 100, 1),
    "PacGAN4": (4, 0, "", "nonsaturating", 100, 1),
    "Unrolled GAN": (1, 5, "", "nonsaturating", 100, 1),
    "minibatch discrimination": (1, 0, "disc", "nonsaturating", 100, 1),
    "minibatch stddev": (1, 0, "stddev", "nonsaturating", 100, 1),
    "WGAN-GP": (1, 0, "", "wasserstein", 100, 5),
    "minimax": (1, 0, "", "minimax", 100, 1),
    "least squares": (1, 0, "", "least_squares", 100, 1),
    "hinge": (1, 0, "", "hinge", 100, 1),
}


def launched_config(cmd: str, monkeypatch):
  """The config launch.py builds from `cmd` (its --config file and --config.* flags)."""
  from absl import flags
  from ml_collections import config_flags
  argv = shlex.split(cmd)
  assert argv[:2] == ["python", "launch.py"] and argv[-2] == "--workdir"
  fv = flags.FlagValues()
  config_flags.DEFINE_config_file("config", None, flag_values=fv, lock_config=True)
  argv = ["launch.py"] + argv[2:-2]
  monkeypatch.setattr("sys.argv", argv)  # config_flags finds the overrides in sys.argv
  fv(argv)
  return fv.config


@pytest.mark.parametrize("budget_name", ["paper", "cpu"])
def test_each_rows_launch_command_makes_its_row(budget_name, monkeypatch):
  """The commands under the table, parsed as launch.py parses them, give each row's
  method on the PacGAN networks, the budget, the table's seed and an evaluation at the
  last step; every row and seed has its own workdir."""
  assert set(EXPECTED) == set(mode_table.ROWS)
  budget = mode_table.BUDGETS[budget_name]
  width = {"paper": 400, "cpu": 128}[budget_name]
  workdirs = set()
  for row in budget["rows"]:
    for data_name in budget["data"]:
      for seed in (0, 3):
        cmd = mode_table.command(row, data_name, budget, seed)
        c = launched_config(cmd, monkeypatch)
        got = (c.model.pack, c.train.unroll, c.model.minibatch, c.loss.name,
               c.data.batch_size // c.model.pack, c.train.n_critic)
        assert got == EXPECTED[row], (row, got)
        assert (c.model.name, c.model.width, c.model.depth, c.model.z_dim) == (
            "pacgan_mlp", width, 4, 2), row
        assert (c.data.name, c.seed, c.train.steps) == (data_name, seed, budget["steps"])
        assert c.train.steps % c.eval.every == 0 and c.eval.num_samples == 2500, row
        if row != "WGAN-GP":
          assert (c.optim.g.b1, c.optim.d.b1) == (0.8, 0.8), row
          lr = {"paper": 1e-4, "cpu": 1e-3}[budget_name]
          assert (c.optim.g.lr, c.optim.d.lr) == (lr, lr), row
        # The table trains this very config (but for log / sample / checkpoint intervals).
        want = config_lib.flat_keys(mode_table.config_for(row, data_name, seed, budget))
        have = config_lib.flat_keys(c)
        skip = ("log.", "sample.", "ckpt.")
        assert {k: v for k, v in want.items() if not k.startswith(skip)} == {
            k: v for k, v in have.items() if not k.startswith(skip)}, row
        workdirs.add(cmd.split("--workdir ")[1])
  assert len(workdirs) == 2 * len(budget["rows"]) * len(budget["data"])
  assert len({mode_table.slug(r) for r in mode_table.ROWS}) == len(mode_table.ROWS)
