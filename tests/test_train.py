"""The training loop: workdir contract, exact resume, and failures that lose nothing."""
import glob
import json
import os

import jax
import numpy as np
import pytest

from gan_jax import checkpoint, train, writers

TIMING = ("steps_per_sec",)


def rows_without_timing(workdir):
  return [{k: v for k, v in r.items() if k not in TIMING} for r in writers.read_metrics(workdir)]


def test_workdir_contract(make_config, tmp_path):
  config = make_config("gan.py:smoke,data=ring8")
  train.train(config, str(tmp_path), progress=False)
  for name in ("config.json", "metrics.jsonl", "samples/step_10.png", "samples/step_20.png",
               "loss_curves.png"):
    assert os.path.exists(tmp_path / name), name
  assert glob.glob(str(tmp_path / "events.out.tfevents.*"))
  assert sorted(os.listdir(tmp_path / "checkpoints")) == ["10", "20"]
  rows = writers.read_metrics(str(tmp_path))
  assert [r["step"] for r in rows if "d_loss" in r] == [10, 20]
  evals = [r for r in rows if "eval/modes" in r]
  assert [r["step"] for r in evals] == [10, 20]
  assert 0 <= evals[-1]["eval/modes"] <= 8 and 0 <= evals[-1]["eval/high_quality"] <= 1
  assert json.load(open(tmp_path / "config.json"))["data"]["name"] == "ring8"


def test_resume_is_bitwise_exact(make_config, tmp_path):
  straight, resumed = str(tmp_path / "a"), str(tmp_path / "b")
  config = make_config("wgan.py:smoke,data=grid25", **{"ema.decay": 0.9})
  final_a = train.train(config, straight, progress=False)
  train.train(config, resumed, progress=False, stop_after=10)  # as if preempted
  final_b = train.train(config, resumed, progress=False)
  for a, b in zip(jax.tree.leaves(final_a), jax.tree.leaves(final_b)):
    assert np.array_equal(np.asarray(a), np.asarray(b))
  assert rows_without_timing(straight) == rows_without_timing(resumed)


def test_changed_config_is_refused_with_the_differing_keys(make_config, tmp_path):
  train.train(make_config("gan.py:smoke", **{"train.steps": 10}), str(tmp_path), progress=False)
  with pytest.raises(ValueError, match=r"loss.name: saved 'nonsaturating', now 'hinge'"):
    train.train(make_config("gan.py:smoke", **{"loss.name": "hinge"}), str(tmp_path),
                progress=False)
  # train.steps may grow (extending a run) with a constant learning rate; the override
  # flag allows the rest.
  train.train(make_config("gan.py:smoke", **{"loss.name": "hinge", "train.steps": 20}),
              str(tmp_path), allow_config_change=True, progress=False)
  # With a linear decay, train.steps sets the decay: changing it is refused.
  other = str(tmp_path / "linear")
  train.train(make_config("wgan.py:smoke,data=grid25"), other, progress=False, stop_after=10)
  with pytest.raises(ValueError, match="train.steps: saved 20, now 30"):
    train.train(make_config("wgan.py:smoke,data=grid25", **{"train.steps": 30}), other, progress=False)


def test_non_finite_loss_stops_and_never_saves_nan(make_config, tmp_path):
  config = make_config("gan.py:smoke", **{"optim.d.name": "sgd", "optim.d.lr": 1e30,
                                          "train.steps": 40, "ckpt.every": 5})
  with pytest.raises(train.NonFiniteError, match=r"Non-finite loss at step \d+.*last good "
                     r"checkpoint is step \d+"):
    train.train(config, str(tmp_path), progress=False)
  ckpt = checkpoint.Checkpointer(str(tmp_path), read_only=True)
  for step in ckpt.steps():
    state = ckpt.manager.restore(step, args=checkpoint.ocp.args.Composite(
        state=checkpoint.ocp.args.StandardRestore(None)))["state"]
    assert checkpoint.all_finite(state)


def test_unreadable_checkpoint_falls_back_to_the_previous_one(make_config, tmp_path, capsys):
  config = make_config("gan.py:smoke")
  train.train(config, str(tmp_path), progress=False)
  for path in glob.glob(str(tmp_path / "checkpoints" / "20" / "state" / "**" / "*"),
                        recursive=True):
    if os.path.isfile(path):
      with open(path, "wb") as f:
        f.write(b"garbage")
  state, position, step = train.Run(config).restore(str(tmp_path))
  assert step == 10 and position == 10 and int(state.step) == 10
  assert "unreadable or partial" in capsys.readouterr().out


def test_sample_and_eval_modes(make_config, tmp_path):
  config = make_config("gan.py:smoke,data=pdf1d")
  with pytest.raises(FileNotFoundError, match="No checkpoint"):
    train.sample(config, str(tmp_path), 10)
  train.train(config, str(tmp_path), progress=False)
  train.sample(config, str(tmp_path), 300)
  x = np.load(tmp_path / "samples.npz")["x"]
  assert x.shape == (300, 1) and x.dtype == np.float32
  result = train.evaluate(config, str(tmp_path))
  saved = json.load(open(tmp_path / "eval.json"))
  assert saved["scores"] == pytest.approx(result["scores"])
  assert 0 < saved["scores"]["ks"] <= 1 and 0 < saved["scores"]["tv"] <= 1
  p = saved["protocol"]
  assert p["num_generated"] == config.eval.num_samples and p["step"] == 20
  assert p["weights"] == "raw" and p["seed"] == config.seed + 10_000 and p["code"]
