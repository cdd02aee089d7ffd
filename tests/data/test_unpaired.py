"""Unpaired translation sources: fonts_unpaired, sneaker2boot, folder2 (small builds)."""
import os

import numpy as np
import pytest
from PIL import Image

from gan_jax import config as config_lib, data
from gan_jax.data import fashion, fonts, images, unpaired


@pytest.fixture(autouse=True)
def cache_dir(tmp_path, monkeypatch):
  monkeypatch.setenv("GAN_JAX_CACHE", str(tmp_path / "cache"))


def config(seed=0, **data_overrides):
  c = config_lib.base(seed)
  c.data.update({"batch_size": 8, **data_overrides})
  return c


def test_sides_are_independent_streams_with_their_own_epochs():
  a = np.arange(10, dtype=np.uint8).reshape(10, 1, 1, 1)
  b = (100 + np.arange(4, dtype=np.uint8)).reshape(4, 1, 1, 1)
  source = unpaired.UnpairedSource(a, b, batch_size=2, seed=0)
  assert source.size == 10 and source.sizes == (10, 4)
  value = lambda x: np.round((x[:, 0, 0, 0] + 1) * 127.5).astype(int)
  batches = [source.batch(i) for i in range(6)]
  side_a = np.concatenate([value(x["a"]) for x in batches[:5]])
  assert sorted(side_a) == list(range(10))  # one epoch of A in 5 batches
  for epoch in (0, 1, 2):  # B cycles through its 4 examples every 2 batches
    side_b = np.concatenate([value(x["b"]) for x in batches[2 * epoch:2 * epoch + 2]])
    assert sorted(side_b) == [100, 101, 102, 103]
  again = unpaired.UnpairedSource(a, b, batch_size=2, seed=0)
  for i in (5, 3):  # random access and determinism
    np.testing.assert_array_equal(again.batch(i)["a"], batches[i]["a"])
    np.testing.assert_array_equal(again.batch(i)["b"], batches[i]["b"])
  # the sides' orders are different permutations, not one shared order
  same = unpaired.UnpairedSource(a, a, batch_size=10, seed=0).batch(0)
  assert not np.array_equal(same["a"], same["b"])


def test_examples_are_chosen_per_side_or_aligned():
  a = np.arange(20, dtype=np.uint8).reshape(20, 1, 1, 1)
  free = unpaired.UnpairedSource(a, a, batch_size=4, seed=0)
  aligned = unpaired.UnpairedSource(a, a, batch_size=4, seed=0, aligned=True,
                                    labels_a=np.arange(20), labels_b=np.arange(20))
  e_free, e_aligned = free.examples(6, seed=1), aligned.examples(6, seed=1, labels=True)
  assert not np.array_equal(e_free["a"], e_free["b"])
  np.testing.assert_array_equal(e_aligned["a"], e_aligned["b"])
  np.testing.assert_array_equal(e_aligned["y_a"], e_aligned["y_b"])
  assert set(free.examples(6, seed=1)) == {"a", "b"}
  assert free.examples()["a"].shape == (20, 1, 1, 1)


def test_sneaker2boot_sides_are_the_two_classes():
  c = config(name="sneaker2boot", limit=40)
  source = data.get_source(c)
  assert source.sizes == (40, 40) and source.shape == source.input_shape == (32, 32, 1)
  assert source.num_classes == 0 and source.name == "sneaker2boot:train"
  b = source.batch(2)
  assert b["a"].shape == (8, 32, 32, 1) and b["a"].dtype == np.float32
  assert b["a"].min() >= -1 and b["b"].max() <= 1
  x, y = fashion.fashion_mnist("train")
  e = source.examples()
  for key, label in (("a", fashion.SNEAKER), ("b", fashion.ANKLE_BOOT)):
    expected = images.fit_all(x[y == label][:40], 32, 0)
    np.testing.assert_array_equal(e[key], images.to_float(expected))
  full_test = data.get_source(config(name="sneaker2boot"), "test")
  assert full_test.sizes == (1000, 1000)


def test_fonts_unpaired_trains_on_disjoint_characters_and_tests_aligned():
  c = config(name="fonts_unpaired", limit=200, image_size=32)
  train, test = data.get_source(c), data.get_source(c, "test")
  assert train.sizes == (90, 90) and test.sizes == (20, 20)
  e = train.examples(labels=True)
  assert not set(e["y_a"]) & set(e["y_b"])  # no character on both sides in training
  glyphs = fonts.load(fonts.SIZE, 200)  # rendered at 64 px, resized to 32 (next test)
  glyphs = {**glyphs, **{k: images.fit_all(glyphs[k], 32, 0) for k in ("kai", "ming")}}
  train_rows = set(fonts.split_rows(glyphs, "train"))
  assert set(e["y_a"]) | set(e["y_b"]) == train_rows
  np.testing.assert_array_equal(e["a"], images.to_float(glyphs["kai"][e["y_a"]]))
  np.testing.assert_array_equal(e["b"], images.to_float(glyphs["ming"][e["y_b"]]))
  t = test.examples(8, seed=2, labels=True)
  np.testing.assert_array_equal(t["y_a"], t["y_b"])
  assert not set(t["y_a"]) & train_rows
  np.testing.assert_array_equal(t["a"], images.to_float(glyphs["kai"][t["y_a"]]))
  np.testing.assert_array_equal(t["b"], images.to_float(glyphs["ming"][t["y_a"]]))
  assert all(np.abs(a - b).mean() > 0.05 for a, b in zip(t["a"], t["b"]))  # two styles
  assert test.characters[int(t["y_a"][0])] == fonts.gb2312_level1()[int(t["y_a"][0])]
  # the paired fonts' test split holds the same characters
  paired_test = data.get_source(config(name="fonts", limit=200, image_size=32), "test")
  np.testing.assert_array_equal(paired_test.examples()["y"], test.examples(labels=True)["y_a"])


def test_fonts_unpaired_glyphs_are_the_pixels_the_style_classifier_is_tested_on():
  """The Kai / Ming classifier that scores the translations is trained and tested on
  glyphs rendered at 64 px and resized; the data must be the same pixels (glyphs
  rendered straight at 32 px differ by 15-20 grey levels per pixel)."""
  from gan_jax import classifier
  c = config(name="fonts_unpaired", limit=200, image_size=32)
  test = data.get_source(c, "test").examples(labels=True)
  style = config_lib.base()
  style.data.update({"name": "fonts_style", "limit": 200, "image_size": 32})
  _, _, test_x, test_y, _ = classifier._glyph_arrays(style)
  np.testing.assert_array_equal(np.concatenate([test["a"], test["b"]]), test_x)
  assert list(test_y) == [0] * 20 + [1] * 20  # Kai 0, Ming 1


def write_images(folder, values, size=12):
  os.makedirs(folder, exist_ok=True)
  for v in values:
    Image.fromarray(np.full((size, size, 3), v, np.uint8)).save(folder / f"{v:03d}.png")


def test_folder2_holds_out_the_last_tenth_or_uses_test_folders(tmp_path):
  write_images(tmp_path / "A", range(20))
  write_images(tmp_path / "B", range(100, 130))
  c = config(name="folder2", path_a=str(tmp_path / "A"), path_b=str(tmp_path / "B"),
             image_size=12, batch_size=2)
  train, test = data.get_source(c), data.get_source(c, "test")
  assert train.sizes == (18, 27) and test.sizes == (2, 3) and train.shape == (12, 12, 3)
  value = lambda x: sorted(np.round((x[:, 0, 0, 0] + 1) * 127.5).astype(int))
  assert value(test.examples()["a"]) == [18, 19]
  assert value(test.examples()["b"]) == [127, 128, 129]
  # the CycleGAN layout
  for split, side, values in (("train", "A", range(6)), ("train", "B", range(50, 54)),
                              ("test", "A", [10]), ("test", "B", [60, 61])):
    write_images(tmp_path / "cg" / f"{split}{side}", values)
  c = config(name="folder2", path=str(tmp_path / "cg"), image_size=12, batch_size=2)
  assert data.get_source(c).sizes == (6, 4)
  assert value(data.get_source(c, "test").examples()["b"]) == [60, 61]
  os.rename(tmp_path / "cg" / "testB", tmp_path / "cg" / "elsewhere")
  with pytest.raises(FileNotFoundError, match="testB is missing"):
    data.get_source(c, "test")
  with pytest.raises(ValueError, match="needs data.path_a and data.path_b"):
    data.get_source(config(name="folder2"))
  with pytest.raises(ValueError, match="data.path_b is empty"):
    data.get_source(config(name="folder2", path_a=str(tmp_path / "A")))
