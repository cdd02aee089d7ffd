"""The image metrics through the Evaluator: orderings on real and corrupted data, the
protocol stored with every score, and errors instead of silent numbers."""
import numpy as np
import pytest

from gan_jax import classifier as classifier_lib
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
  assert protocol["code"]


def test_bad_samples_are_refused(smoke_classifier):
  net = feature_nets.classifier(smoke_classifier, "fashion_mnist")
  with pytest.raises(ValueError, match=r"takes images of shape \(28, 28, 1\)"):
    net(np.zeros((4, 32, 32, 3), np.float32))
  with pytest.raises(ValueError, match=r"must lie in \[-1, 1\]"):
    net(np.full((4, 28, 28, 1), 255.0, np.float32))
  with pytest.raises(ValueError, match="must be images"):
    net(np.zeros((4, 2), np.float32))


def test_missing_classifier_says_how_to_create_it(tmp_path):
  with pytest.raises(FileNotFoundError, match="experiments/classifier.py"):
    feature_nets.classifier(str(tmp_path / "none"), "fashion_mnist")
