"""Paired translation end to end: train -> --mode sample -> --mode eval, through the
experiment files (pix2pix on edges2fashion and fonts, SRGAN with the feature loss)."""
import json
import os

import numpy as np

from gan_jax import classifier
from tests.conftest import experiment_config, train_sample_eval


def check_pixel_scores(scores):
  assert 0 < scores["l1"] < 1 and 0 < scores["l2"] < 1
  assert 0 < scores["psnr"] < 60 and -1 <= scores["ssim"] <= 1
  assert all(np.isfinite(scores[k]) for k in ("l1", "l2", "psnr", "ssim"))


def test_pix2pix_edges2fashion(tmp_path, smoke_classifier):
  config = experiment_config("pix2pix.py:smoke", **{"eval.classifier": smoke_classifier})
  samples, scores, protocol = train_sample_eval(config, str(tmp_path))
  assert set(samples) == {"a", "b", "x", "y"}
  assert samples["x"].shape == samples["b"].shape == samples["a"].shape == (10, 32, 32, 1)
  assert samples["x"].dtype == np.float32 and np.abs(samples["x"]).max() <= 1
  assert samples["y"].dtype == np.int32 and samples["y"].max() < 10
  check_pixel_scores(scores)
  # The smoke classifier (~80% on Fashion-MNIST) recognises most real targets.
  assert scores["real_accuracy"] > 0.5 and 0 <= scores["accuracy"] <= 1 and scores["fid"] > 0
  assert scores["num_pairs"] == 64
  assert protocol["paired"]["weights_sha256"] == json.load(
      open(os.path.join(smoke_classifier, "classifier.json")))["sha256"]
  assert protocol["paired"]["input_shape"] is None or protocol["paired"]["input_shape"]


def test_fonts_character_classifier_and_pix2pix_on_test_characters(tmp_path):
  cls = str(tmp_path / "classifier")
  info = classifier.train(experiment_config("classifier.py:data=fonts,smoke"), cls,
                          progress=False)
  assert info["num_classes"] == 64 and info["input_shape"] == [32, 32, 1]
  assert info["test_accuracy"] > 0.25  # held-out affine copies; chance is 1/64
  config = experiment_config("pix2pix.py:smoke,data=fonts", **{"eval.classifier": cls})
  samples, scores, protocol = train_sample_eval(config, str(tmp_path / "run"))
  # The test split: the characters G never saw (10% of 64), all of them.
  assert samples["x"].shape == (6, 64, 64, 1) and scores["num_pairs"] == 6
  assert len(set(samples["y"])) == 6
  check_pixel_scores(scores)
  for key in ("accuracy", "real_accuracy", "input_accuracy"):
    assert 0 <= scores[key] <= 1
  assert protocol["paired"]["input_shape"] == [32, 32, 1]


def test_srgan_feature_loss(tmp_path, smoke_classifier):
  config = experiment_config("srgan.py:smoke", **{"eval.classifier": smoke_classifier,
                                                   "loss.content_network": smoke_classifier})
  samples, scores, _ = train_sample_eval(config, str(tmp_path))
  assert samples["a"].shape == (10, 7, 7, 1) and samples["x"].shape == (10, 28, 28, 1)
  check_pixel_scores(scores)
  assert "input_accuracy" not in scores  # inputs are 7 x 7
  rows = [json.loads(l) for l in open(tmp_path / "metrics.jsonl")]
  assert all(r["g_content"] > 0 for r in rows if "g_content" in r)


def test_pix2pix_on_a_users_rgb_folder_pairs_without_labels(tmp_path):
  from PIL import Image
  rng = np.random.default_rng(0)
  for side in ("a", "b"):
    (tmp_path / side).mkdir()
  for i in range(20):
    b = rng.integers(0, 255, (64, 64, 3), np.uint8)
    Image.fromarray(b).save(tmp_path / "b" / f"{i:03d}.png")
    Image.fromarray(255 - b).save(tmp_path / "a" / f"{i:03d}.png")  # a = the negative
  config = experiment_config(
      f"pix2pix.py:smoke,data=folder_pairs,path_a={tmp_path / 'a'},path_b={tmp_path / 'b'}",
      **{"data.batch_size": 8})
  samples, scores, protocol = train_sample_eval(config, str(tmp_path / "run"))
  assert set(samples) == {"a", "b", "x"}  # no labels, no y
  assert samples["x"].shape == (2, 64, 64, 3)  # the last 10% of 20 files
  check_pixel_scores(scores)
  assert "fid" not in scores and "feature_network" not in protocol["paired"]
