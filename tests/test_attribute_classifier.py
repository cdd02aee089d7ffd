"""The attribute classifier's cache key (gan_jax/attribute_classifier.py): a change to
its recipe or to the scenes it learns from must build a new classifier."""
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
