"""The training loop: workdir contract, exact resume, and failures that lose nothing."""
import collections
import glob
import json
import os

import jax
import numpy as np
import pytest

from gan_jax import checkpoint, resume, train, writers

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
  # The seed made the state's random key: never changeable, even when allowed.
  with pytest.raises(ValueError, match="seed.*cannot change"):
    train.train(make_config("wgan.py:smoke,data=grid25", **{"seed": 1}), other,
                allow_config_change=True, progress=False)


def test_allowed_change_of_array_hyperparameters_is_applied_and_recorded(make_config, tmp_path):
  config = make_config("wgan.py:smoke,data=grid25", **{"optim.d.schedule": "constant",
                                                        "optim.g.schedule": "constant"})
  train.train(config, str(tmp_path), progress=False, stop_after=10)
  changed = make_config("wgan.py:smoke,data=grid25", **{
      "optim.d.schedule": "constant", "optim.g.schedule": "constant", "optim.d.lr": 3e-5,
      "optim.d.b1": 0.25, "regularizers.gradient_penalty.weight": 2.5})
  final = train.train(changed, str(tmp_path), allow_config_change=True, progress=False)
  d_lr = resume.learning_rates(final)["d"]
  assert d_lr == pytest.approx(3e-5) and resume.learning_rates(final)["g"] == pytest.approx(1e-3)
  hyper = [x for x in jax.tree.leaves(final.d_opt, is_leaf=resume._is_inject)
           if resume._is_inject(x)][0].hyperparams
  assert float(hyper["b1"]) == pytest.approx(0.25)
  assert float(final.hparams["regularizers.gradient_penalty.weight"]) == 2.5
  events = [json.loads(line) for line in open(tmp_path / "config_changes.jsonl")]
  assert events[0]["step"] == 10 and events[0]["changes"]["optim.d.lr"] == [1e-3, 3e-5]
  assert events[0]["applied_to_state"] == ["optim.d.b1", "optim.d.lr",
                                           "regularizers.gradient_penalty.weight"]
  rows = [r for r in writers.read_metrics(str(tmp_path)) if "config/optim.d.lr" in r]
  assert rows == [{"step": 10, "config/optim.d.b1": 0.25, "config/optim.d.lr": 3e-5,
                   "config/regularizers.gradient_penalty.weight": 2.5}]
  assert json.load(open(tmp_path / "config.json"))["optim"]["d"]["lr"] == 3e-5
  # The new values shaped steps 11..20: the same resume without the change differs.
  other = str(tmp_path / "unchanged")
  train.train(config, other, progress=False, stop_after=10)
  unchanged = train.train(config, other, progress=False)
  assert not np.array_equal(np.asarray(jax.tree.leaves(final.d["params"])[0]),
                            np.asarray(jax.tree.leaves(unchanged.d["params"])[0]))


def test_change_of_state_structure_is_named_and_checkpoints_kept(make_config, tmp_path):
  train.train(make_config("gan.py:smoke", **{"train.steps": 10}), str(tmp_path), progress=False)
  for overrides in ({"ema.decay": 0.99}, {"model.width": 16}, {"optim.d.name": "sgd"}):
    key = next(iter(overrides))
    with pytest.raises(checkpoint.StructureError) as error:
      train.train(make_config("gan.py:smoke", **overrides), str(tmp_path),
                  allow_config_change=True, progress=False)
    message = str(error.value)
    assert f"changed config keys: {key}" in message and "checkpoints are intact" in message
    assert "Move" not in message
  assert sorted(os.listdir(tmp_path / "checkpoints")) == ["10"]


def test_config_json_is_written_with_the_first_checkpoint(make_config, tmp_path, monkeypatch):
  seen = []
  save = checkpoint.Checkpointer.save
  monkeypatch.setattr(checkpoint.Checkpointer, "save", lambda self, *a: (
      seen.append(os.path.exists(tmp_path / "config.json")), save(self, *a))[1])
  train.train(make_config("gan.py:smoke", **{"ckpt.every": 15}), str(tmp_path), progress=False)
  assert seen == [False, True]
  assert json.load(open(tmp_path / "config.json"))["ckpt"]["every"] == 15
  # A run that died before its first checkpoint does not refuse another config.
  died = tmp_path / "died"
  died.mkdir()
  (died / "metrics.jsonl").write_text('{"step": 5, "d_loss": 1.0}\n')
  (died / "config.json").write_text(json.dumps({"seed": 7, "loss": {"name": "hinge"}}))
  train.train(make_config("gan.py:smoke", **{"train.steps": 10}), str(died), progress=False)
  assert json.load(open(died / "config.json"))["loss"]["name"] == "nonsaturating"


def test_non_finite_loss_stops_and_never_saves_nan(make_config, tmp_path):
  config = make_config("gan.py:smoke", **{"optim.d.name": "sgd", "optim.d.lr": 1e30,
                                          "train.steps": 40, "ckpt.every": 5})
  with pytest.raises(train.NonFiniteError, match=r"Non-finite loss or parameters at step 1 "
                     r".*no checkpoint was written yet"):
    train.train(config, str(tmp_path), progress=False)
  assert not os.path.exists(tmp_path / "checkpoints") or not os.listdir(tmp_path / "checkpoints")


def test_rollback_restores_the_last_checkpoint_with_lower_learning_rates(make_config, tmp_path):
  # Plain SGD at lr 1 trains; at step 7 the learning rate jumps to 1e30 (an allowed change
  # of a resumed run); rollback halves... no: scales it by 1e-30, back to 1, and goes on.
  base = {"optim.d.name": "sgd", "optim.d.lr": 1.0, "train.steps": 12, "ckpt.every": 5,
          "log.every": 1, "train.on_nonfinite": "rollback", "train.rollback_lr_scale": 1e-30}
  train.train(make_config("gan.py:smoke", **base), str(tmp_path), progress=False, stop_after=5)
  final = train.train(make_config("gan.py:smoke", **{**base, "optim.d.lr": 1e30}),
                      str(tmp_path), allow_config_change=True, progress=False)
  assert int(final.step) == 12 and checkpoint.all_finite(final)
  assert resume.learning_rates(final)["d"] == pytest.approx(1.0)
  events = [json.loads(line) for line in open(tmp_path / "config_changes.jsonl")]
  assert [e["event"] for e in events] == ["config_change", "rollback"]
  assert events[1]["step"] == 5 and events[1]["nonfinite_step"] == 6
  assert events[1]["learning_rates_after"]["d"] == pytest.approx(1.0)
  steps = [r["step"] for r in writers.read_metrics(str(tmp_path)) if "d_loss" in r]
  assert steps == list(range(1, 13))  # rows after the restored step were logged again


def test_rollbacks_are_limited(make_config, tmp_path):
  config = make_config("gan.py:smoke", **{
      "optim.d.name": "sgd", "optim.d.lr": 1e30, "train.on_nonfinite": "rollback",
      "train.max_rollbacks": 2, "log.every": 1})
  with pytest.raises(train.NonFiniteError, match="after 2 rollbacks"):
    train.train(config, str(tmp_path), progress=False)
  events = [json.loads(line) for line in open(tmp_path / "config_changes.jsonl")]
  assert [e["learning_rates_after"]["d"] for e in events] == pytest.approx([5e29, 2.5e29])


def test_unreadable_checkpoint_is_set_aside_and_training_goes_on(make_config, tmp_path, capsys):
  config = make_config("gan.py:smoke")
  train.train(config, str(tmp_path), progress=False)
  for path in glob.glob(str(tmp_path / "checkpoints" / "20" / "state" / "**" / "*"),
                        recursive=True):
    if os.path.isfile(path):
      with open(path, "wb") as f:
        f.write(b"garbage")
  state, position, step = train.Run(config).restore(str(tmp_path))  # read-only: no move
  assert step == 10 and position == 10 and int(state.step) == 10
  assert "unreadable or partial" in capsys.readouterr().out
  assert os.path.isdir(tmp_path / "checkpoints" / "20")
  longer = make_config("gan.py:smoke", **{"train.steps": 30})
  final = train.train(longer, str(tmp_path), progress=False)
  assert int(final.step) == 30
  assert "moved it to" in capsys.readouterr().out
  assert sorted(os.listdir(tmp_path / "checkpoints")) == ["10", "20", "20.corrupt", "30"]


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
  # Evaluation settings may differ from the run's; what defines the samples may not.
  train.evaluate(make_config("gan.py:smoke,data=pdf1d", **{"eval.num_samples": 100}),
                 str(tmp_path))
  for overrides, key in (({"seed": 3}, "seed"), ({"model.z_dist": "uniform"}, "model.z_dist")):
    other = make_config("gan.py:smoke,data=pdf1d", **overrides)
    with pytest.raises(ValueError, match=rf"keys that define its samples:\n  {key}"):
      train.sample(other, str(tmp_path), 10)
    with pytest.raises(ValueError, match=rf"  {key}: run"):
      train.evaluate(other, str(tmp_path))


def test_unwritable_or_full_workdir_is_reported_before_training(make_config, tmp_path,
                                                                 monkeypatch):
  blocker = tmp_path / "a_file"
  blocker.write_text("")
  with pytest.raises(OSError, match="is not writable"):
    train.train(make_config("gan.py:smoke"), str(blocker / "run"), progress=False)
  Usage = collections.namedtuple("Usage", "total used free")
  monkeypatch.setattr(checkpoint.shutil, "disk_usage", lambda path: Usage(1, 1, 1000))
  with pytest.raises(OSError, match=r"has 0.0 MiB free; this run's checkpoints need about"):
    train.train(make_config("gan.py:smoke"), str(tmp_path / "full"), progress=False)
  assert not os.path.exists(tmp_path / "full" / "metrics.jsonl")


def test_no_progress_reaches_the_classifier_build(make_config, tmp_path, monkeypatch):
  """`--noprogress` also silences the bars of what a run builds on the way (the domain
  classifier's training): non-interactive logs stay readable."""
  seen = []

  class Recorder(train.evaluator_lib.Evaluator):
    def __init__(self, *args, progress=True, **kwargs):
      seen.append(progress)
      raise KeyboardInterrupt  # stop before any training

  monkeypatch.setattr(train.evaluator_lib, "Evaluator", Recorder)
  config = make_config("gan.py:smoke,data=ring8")
  with pytest.raises(KeyboardInterrupt):
    train.train(config, str(tmp_path), progress=False)
  assert seen == [False]


def test_mode_collapse_remedies_train_end_to_end(make_config, tmp_path):
  """PacGAN, unrolled G loss and the minibatch stddev together through the loop: finite
  losses, the mode metrics, D's surface drawn by the packed D, the keys in config.json."""
  config = make_config("gan.py:smoke,pack=2,unroll=2,minibatch=stddev")
  train.train(config, str(tmp_path), progress=False)
  rows = writers.read_metrics(str(tmp_path))
  logged = [r for r in rows if "d_loss" in r]
  assert [r["step"] for r in logged] == [10, 20]
  assert all(np.isfinite(r[k]) for r in logged for k in ("d_loss", "g_loss", "d_real", "d_fake"))
  evals = [r for r in rows if "eval/modes" in r]
  assert [r["step"] for r in evals] == [10, 20] and 0 <= evals[-1]["eval/modes"] <= 25
  assert os.path.exists(tmp_path / "samples" / "step_20.png")
  saved = json.load(open(tmp_path / "config.json"))
  assert (saved["model"]["pack"], saved["train"]["unroll"], saved["model"]["minibatch"],
          saved["data"]["batch_size"]) == (2, 2, "stddev", 64)


def test_a_run_saved_before_the_remedies_resumes_with_them_off(make_config, tmp_path):
  """A checkpoint's config without model.pack, model.minibatch, train.unroll (saved
  before they existed) resumes: the missing keys count as their defaults, off."""
  config = make_config("gan.py:smoke")
  saved = resume.flat(config)
  for key in ("model.pack", "model.minibatch", "train.unroll"):
    del saved[key]
  assert resume.check_train(config, saved, str(tmp_path), allow_change=False) == {}
  with pytest.raises(ValueError, match=r"train.unroll: saved 0, now 2"):
    resume.check_train(make_config("gan.py:smoke,unroll=2"), saved, str(tmp_path), False)
