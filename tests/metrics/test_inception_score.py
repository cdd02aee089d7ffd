import numpy as np
import pytest

from gan_jax.metrics import inception_score as m


def test_uniform_predictions_score_one():
  probs = np.full((100, 10), 0.1)
  assert m.inception_score(probs) == pytest.approx((1.0, 0.0))


def test_one_hot_spread_evenly_scores_k():
  k = 7
  probs = np.eye(k)[np.arange(10 * k * 3) % k]  # every split holds each class 3 times
  mean, std = m.inception_score(probs, splits=10)
  assert mean == pytest.approx(k) and std == pytest.approx(0.0, abs=1e-12)


def test_hand_computed_case():
  # p(y) = (0.5, 0.5); KL of each row = 0.9 ln 1.8 + 0.1 ln 0.2 = 0.368064 -> e^0.368064.
  probs = np.array([[0.9, 0.1], [0.1, 0.9]])
  assert m.inception_score(probs, splits=1) == pytest.approx((1.4449348, 0.0), rel=1e-6)


def test_mean_and_std_over_splits():
  # Split 1: one-hot over two classes (IS 2); split 2: uniform (IS 1).
  probs = np.array([[1, 0], [0, 1], [0.5, 0.5], [0.5, 0.5]], float)
  assert m.inception_score(probs, splits=2) == pytest.approx((1.5, 0.5))


def test_softmax_of_logits():
  logits = np.log(np.array([[0.9, 0.1], [0.1, 0.9]])) + 3.0  # a shift leaves softmax alone
  assert m.inception_score(m.softmax(logits), splits=1)[0] == pytest.approx(1.4449348, rel=1e-6)


def test_bad_inputs_are_explained():
  with pytest.raises(ValueError, match="sum to 1"):
    m.inception_score(np.array([[2.0, 3.0], [1.0, 0.5]]), splits=1)
  with pytest.raises(ValueError, match="splits must be in"):
    m.inception_score(np.full((5, 2), 0.5), splits=10)
