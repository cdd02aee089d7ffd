"""The attribute classifier's cache key (gan_jax/attribute_classifier.py): a change to
its recipe or to the scenes it learns from must build a new classifier."""
import numpy as np

from gan_jax import attribute_classifier as ac
from gan_jax.data import shapes


def test_cache_version_follows_recipe_and_scenes(monkeypatch):
  base = ac.version(32, 0)
  assert base == ac.version(32, 0) and len(base) == 12
  assert ac.version(64, 0) != base and ac.version(32, 256) != base
  changes = [(ac, "SETTINGS", {**ac.SETTINGS, "epochs": ac.SETTINGS["epochs"] + 1}),
             (shapes, "VERSION", shapes.VERSION + 1),
             (shapes, "RADII", {**shapes.RADII, "small": 0.1}),
             (shapes, "HELD_OUT_PAIRS", shapes.HELD_OUT_PAIRS[1:])]
  for module, name, value in changes:
    with monkeypatch.context() as m:
      m.setattr(module, name, value)
      assert ac.version(32, 0) != base, name
  assert ac.version(32, 0) == base


def test_train_saves_a_classifier_that_loads_and_predicts(tmp_path, monkeypatch):
  monkeypatch.setitem(ac.SETTINGS, "epochs", 1)
  monkeypatch.setitem(ac.SETTINGS, "batch_size", 16)
  info = ac.train(str(tmp_path), 32, limit=64, progress=False)
  model, variables, loaded = ac.load(str(tmp_path))
  assert loaded["sha256"] == info["sha256"] and loaded["num_train"] == info["num_train"] > 30
  x, attributes = ac.labelled("test_seen", 32, 64)
  predicted, features = ac.predict(model, variables, x)
  assert features.shape == (len(x), 128)
  for i, head in enumerate(ac.HEADS):
    assert predicted[head].min() >= 0 and predicted[head].max() < len(shapes.VALUES[head])
    accuracy = float(np.mean(predicted[head] == attributes[:, i]))
    assert accuracy == info["test_seen_accuracy"][head]
