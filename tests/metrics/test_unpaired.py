"""The unpaired scores on records whose answers we know, with stand-in classifiers."""
import numpy as np
import pytest

from gan_jax.metrics import feature_nets, unpaired


def brightness_net(num_classes=2):
  """A 'classifier' of 8x8 images: class 1 when the mean pixel is > 0, else 0; the
  features are the image's mean and its left half's mean."""
  def run(images):
    mean = images.mean(axis=(1, 2, 3))
    probs = np.stack([mean <= 0, mean > 0] + [np.zeros_like(mean)] * (num_classes - 2), 1)
    feats = np.stack([mean, images[:, :, :4].mean(axis=(1, 2, 3))], 1)
    return probs.astype(np.float32), feats
  return feature_nets.FeatureNet("brightness", "hash", (8, 8, 1), run,
                                 {"num_classes": num_classes})


def record(n=10):
  rng = np.random.default_rng(0)
  a = np.full((n, 8, 8, 1), -0.5, np.float32) + rng.normal(0, 0.05, (n, 8, 8, 1))
  b = np.full((n, 8, 8, 1), 0.5, np.float32) + rng.normal(0, 0.05, (n, 8, 8, 1))
  ab = b.copy()
  ab[:3] = -0.4  # 7 of 10 translations look like B
  ba = a.copy()  # every B -> A translation looks like A
  return {"a": a, "b": b, "ab": ab, "ba": ba, "aba": a + 0.2, "bab": b - 0.1,
          "y_a": np.arange(n), "y_b": np.arange(n)}


def test_cycle_errors_are_mean_absolute_and_squared_differences_on_the_unit_scale():
  s = unpaired.cycle_scores(record())
  np.testing.assert_allclose([s["ab_cycle_l1"], s["ba_cycle_l1"]], [0.1, 0.05], rtol=1e-5)
  np.testing.assert_allclose([s["ab_cycle_l2"], s["ba_cycle_l2"]], [0.01, 0.0025], rtol=1e-4)


def test_target_real_and_input_accuracies_per_direction():
  nets = unpaired.Networks(target=brightness_net(), classes=(0, 1))
  s, protocol = unpaired.scores(record(), nets)
  assert s["ab_target_accuracy"] == pytest.approx(0.7)   # 7 of 10 called B
  assert s["ba_target_accuracy"] == pytest.approx(1.0)
  assert s["ab_real_accuracy"] == s["ba_real_accuracy"] == 1.0
  assert s["ab_input_accuracy"] == s["ba_input_accuracy"] == 0.0  # identity scores 0
  assert s["ba_fid"] == pytest.approx(0.0, abs=1e-6) and s["ab_fid"] > 0.1
  assert protocol["domain_classes"] == {"a": 0, "b": 1} and "content_network" not in protocol
  assert s["num_a"] == s["num_b"] == 10


def test_content_accuracy_compares_each_translation_with_its_input_label():
  def run(images):  # "recognises" an image as round(10 * its top-left pixel)
    label = np.clip(np.round(images[:, 0, 0, 0] * 10), 0, 9).astype(int)
    return np.eye(10, dtype=np.float32)[label], images.reshape(len(images), -1)[:, :4]
  content = feature_nets.FeatureNet("digits", "h", None, run, {"num_classes": 10})
  rec = record()
  for key, y in (("a", "y_a"), ("ab", "y_a"), ("b", "y_b"), ("ba", "y_b")):
    rec[key] = rec[key].copy()
    rec[key][:, 0, 0, 0] = rec[y] / 10
  rec["ab"][:4, 0, 0, 0] = 0.95  # 4 translations lose their content
  rec["joint_a"], rec["joint_b"] = rec["a"], rec["ab"]
  s, _ = unpaired.scores(rec, unpaired.Networks(content=content))
  assert s["ab_content_accuracy"] == pytest.approx(0.6)
  assert s["ba_content_accuracy"] == s["ab_input_content_accuracy"] == 1.0
  assert s["joint_content_agreement"] == pytest.approx(0.6)
  assert "ab_target_accuracy" not in s and s["ab_fid"] > 0  # FID on the content features


def test_labels_the_content_classifier_does_not_know_are_refused_not_skipped():
  def run(images):
    return np.full((len(images), 5), 0.2, np.float32), images.reshape(len(images), -1)[:, :4]
  content = feature_nets.FeatureNet("five", "h", None, run, {"num_classes": 5,
                                                               "path": "/c/five"})
  with pytest.raises(ValueError, match=r"label 9.*/c/five.*5 classes.*eval\.content_classifier"):
    unpaired.scores(record(), unpaired.Networks(content=content))


def test_a_classifier_for_data_without_domain_classes_is_refused(tmp_path):
  import ml_collections
  config = ml_collections.ConfigDict({"data": {"name": "folder2"}, "eval": {
      "classifier": str(tmp_path), "content_classifier": ""}})
  with pytest.raises(ValueError, match="no classes in it"):
    unpaired.networks(config)


def test_a_classifier_that_cannot_be_had_is_left_out_with_its_reason(monkeypatch, capsys):
  import ml_collections
  from gan_jax import classifier as classifier_lib

  def unavailable(path, data_name, args="", progress=True):
    raise classifier_lib.Unavailable(f"No {data_name} classifier here.", "python launch.py ...")
  monkeypatch.setattr(feature_nets, "classifier", unavailable)
  config = ml_collections.ConfigDict({"data": {"name": "fonts_unpaired"}, "eval": {
      "classifier": "", "content_classifier": "", "classifier_args": "smoke"}})
  nets = unpaired.networks(config, progress=False)
  assert nets.target is None and nets.classes is None and nets.content is None
  s, protocol = unpaired.scores(record(), nets)
  missing = protocol["missing_networks"]
  assert missing["target_network"]["reason"] == "No fonts_style classifier here."
  assert missing["content_network"]["reason"] == "No fonts_both classifier here."
  assert "ab_cycle_l1" in s and "ab_target_accuracy" not in s and "ab_fid" not in s
  assert "Note: unpaired scores without the target classifier" in capsys.readouterr().out
