"""The image metrics through the Evaluator: orderings on real and corrupted data, the
protocol stored with every score, and errors instead of silent numbers."""
import json
import os

import numpy as np
import pytest
from PIL import Image

from gan_jax import classifier as classifier_lib, config as config_lib, data
from gan_jax.metrics import evaluator as evaluator_lib, feature_nets, sanity


@pytest.fixture(scope="module")
def rows(smoke_classifier, tmp_path_factory):
  with pytest.MonkeyPatch.context() as mp:
    mp.setenv("GAN_JAX_CACHE", str(tmp_path_factory.mktemp("cache")))
    mp.setattr(evaluator_lib, "KID_SUBSETS", 20)  # the ordering shows with fewer subsets
    return sanity.run(2000, smoke_classifier)


def test_scores_move_the_right_way(rows):
  r, protocol = rows
  fid = {k: v["fid"] for k, v in r.items()}
  assert fid["real train"] < fid["blur sigma 1"] < fid["blur sigma 2"] < fid["uniform noise"]
  assert fid["real train"] < fid["half the classes (dropping)"] < fid["single class (collapse)"]
  kid = {k: v["kid"] for k, v in r.items()}
  assert kid["real train"] < kid["blur sigma 2"] < kid["uniform noise"]
  assert abs(kid["real train"]) < 0.1 * kid["blur sigma 2"]
  real, half = r["real train"], r["half the classes (dropping)"]
  assert half["recall"] < 0.8 * real["recall"] and half["precision"] > 0.8 * real["precision"]
  assert r["single class (collapse)"]["recall"] < half["recall"]
  collapse = r["single class (collapse)"]
  assert collapse["classes_covered"] < half["classes_covered"] < real["classes_covered"] == 10
  # Noise features can land inside the real manifold of a classifier's feature space
  # (precision stays high, see docs/metrics.md); recall, coverage and density expose it.
  noise = r["uniform noise"]
  assert noise["recall"] < 0.01 and noise["coverage"] < 0.1 and noise["density"] < 0.8


def test_protocol_says_how_each_score_was_computed(rows, smoke_classifier):
  _, protocol = rows
  p = protocol["classifier"]
  info = classifier_lib.load(smoke_classifier)[2]
  assert p["weights_sha256"] == info["sha256"] and p["num_real"] == 2000
  assert p["real_split"] == "fashion_mnist:test" and protocol["num_generated"] == 2000
  assert "ConvNet classifier (fashion_mnist" in p["feature_network"]
  assert protocol["code"] and p["real_subset_seed"] == 0
  assert p["classes_covered_min_share"] == 0.1 and p["preprocess"].startswith("none")
  assert "Kynkaanniemi" in p["precision_recall"] and "Naeem" in p["density_coverage"]
  assert "Chong & Forsyth" in p["fid_inf"]


def test_bad_samples_are_refused(smoke_classifier):
  net = feature_nets.classifier(smoke_classifier, "fashion_mnist")
  with pytest.raises(ValueError, match=r"takes images of shape \(28, 28, 1\)"):
    net(np.zeros((4, 32, 32, 3), np.float32))
  with pytest.raises(ValueError, match=r"must lie in \[-1, 1\]"):
    net(np.full((4, 28, 28, 1), 255.0, np.float32))
  with pytest.raises(ValueError, match="must be images"):
    net(np.zeros((4, 2), np.float32))


def _folder(root, name, low, high, n=40):
  """A folder of n 28x28 grey PNGs with pixel values drawn from [low, high)."""
  path = root / name
  path.mkdir()
  rng = np.random.default_rng(low)
  for i in range(n):
    Image.fromarray(rng.integers(low, high, (28, 28), np.uint8)).save(path / f"{i}.png")
  return str(path)


def _folder_evaluator(path, classifier, **overrides):
  c = config_lib.base()
  config_lib.set_data(c, "folder", path)
  c.data.image_size, c.data.channels, c.data.batch_size = 28, 1, 8
  c.eval.metrics, c.eval.classifier, c.eval.num_samples = ("classifier",), classifier, 32
  for key, value in overrides.items():
    c.eval[key] = value
  return evaluator_lib.Evaluator(c, None, data.get_source(c))


def test_reference_cache_is_keyed_by_the_data_path(tmp_path, smoke_classifier, monkeypatch):
  """Two folders share data.name 'folder': each must get its own real features (the
  cache once keyed by the name alone and served the first folder's to the second)."""
  monkeypatch.setenv("GAN_JAX_CACHE", str(tmp_path / "cache"))
  dark = _folder_evaluator(_folder(tmp_path, "dark", 0, 60), smoke_classifier)
  bright = _folder_evaluator(_folder(tmp_path, "bright", 190, 256), smoke_classifier)
  f_dark, f_bright = (e.reference("classifier")["features"] for e in (dark, bright))
  assert f_dark.shape == f_bright.shape == (32, 128)
  assert np.abs(f_dark.mean(0) - f_bright.mean(0)).max() > 0.1
  assert len(os.listdir(tmp_path / "cache" / "reference")) == 2
  # The same protocol again is served from the cache, identical.
  again = _folder_evaluator(str(tmp_path / "bright"), smoke_classifier)
  np.testing.assert_array_equal(again.reference("classifier")["features"], f_bright)


def test_reference_key_changes_with_every_part_of_the_protocol(tmp_path, smoke_classifier,
                                                               monkeypatch):
  ev = _folder_evaluator(_folder(tmp_path, "a", 0, 256), smoke_classifier)
  base = ev.reference_key("classifier", "train", 32)
  assert base["path"] == str(tmp_path / "a") and base["seed"] == 0
  variants = [ev.reference_key("classifier", "test", 32),   # the split actually used
              ev.reference_key("classifier", "train", 16)]  # sample count
  for key, value in [("seed", 1), ("data.path", str(tmp_path / "b")),
                     ("data.image_size", 32), ("data.channels", 3)]:
    other = _folder_evaluator(str(tmp_path / "a"), smoke_classifier)
    other.config.unlock()
    section, name = key.split(".") if "." in key else (None, key)
    (other.config[section] if section else other.config)[name] = value
    variants.append(other.reference_key("classifier", "train", 32))
  net = ev.nets["classifier"]
  monkeypatch.setattr(net, "sha256", "0" * 64)
  variants.append(ev.reference_key("classifier", "train", 32))
  monkeypatch.setattr(net, "sha256", base["net"])
  monkeypatch.setattr(net, "preprocess", "tf: something else")
  variants.append(ev.reference_key("classifier", "train", 32))
  monkeypatch.undo()
  monkeypatch.setattr(evaluator_lib, "FEATURE_PIPELINE", ("data/*.py",))
  variants.append(ev.reference_key("classifier", "train", 32))  # the code's version
  assert all(v != base for v in variants)
  assert len({json.dumps(v, sort_keys=True) for v in variants}) == len(variants)


def test_unlabelled_data_score_without_the_classifier_and_say_how_to_add_it(tmp_path, capsys):
  """A folder has no labels to train a classifier on: the Evaluator leaves those scores
  out and says so, instead of failing the run."""
  ev = _folder_evaluator(_folder(tmp_path, "faces", 0, 256), "")
  assert "Note: training without the classifier metrics" in capsys.readouterr().out
  scores, protocol = ev.score(np.zeros((8, 28, 28, 1), np.float32))
  assert scores == {} and not ev.nets
  missing = protocol["missing_metrics"]["classifier"]
  assert "no class labels" in missing["reason"] and "fid" in missing["metrics"]


def test_classifier_is_built_once_where_missing_and_says_why(tmp_path, monkeypatch, capsys):
  """ensure() trains into the user cache (here a temporary one) when none is there, with
  a line saying what and why, and later calls find it; training itself is stubbed."""
  monkeypatch.setenv("GAN_JAX_CACHE", str(tmp_path))
  calls = []

  def fake_train(config, workdir, progress=True):
    calls.append((config.data.name, config.model.width, config.train.epochs))
    os.makedirs(workdir)
    open(os.path.join(workdir, "classifier.json"), "w").write("{}")
  monkeypatch.setattr(classifier_lib, "train", fake_train)
  path = classifier_lib.ensure("", "fashion_mnist", "smoke")
  out = capsys.readouterr().out
  assert "Building the fashion_mnist domain classifier" in out and "eval.metrics" in out
  assert calls == [("fashion_mnist", 4, 1)]
  assert os.path.dirname(path) == str(tmp_path / "classifiers")
  assert os.path.basename(path).startswith("fashion_mnist-")
  assert classifier_lib.ensure("", "fashion_mnist", "smoke") == path and len(calls) == 1
  full = classifier_lib.ensure("", "fashion_mnist")  # another config: another version
  assert full != path and calls[-1] == ("fashion_mnist", 32, 8)
  assert not [p for p in os.listdir(tmp_path / "classifiers") if ".partial" in p]


def test_a_classifier_of_other_data_is_refused(smoke_classifier):
  with pytest.raises(ValueError, match="holds a classifier of 'fashion_mnist'"):
    feature_nets.classifier(smoke_classifier, "mnist")


def test_missing_inception_weights_leave_those_scores_out(tmp_path, smoke_classifier, capsys):
  ev = _folder_evaluator(_folder(tmp_path, "a", 0, 256), smoke_classifier,
                         metrics=("classifier", "inception"),
                         inception_weights=str(tmp_path / "none.npz"))
  assert "Note: training without the Inception metrics" in capsys.readouterr().out
  assert set(ev.nets) == {"classifier"}
  _, protocol = ev.score(np.zeros((16, 28, 28, 1), np.float32))
  missing = protocol["missing_metrics"]["inception"]
  assert "no Inception weights" in missing["reason"]
  assert "convert_inception_weights.py" in missing["command"]
