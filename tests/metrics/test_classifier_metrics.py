import numpy as np
import pytest

from gan_jax.metrics import classifier_metrics as m

UNIFORM10 = np.full(10, 0.1)


def _probs(labels, k=10, confidence=0.91):
  """Rows with `confidence` on the label and the rest spread over the other classes."""
  p = np.full((len(labels), k), (1 - confidence) / (k - 1))
  p[np.arange(len(labels)), labels] = confidence
  return p


def test_balanced_samples():
  out = m.classifier_metrics(_probs(np.arange(1000) % 10), UNIFORM10)
  np.testing.assert_allclose(out["class_histogram"], UNIFORM10)
  assert out["classes_covered"] == 10
  assert out["class_kl"] == pytest.approx(0.0, abs=1e-12)
  assert out["confidence"] == pytest.approx(0.91)


def test_collapse_to_two_classes():
  labels = np.array([3] * 600 + [7] * 400)
  out = m.classifier_metrics(_probs(labels, confidence=0.5), UNIFORM10)
  assert out["classes_covered"] == 2
  # KL(q || uniform) = 0.6 ln(0.6 / 0.1) + 0.4 ln(0.4 / 0.1).
  assert out["class_kl"] == pytest.approx(0.6 * np.log(6) + 0.4 * np.log(4))
  assert out["confidence"] == pytest.approx(0.5)


def test_coverage_threshold_is_a_share_of_the_data():
  # Data 50/30/20; samples 89/10/1 %: class 2 gets 1% < 0.1 * 20% = 2% -> not covered.
  p = np.array([0.5, 0.3, 0.2])
  labels = np.array([0] * 89 + [1] * 10 + [2] * 1)
  out = m.classifier_metrics(np.eye(3)[labels], p)
  assert out["classes_covered"] == 2 and out["confidence"] == 1.0
  assert m.classes_covered(out["class_histogram"], p, min_share=0.04) == 3


def test_mass_on_a_class_absent_from_data_gives_infinite_kl():
  out = m.classifier_metrics(np.eye(3)[[0, 1, 2]], np.array([0.5, 0.5, 0.0]))
  assert out["classes_covered"] == 2 and out["class_kl"] == np.inf


def test_class_distribution():
  np.testing.assert_allclose(m.class_distribution(np.array([0, 0, 1, 3]), 4),
                             [0.5, 0.25, 0.0, 0.25])
  with pytest.raises(ValueError, match=r"\[0, 3\)"):
    m.class_distribution(np.array([0, 3]), 3)


def test_bad_inputs_are_explained():
  with pytest.raises(ValueError, match=r"shape \(10,\)"):
    m.classifier_metrics(_probs(np.arange(10)), np.full(5, 0.2))
  with pytest.raises(ValueError, match="not counts"):
    m.classifier_metrics(_probs(np.arange(10)), np.full(10, 5.0))
