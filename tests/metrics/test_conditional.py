"""The conditional scores on constructed inputs whose answers are known."""
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
