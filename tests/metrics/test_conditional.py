"""The conditional scores on constructed inputs whose answers are known."""
import os

import numpy as np
import pytest

from gan_jax.metrics import conditional, fid


def labelled_features(rng, n_per_class: int, k: int = 4, d: int = 6, spread: float = 1.0):
  """Features of k well-separated Gaussian classes (class c around 10 e_c)."""
  y = np.repeat(np.arange(k), n_per_class)
  centres = 10.0 * np.eye(k, d)
  return centres[y] + spread * rng.normal(size=(len(y), d)), y


def test_obedient_diverse_generator_scores_perfectly():
  rng = np.random.default_rng(0)
  real, real_y = labelled_features(rng, 200)
  fake, y = labelled_features(rng, 200)
  probs = np.eye(4)[y] * 0.9 + 0.025
  s = conditional.conditional_scores(probs, fake, y, real, real_y)
  assert s["class_accuracy"] == 1.0 and s["class_confidence"] == pytest.approx(0.925)
  assert s["classes_covered_per_class"] == 1.0
  assert s["intra_fid"] < 0.5 and s["intra_recall"] > 0.8 and s["intra_precision"] > 0.8
  assert s["intra_fid/2"] == pytest.approx(fid.fid_from_features(real[real_y == 2], fake[y == 2]))


def test_ignored_labels_and_collapsed_classes_are_caught():
  rng = np.random.default_rng(1)
  real, real_y = labelled_features(rng, 200)
  fake, true_class = labelled_features(rng, 200)
  y = rng.permutation(true_class)  # G ignores the request: right images, random labels
  probs = np.eye(4)[true_class]
  s = conditional.conditional_scores(probs, fake, y, real, real_y)
  assert 0.15 < s["class_accuracy"] < 0.35 and s["classes_covered_per_class"] == 4.0
  assert s["intra_fid"] > 50
  # obeys y but draws each class from a tiny region (AC-GAN's bias): recall collapses
  narrow, _ = labelled_features(rng, 200, spread=0.05)
  s = conditional.conditional_scores(np.eye(4)[true_class], narrow, true_class, real, real_y)
  assert s["class_accuracy"] == 1.0 and s["intra_precision"] > 0.9
  assert s["intra_recall"] < 0.1 and s["intra_fid"] > 3


def test_too_few_samples_per_class_is_an_error():
  rng = np.random.default_rng(2)
  real, real_y = labelled_features(rng, 50)
  fake, y = labelled_features(rng, 3)
  with pytest.raises(ValueError, match="class 0 has 3. Raise eval.num_samples"):
    conditional.conditional_scores(np.eye(4)[y], fake, y, real, real_y)


def test_tstr_data_on_the_training_split_uses_disjoint_rows_and_fits_small_sets(tmp_path):
  """Where the reference split is the training data (a folder has no test split), TSTR's
  and TRTR's test rows are not among TRTR's training rows; a set smaller than
  eval.num_samples gives what it has instead of failing."""
  from PIL import Image
  from gan_jax import config as config_lib, data
  from gan_jax.metrics import evaluator
  for c in ("a", "b"):
    os.makedirs(tmp_path / c)
    for i in range(15):
      value = 8 * i + (128 if c == "b" else 0)
      Image.fromarray(np.full((8, 8), value, np.uint8)).save(tmp_path / c / f"{i}.png")
  config = config_lib.base()
  config.data.name, config.data.path = "folder", str(tmp_path)
  config.data.image_size, config.data.channels, config.data.batch_size = 8, 1, 4
  config.eval.metrics, config.eval.num_samples = (), 10_000
  source = data.get_source(config)
  ev = evaluator.Evaluator(config, None, source)
  (x_test, y_test), (x_train, y_train) = ev.tstr_data(10_000)
  assert len(x_test) == 15 and len(x_train) == 15 and set(y_train) == {0, 1}
  test_values = {float(v) for v in x_test[:, 0, 0, 0]}
  assert not test_values & {float(v) for v in x_train[:, 0, 0, 0]}
  assert len(test_values) == 15
