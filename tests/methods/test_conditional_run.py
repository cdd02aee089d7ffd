"""A short class-conditional run on real Fashion-MNIST, end to end: the classifier
agrees with the requested labels, samples.npz holds x and balanced y, launch.py's
--labels, --interpolate, and the 'conditional' eval group on the run."""
import os
import subprocess
import sys

import numpy as np
import pytest

from gan_jax import classifier, sampling, train
from gan_jax.metrics import evaluator as evaluator_lib
from tests.conftest import experiment_config

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
SPEC = "experiments/acgan.py:smoke"
STEPS = 300  # width 16: the Fashion-MNIST classifier agrees with y on ~48% of the samples


@pytest.fixture(scope="module")
def run(tmp_path_factory):
  config = experiment_config("acgan.py:smoke", **{
      "train.steps": STEPS, "model.width": 16, "data.batch_size": 64, "eval.metrics": (),
      "log.every": STEPS, "sample.every": STEPS, "ckpt.every": STEPS})
  workdir = str(tmp_path_factory.mktemp("acgan"))
  train.train(config, workdir, progress=False)
  return config, workdir


def test_classifier_agrees_with_the_requested_labels(run, smoke_classifier):
  config, workdir = run
  r = train.Run(config)
  state, _, step = r.restore(workdir)
  assert step == STEPS
  record = sampling.record(r.method, sampling.generator_variables(state), r.conditions(500, 1))
  model, variables, _ = classifier.load(smoke_classifier)
  predicted = classifier.predict(model, variables, record["x"]).argmax(-1)
  accuracy = float(np.mean(predicted == record["y"]))
  assert accuracy > 0.3, accuracy  # chance is 0.1
  # the grid of the run is class x z: 10 rows
  assert r.method.grid(r.conditions(100, 0) | {"x": record["x"][:100]})[1] == 10


def test_samples_npz_has_x_and_balanced_requested_labels(run):
  config, workdir = run
  path = train.sample(config, workdir, 40)
  with np.load(path) as f:
    assert sorted(f.files) == ["x", "y"]
    assert f["x"].shape == (40, 28, 28, 1) and f["x"].dtype == np.float32
    assert np.array_equal(np.bincount(f["y"], minlength=10), [4] * 10)
  with pytest.raises(ValueError, match=r"--labels must be distinct class indices in \[0, 10\)"):
    train.sample(config, workdir, 10, labels=[3, 10])


def test_launch_labels_flag_and_interpolate(run):
  config, workdir = run
  launch = lambda *args: subprocess.run(
      [sys.executable, os.path.join(ROOT, "launch.py"), "--config", SPEC, "--workdir", workdir,
       "--config.model.width=16", "--config.data.batch_size=64", "--mode", "sample",
       "--noprogress", *args], cwd=ROOT, capture_output=True, text=True, timeout=600)
  out = launch("--num_samples", "10", "--labels", "3,7")
  assert out.returncode == 0, out.stderr[-2000:]
  with np.load(os.path.join(workdir, "samples.npz")) as f:
    assert np.array_equal(f["y"], [3, 7] * 5) and f["x"].shape == (10, 28, 28, 1)
  out = launch("--labels", "3,x")
  assert out.returncode != 0 and "--labels must be class indices" in out.stderr
  out = launch("--labels", "3", "--interpolate")
  assert out.returncode != 0 and "--labels chooses the classes of --mode sample" in out.stderr
  x, _ = train.interpolation_images(config, workdir, pairs=4, steps=5)
  rows = x.reshape(4, 2, 5, -1)  # per pair: a linear and a spherical walk at one class
  assert np.abs(rows[:, :, 1:] - rows[:, :, :-1]).mean() > 0  # z moves along a walk
  assert os.path.getsize(train.interpolate(config, workdir, pairs=2, steps=4)) > 1_000


def test_conditional_eval_group(run, smoke_classifier, tmp_path, monkeypatch):
  monkeypatch.setenv("GAN_JAX_CACHE", str(tmp_path))
  config, workdir = run
  config = config.copy_and_resolve_references()
  config.unlock()
  config.eval.metrics, config.eval.classifier = ("classifier", "conditional"), smoke_classifier
  config.eval.num_samples = 500
  r = train.Run(config)
  state, _, step = r.restore(workdir)
  scores, protocol = evaluator_lib.Evaluator(config, r.method, r.source, r.conditions)(state, step)
  assert scores["class_accuracy"] > 0.3
  assert np.mean([scores[f"class_accuracy/{c}"] for c in range(10)]) == pytest.approx(
      scores["class_accuracy"])
  assert np.mean([scores[f"intra_fid/{c}"] for c in range(10)]) == pytest.approx(
      scores["intra_fid"])
  assert 1 <= scores["classes_covered_per_class"] < 5
  assert 0.2 < scores["tstr_acc"] <= scores["trtr_acc"] + 0.1 and scores["trtr_acc"] > 0.5
  p = protocol["conditional"]
  assert p["generated_per_class"] == [50] * 10 and p["tstr"]["epochs"] == 5
  bad = config.copy_and_resolve_references()
  bad.eval.metrics = ("conditional",)
  with pytest.raises(ValueError, match="eval.metrics=\\('classifier', 'conditional'\\)"):
    evaluator_lib.Evaluator(bad, r.method, r.source, r.conditions)
