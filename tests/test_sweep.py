import csv
import os

import numpy as np
import pytest

from gan_jax import sweep, train, writers

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def test_axes_product_zip_seeds():
  members = sweep.product(sweep.axis("optim.d.lr", [1, 2]), sweep.seeds(3))
  assert len(members) == 6 and members[1] == {"optim.d.lr": 1, "seed": 1}
  assert sweep.zip(sweep.axis("a", [1, 2]), sweep.axis("b", [3, 4])) == [
      {"a": 1, "b": 3}, {"a": 2, "b": 4}]
  with pytest.raises(ValueError, match="equal length"):
    sweep.zip(sweep.axis("a", [1]), sweep.axis("b", [3, 4]))
  assert sweep.member_name(3, {"optim.d.lr": 0.001, "seed": 1}) == "3_d.lr0.001_seed1"


def test_plan_vectorises_array_keys_and_says_why_not(make_config):
  base = make_config("gan.py:smoke")
  configs = [make_config("gan.py:smoke", **{"optim.d.lr": lr, "seed": s})
             for lr in (1e-4, 1e-3) for s in (0, 1)]
  groups, reason = sweep.plan(configs)
  assert groups == [[0, 1, 2, 3]] and reason == ""
  configs = [make_config("gan.py:smoke", **{"loss.name": n, "seed": s})
             for n in ("hinge", "minimax") for s in (0, 1)]
  groups, reason = sweep.plan(configs)
  assert groups == [[0, 1], [2, 3]] and "loss.name" in reason
  off = [make_config("gan.py:smoke", **{"sweep.vectorize": False, "seed": s}) for s in (0, 1)]
  assert sweep.plan(off) == ([[0], [1]], "sweep.vectorize=False")
  assert base.sweep.vectorize
  conv = [make_config("dcgan.py:smoke", **{"optim.d.lr": lr}) for lr in (1e-4, 1e-3)]
  groups, reason = sweep.plan(conv, backend="cpu")
  assert groups == [[0], [1]] and "grouped convolutions" in reason
  assert sweep.plan(conv, backend="gpu") == ([[0, 1]], "")


def test_bad_sweeps_fail_before_anything_runs(make_config, tmp_path):
  bad = tmp_path / "bad.py"
  bad.write_text("from experiments.gan import get_config\n"
                 "def get_sweep():\n  return [{'seed': 1}, {'optim.d.lrate': 1.0}]\n")
  with pytest.raises(ValueError, match=r"Sweep member 1 .*'optim.d.lrate' \(did you mean "
                     r"'optim.d.lr'\?\)"):
    sweep.run(str(bad), make_config("gan.py:smoke"), str(tmp_path / "w"))
  assert not os.path.exists(tmp_path / "w")
  plain = tmp_path / "plain.py"
  plain.write_text("from experiments.gan import get_config\n")
  with pytest.raises(ValueError, match="defines no get_sweep"):
    sweep.run(str(plain), make_config("gan.py:smoke"), str(tmp_path / "w"))


def test_vectorised_member_equals_its_solo_run_and_resumes(make_config, tmp_path):
  overrides = [{"optim.d.lr": lr, "seed": s} for lr in (1e-4, 3e-4) for s in (0, 1)]
  configs = [make_config("gan.py:smoke", **o) for o in overrides]
  dirs = [str(tmp_path / f"m{i}") for i in range(4)]
  train.train_population(configs, dirs, progress=False, stop_after=10)  # interrupted
  states = train.train_population(configs, dirs, progress=False)        # resumed
  solo = train.train(configs[3], str(tmp_path / "solo"), progress=False)
  rows = lambda d: [{k: v for k, v in r.items() if k != "steps_per_sec"}
                    for r in writers.read_metrics(d)]
  vec, alone = rows(dirs[3]), rows(str(tmp_path / "solo"))
  assert [r.keys() for r in vec] == [r.keys() for r in alone] and len(vec) == 4
  for a, b in zip(vec, alone):
    for k in a:
      assert a[k] == pytest.approx(b[k], abs=1e-5), k
  for a, b in zip(np.asarray(states[3].d["params"]["Dense_0"]["kernel"]).ravel(),
                  np.asarray(solo.d["params"]["Dense_0"]["kernel"]).ravel()):
    assert abs(a - b) <= 1e-5
  # members differ from each other (different seeds and learning rates)
  assert rows(dirs[0])[0]["d_loss"] != vec[0]["d_loss"]


def test_sweep_csv_and_results(make_config, tmp_path):
  spec = os.path.join(ROOT, "experiments", "wgan.py:data=grid25,smoke")
  config = make_config("wgan.py:smoke,data=grid25", **{"train.steps": 10})
  sweep.run(spec, config, str(tmp_path), progress=False)
  with open(tmp_path / "sweep.csv") as f:
    rows = list(csv.DictReader(f))
  assert len(rows) == 8 and {"optim.d.lr", "seed", "eval/modes", "d_loss"} <= set(rows[0])
  md, png = sweep.summarize(str(tmp_path), "eval/modes", "optim.d.lr")
  text = open(md).read()
  assert "| 0.0003 |" in text and "| 4 |" in text and os.path.getsize(png) > 1000
  with pytest.raises(ValueError, match="no column 'eval/fid'"):
    sweep.summarize(str(tmp_path), "eval/fid", "optim.d.lr")
