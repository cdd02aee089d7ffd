import numpy as np
import pytest

from gan_jax.data import idx
from gan_jax.metrics import tstr


@pytest.fixture(scope="module")
def fashion():
  train, test = (idx.load_idx_pair(idx.FASHION_MNIST_DIR, s) for s in ("train", "test"))
  assert train is not None, "install the Debian package dataset-fashion-mnist (make setup)"
  return train[0][:10_000], train[1][:10_000], test[0][:2_000], test[1][:2_000]


def test_real_stands_in_for_generated(fashion):
  # Real training images as "generated" data: TSTR = the real-on-real baseline.
  x, y, x_test, y_test = fashion
  out = tstr.tstr(x, y, x_test, y_test)
  assert out["tstr_accuracy"] > 0.8


def test_shuffled_labels_are_near_chance(fashion):
  x, y, x_test, y_test = fashion
  shuffled = np.random.default_rng(0).permutation(y)
  assert tstr.train_and_test(x, shuffled, x_test, y_test, num_classes=10, epochs=2) < 0.2


def test_mlp_on_features_and_same_seed_same_number():
  # Two Gaussian classes in 8-D, 3 std apart: an MLP separates them.
  rng = np.random.default_rng(0)
  y = rng.integers(0, 2, 600).astype(np.int32)
  x = rng.standard_normal((600, 8)).astype(np.float32) + 1.5 * (2 * y[:, None] - 1)
  run = lambda: tstr.train_and_test(x[:400], y[:400], x[400:], y[400:], epochs=3)
  accuracy = run()
  assert accuracy > 0.95 and run() == accuracy


def test_bad_inputs_are_explained():
  with pytest.raises(ValueError, match="differ in shape"):
    tstr.train_and_test(np.zeros((4, 8, 8, 1)), np.zeros(4, int), np.zeros((4, 6, 6, 1)),
                        np.zeros(4, int))
  with pytest.raises(ValueError, match="labels must be integers"):
    tstr.train_and_test(np.zeros((4, 8)), np.zeros(4), np.zeros((4, 8)), np.zeros(4, int))
