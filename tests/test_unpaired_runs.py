"""Unpaired translation end to end: train -> --mode sample -> --mode eval through the
experiment files (CycleGAN on fonts_unpaired and sneaker2boot, DiscoGAN on a user's two
RGB folders, DualGAN's clipped critics, CoGAN's joint samples)."""
import json
import os

import jax
import numpy as np

from gan_jax import train, writers
from gan_jax.metrics import feature_nets, fid, paired
from tests.conftest import experiment_config, train_sample_eval

KEYS = {"a", "ab", "aba", "b", "ba", "bab"}


def check_cycles(samples, scores, exact=True):
  """Cycle errors in (0, 1); equal to samples.npz's own when both hold the same held-out
  set and the translation does not depend on the seed (CoGAN's z search does)."""
  for d, (source, back) in {"ab": ("a", "aba"), "ba": ("b", "bab")}.items():
    want = np.mean(np.abs(samples[back] - samples[source])) / 2  # on the [0, 1] scale
    assert 0 < scores[f"{d}_cycle_l1"] < 1
    if exact and len(samples[source]) == scores[f"num_{source}"]:
      np.testing.assert_allclose(scores[f"{d}_cycle_l1"], want, rtol=1e-4)


def test_the_glyph_style_and_two_font_character_classifiers(smoke_fonts_classifiers):
  style = json.load(open(os.path.join(smoke_fonts_classifiers["style"], "classifier.json")))
  content = json.load(open(os.path.join(smoke_fonts_classifiers["content"],
                                        "classifier.json")))
  # Kai / Ming on the 6 held-out characters' 12 glyphs it never saw (chance 0.5).
  assert style["num_classes"] == 2 and style["num_test"] == 12
  assert style["test_accuracy"] >= 0.75
  # 64 characters in both fonts; tested on affine copies of all 128 glyphs (chance 1/64).
  assert content["num_classes"] == 64 and content["num_test"] == 128
  assert content["test_accuracy"] > 0.1 and content["kai_accuracy"] > 0.1


def test_cyclegan_on_fonts_scores_style_content_cycles_and_fid(tmp_path,
                                                               smoke_fonts_classifiers):
  config = experiment_config("cyclegan.py:smoke", **{
      "eval.classifier": smoke_fonts_classifiers["style"],
      "eval.content_classifier": smoke_fonts_classifiers["content"]})
  samples, scores, protocol = train_sample_eval(config, str(tmp_path))
  # The test split: the 6 held-out characters (10% of 64) in both fonts, aligned.
  assert set(samples) == KEYS | {"y_a", "y_b"}
  assert all(samples[k].shape == (6, 32, 32, 1) and samples[k].dtype == np.float32
             for k in KEYS)
  np.testing.assert_array_equal(samples["y_a"], samples["y_b"])
  assert np.abs(samples["ab"]).max() <= 1
  check_cycles(samples, scores)
  # Each score from samples.npz by hand: style accuracies with the target domain's class
  # (Kai 0, Ming 1), content accuracies with the inputs' labels, FID on the style
  # classifier's features (the target domain's real glyphs vs translations / inputs).
  style = feature_nets.classifier(smoke_fonts_classifiers["style"], "fonts_style", "", False)
  content = feature_nets.classifier(smoke_fonts_classifiers["content"], "fonts_both", "",
                                    False)
  run = lambda net, k: net(paired.resize_for(samples[k], net.input_shape), k)
  style_out = {k: run(style, k) for k in ("a", "b", "ab", "ba")}
  label = {k: p.argmax(1) for k, (p, _) in style_out.items()}
  feats = {k: f for k, (_, f) in style_out.items()}
  for d, source, target in (("ab", "a", "b"), ("ba", "b", "a")):
    cls = {"a": 0, "b": 1}[target]
    assert scores[f"{d}_target_accuracy"] == np.mean(label[d] == cls)
    assert scores[f"{d}_real_accuracy"] == np.mean(label[target] == cls)
    assert scores[f"{d}_input_accuracy"] == np.mean(label[source] == cls)
    y = samples[f"y_{source}"]
    assert scores[f"{d}_content_accuracy"] == np.mean(run(content, d)[0].argmax(1) == y)
    assert scores[f"{d}_input_content_accuracy"] == np.mean(
        run(content, source)[0].argmax(1) == y)
    np.testing.assert_allclose(scores[f"{d}_fid"],
                               fid.fid_from_features(feats[target], feats[d]), rtol=1e-6)
    np.testing.assert_allclose(scores[f"{d}_input_fid"],
                               fid.fid_from_features(feats[target], feats[source]), rtol=1e-6)
  # Two classes: the real Ming glyphs not called Ming are the ones called Kai.
  assert scores["ab_real_accuracy"] + scores["ba_input_accuracy"] == 1
  # The smoke style classifier tells real Ming from Kai test glyphs better than chance.
  assert scores["ab_real_accuracy"] + scores["ba_real_accuracy"] > 1.0
  assert scores["num_a"] == scores["num_b"] == 6
  p = protocol["unpaired"]
  assert p["domain_classes"] == {"a": 0, "b": 1}
  assert p["content_network"]["weights_sha256"] == json.load(open(os.path.join(
      smoke_fonts_classifiers["content"], "classifier.json")))["sha256"]
  rows = writers.read_metrics(str(tmp_path))
  assert any("eval/ab_content_accuracy" in r for r in rows)
  assert all(r["g_identity"] > 0 for r in rows if "g_identity" in r)


def test_cyclegan_sneaker2boot_scores_the_share_called_ankle_boots(tmp_path, smoke_classifier):
  config = experiment_config("cyclegan.py:smoke,data=sneaker2boot",
                             **{"eval.classifier": smoke_classifier})
  samples, scores, protocol = train_sample_eval(config, str(tmp_path))
  assert set(samples) == KEYS  # no labels: no y_a / y_b
  assert samples["ab"].shape == (10, 32, 32, 1)
  check_cycles(samples, scores)
  assert protocol["unpaired"]["domain_classes"] == {"a": 7, "b": 9}
  # The smoke Fashion-MNIST classifier (~80%) calls most real test boots ankle boots.
  assert scores["ab_real_accuracy"] > 0.5 and 0 <= scores["ab_target_accuracy"] <= 1
  assert "ab_content_accuracy" not in scores and scores["ab_fid"] > 0


def test_discogan_on_a_users_rgb_folders_scores_the_cycles(tmp_path):
  from PIL import Image
  rng = np.random.default_rng(0)
  for side in ("a", "b"):
    (tmp_path / side).mkdir()
    for i in range(20):
      Image.fromarray(rng.integers(0, 255, (16, 16, 3), np.uint8)).save(
          tmp_path / side / f"{i:03d}.png")
  config = experiment_config(
      f"cyclegan.py:smoke,variant=discogan,data=folder2,path_a={tmp_path / 'a'},"
      f"path_b={tmp_path / 'b'},size=16")
  samples, scores, protocol = train_sample_eval(config, str(tmp_path / "run"))
  assert set(samples) == KEYS and samples["ab"].shape == (2, 16, 16, 3)  # 10% of 20 files
  check_cycles(samples, scores)
  assert "target_network" not in protocol["unpaired"] and "ab_fid" not in scores


def test_dualgan_keeps_its_critics_clipped_and_logs_both_wasserstein_estimates(tmp_path):
  config = experiment_config("cyclegan.py:smoke,variant=dualgan", **{"eval.metrics": ()})
  state = train.train(config, str(tmp_path), progress=False)
  c = config.regularizers.weight_clip.c
  assert max(float(np.abs(x).max()) for x in jax.tree.leaves(state.d["params"])) <= c
  assert config.train.n_critic == 2 and "pool" not in state.d
  rows = [r for r in writers.read_metrics(str(tmp_path)) if "wasserstein_a" in r]
  assert rows and all(np.isfinite(r["wasserstein_b"]) and r["g_cycle_a"] > 0 for r in rows)


def test_cogan_samples_joint_pairs_and_translates_by_inversion(tmp_path,
                                                               smoke_fonts_classifiers):
  config = experiment_config("cogan.py:smoke", **{
      "eval.classifier": smoke_fonts_classifiers["style"],
      "eval.content_classifier": smoke_fonts_classifiers["content"]})
  samples, scores, _ = train_sample_eval(config, str(tmp_path))
  assert set(samples) == KEYS | {"y_a", "y_b", "joint_a", "joint_b"}
  assert samples["joint_a"].shape == samples["joint_b"].shape == (6, 32, 32, 1)
  check_cycles(samples, scores, exact=False)
  for key in ("joint_a_target_accuracy", "joint_b_target_accuracy", "joint_content_agreement",
              "ab_target_accuracy", "ab_content_accuracy"):
    assert 0 <= scores[key] <= 1


def test_unit_on_fonts_translates_through_the_shared_code(tmp_path, smoke_fonts_classifiers):
  config = experiment_config("unit.py:smoke", **{
      "eval.classifier": smoke_fonts_classifiers["style"],
      "eval.content_classifier": smoke_fonts_classifiers["content"]})
  samples, scores, protocol = train_sample_eval(config, str(tmp_path))
  assert set(samples) == KEYS | {"y_a", "y_b"}
  assert all(samples[k].shape == (6, 32, 32, 1) for k in KEYS)
  check_cycles(samples, scores)  # translation uses the codes' means: seed-independent
  assert {"ab_target_accuracy", "ab_content_accuracy", "ab_fid", "ba_input_fid"} <= set(scores)
  rows = [r for r in writers.read_metrics(str(tmp_path)) if "g_kl" in r]
  assert rows and all(r["g_recon"] > 0 and r["g_kl_cycle"] > 0 for r in rows)
  assert protocol["unpaired"]["domain_classes"] == {"a": 0, "b": 1}
