"""Paired translation sources: edges2fashion, mosaic, fonts, folder_pairs (small builds)."""
import os

import numpy as np
import pytest
from PIL import Image, ImageFont
from scipy import ndimage
from skimage import filters

from gan_jax import cache, config as config_lib, data
from gan_jax.data import fashion, fonts, images, paired, photos


@pytest.fixture(autouse=True)
def cache_dir(tmp_path, monkeypatch):
  monkeypatch.setenv("GAN_JAX_CACHE", str(tmp_path / "cache"))
  return tmp_path / "cache"


def config(seed=0, **data_overrides):
  c = config_lib.base(seed)
  c.data.update({"batch_size": 16, **data_overrides})
  return c


def assert_images(x, shape):
  assert x.shape == shape and x.dtype == np.float32
  assert x.min() >= -1.0 and x.max() <= 1.0


def test_edges2fashion_shapes_labels_and_targets():
  source = data.get_source(config(name="edges2fashion", limit=256))
  assert (source.size, source.shape, source.input_shape) == (256, (32, 32, 1), (32, 32, 1))
  assert source.num_classes == 10 and source.name == "edges2fashion:train"
  b = source.batch(3)
  assert_images(b["a"], (16, 32, 32, 1))
  assert_images(b["b"], (16, 32, 32, 1))
  assert b["y"].dtype == np.int32 and b["y"].shape == (16,)
  # all examples in order: the targets are Fashion-MNIST resized to 32, y its labels
  x, y = fashion.fashion_mnist("train", 256)
  every = source.examples()
  np.testing.assert_array_equal(every["b"], images.to_float(images.fit_all(x, 32, 0)))
  np.testing.assert_array_equal(every["y"], y)
  assert data.get_source(config(name="edges2fashion", limit=64), "test").size == 64


def test_edges_are_binary_and_lie_where_the_gradient_is_large():
  e = data.get_source(config(name="edges2fashion", limit=200)).examples()
  edge = e["a"][..., 0] > 0
  assert set(np.unique(e["a"])) == {-1.0, 1.0}
  assert 0.05 < edge.mean() < 0.3  # outlines, not filled shapes

  def magnitude(image):  # Canny's own gradient: Sobel of the sigma-1 smoothed image
    smooth = filters.gaussian((image + 1) / 2, sigma=1.0, mode="constant")
    return np.hypot(ndimage.sobel(smooth, 0), ndimage.sobel(smooth, 1))
  m = np.stack([magnitude(im) for im in e["b"][..., 0]])
  assert (m[edge] >= 0.1).mean() > 0.99  # above the hysteresis low threshold
  assert np.median(m[edge]) > 5 * np.median(m[~edge])


def test_batches_are_deterministic_resumable_and_keep_pairs_together():
  c = config(name="edges2fashion", limit=128)
  one, two = data.get_source(c), data.get_source(c)
  sequence = [one.batch(i) for i in range(10)]  # crosses epochs (8 batches each)
  for i in (9, 7, 2):  # random access: any index alone gives the same batch
    for k in ("a", "b", "y"):
      np.testing.assert_array_equal(two.batch(i)[k], sequence[i][k])
  other = data.get_source(config(seed=1, name="edges2fashion", limit=128)).batch(0)
  assert not np.array_equal(other["b"], sequence[0]["b"])
  # one epoch visits every example once, each with its own edge map
  every = one.examples()
  epoch = {k: np.concatenate([b[k] for b in sequence[:8]]) for k in ("a", "b")}
  rows = [int(np.flatnonzero((every["b"] == x).all(axis=(1, 2, 3)))[0]) for x in epoch["b"]]
  assert sorted(rows) == list(range(128))
  np.testing.assert_array_equal(epoch["a"], every["a"][rows])


def test_flips_mirror_input_and_target_together():
  a = np.tile(np.arange(4, dtype=np.uint8)[None, None, :, None], (64, 4, 1, 1))
  source = paired.PairedSource(a, a * 2, None, batch_size=64, seed=0, flip=True)
  b = source.batch(0)
  flipped_a = b["a"][:, 0, 0, 0] > b["a"][:, 0, -1, 0]
  flipped_b = b["b"][:, 0, 0, 0] > b["b"][:, 0, -1, 0]
  np.testing.assert_array_equal(flipped_a, flipped_b)
  assert 0.3 < flipped_a.mean() < 0.7 and "y" not in b
  assert not np.array_equal(flipped_a, source.batch(1)["a"][:, 0, 0, 0] > 0)


def assert_mosaic(a, b, k):
  """Every k x k block of `a` is constant and equals the mean of `b`'s block."""
  for ai, bi, ki in zip(a, b, k):
    h, w, c = ai.shape
    blocks_a = ai.reshape(h // ki, ki, w // ki, ki, c)
    np.testing.assert_array_equal(blocks_a, np.broadcast_to(blocks_a[:, :1, :, :1], blocks_a.shape))
    means_b = bi.reshape(h // ki, ki, w // ki, ki, c).mean(axis=(1, 3))
    np.testing.assert_allclose(blocks_a[:, 0, :, 0], means_b, atol=0.5 / 127.5 + 1e-6)


def test_mosaic_blocks_are_the_clean_images_block_means():
  source = data.get_source(config(name="mosaic", limit=96))
  e = source.examples()
  assert e["a"].shape == (96, 32, 32, 1) and source.num_classes == 10
  assert set(source.block_sizes) == {2, 4, 8}
  assert_mosaic(e["a"], e["b"], source.block_sizes)
  assert not np.array_equal(e["a"], e["b"])


def test_mosaic_on_photographs_is_rgb_with_crops_from_disjoint_regions(monkeypatch):
  source = data.get_source(config(name="mosaic", path="photos", image_size=32, limit=40),
                           "test")
  e = source.examples()
  assert e["a"].shape == (40, 32, 32, 3) and "y" not in e and source.num_classes == 0
  assert_mosaic(e["a"], e["b"], source.block_sizes)
  assert np.abs(e["b"][..., 0] - e["b"][..., 2]).mean() > 0.05  # colour, not gray
  # a photograph whose pixels hold their column: train crops left of the test region
  column = np.tile(np.arange(400, dtype=np.uint16)[None, :], (200, 1))
  monkeypatch.setattr(photos, "photo", lambda name: column)
  train, test = photos.crops("train", 32, 500), photos.crops("test", 32, 100)
  assert photos.regions(400, 32) == {"train": (0, 300), "test": (300, 400)}
  assert train.min() == 0 and train.max() < 300 <= test.min() and test.max() == 399


def test_mosaic_on_a_folder(tmp_path):
  write_images(tmp_path / "pics", range(10), size=24)
  c = config(name="mosaic", path=str(tmp_path / "pics"), image_size=16, batch_size=4)
  train, test = data.get_source(c), data.get_source(c, "test")
  assert train.size == 9 and test.size == 1 and train.shape == (16, 16, 3)
  e = train.examples()
  assert_mosaic(e["a"], e["b"], train.block_sizes)
  assert_mosaic(*[test.examples()[k] for k in "ab"], test.block_sizes)
  with pytest.raises(ValueError, match="image_size=20 is not a multiple of 8"):
    data.get_source(config(name="mosaic", path=str(tmp_path / "pics"), image_size=20))
  with pytest.raises(FileNotFoundError, match="data.path='photo' for data.name=mosaic is not"):
    data.get_source(config(name="mosaic", path="photo"))


def test_fonts_split_by_character_and_pairs_show_one_character():
  c = config(name="fonts", limit=200, image_size=32)
  train, test = data.get_source(c), data.get_source(c, "test")
  assert (train.size, test.size, train.num_classes) == (180, 20, 200)
  assert train.shape == test.input_shape == (32, 32, 1)
  train_y, test_y = train.examples()["y"], test.examples()["y"]
  assert not set(train_y) & set(test_y) and len(set(train_y) | set(test_y)) == 200
  assert data.get_source(c, "all").size == 200
  assert test.characters == fonts.gb2312_level1()[:200]
  e = test.examples(5, seed=3)
  for a, b, y in zip(e["a"], e["b"], e["y"]):
    char = test.characters[y]
    for image, style in ((a, "kai"), (b, "ming")):
      # Rendered at 64 px and resized to 32, as the glyph classifiers see them.
      font = ImageFont.truetype(fonts.font_path(style), round(fonts.FONT_SCALE * fonts.SIZE),
                                index=0)
      glyph = fonts.render(font, char, fonts.SIZE)[None, ..., None]
      np.testing.assert_array_equal(image, images.to_float(images.fit_all(glyph, 32, 0))[0])
      assert 0.03 < (image > 0).mean() < 0.6  # ink, not blank
    assert np.abs(a - b).mean() > 0.05  # two different styles
  # the test characters do not depend on the run's seed
  np.testing.assert_array_equal(
      data.get_source(config(seed=5, name="fonts", limit=200, image_size=32), "test")
      .examples()["y"], test_y)


def test_missing_fonts_say_what_to_install(monkeypatch, tmp_path):
  monkeypatch.setattr(fonts, "FONT_DIR", str(tmp_path))
  with pytest.raises(FileNotFoundError,
                     match="apt-get install fonts-arphic-ukai fonts-arphic-uming"):
    data.get_source(config(name="fonts", limit=10))


def write_images(folder, values, size=16, width=None, right=None):
  """One PNG per value: a gray image of that value (left half; `right` value on the right
  half when given), named by the value."""
  os.makedirs(folder, exist_ok=True)
  for v in values:
    image = np.full((size, width or size), v, np.uint8)
    if right is not None:
      image[:, (width or size) // 2:] = right(v)
    Image.fromarray(image).save(folder / f"{v:03d}.png")


def test_folder_pairs_match_by_name_and_report_the_unmatched(tmp_path, capsys):
  write_images(tmp_path / "A", range(0, 100, 10))
  write_images(tmp_path / "B", [v + 5 for v in range(0, 90, 10)])  # different names...
  for v in range(0, 90, 10):  # ...and the matching ones
    os.rename(tmp_path / "B" / f"{v + 5:03d}.png", tmp_path / "B" / f"{v:03d}.png")
  write_images(tmp_path / "B", [250])
  c = config(name="folder_pairs", path_a=str(tmp_path / "A"), path_b=str(tmp_path / "B"),
             batch_size=2, image_size=16, channels=1)
  train = data.get_source(c)
  out = capsys.readouterr().out
  assert out.count("1 of 10 images in") == 2 and "'250'" in out and "'090'" in out
  test = data.get_source(c, "test")
  assert (train.size, test.size, train.shape) == (8, 1, (16, 16, 1))
  e = train.examples()
  np.testing.assert_allclose((e["a"][:, 0, 0, 0] + 1) * 127.5, np.arange(0, 80, 10), atol=1e-4)
  np.testing.assert_allclose((e["b"][:, 0, 0, 0] + 1) * 127.5, np.arange(5, 85, 10), atol=1e-4)
  assert (test.examples()["a"][0, 0, 0, 0] + 1) * 127.5 == pytest.approx(80, abs=1e-4)
  write_images(tmp_path / "C", [1, 2])
  with pytest.raises(ValueError, match="no image in .* has a file of the same name"):
    data.get_source(config(name="folder_pairs", path_a=str(tmp_path / "A"),
                           path_b=str(tmp_path / "C")))


def test_folder_pairs_ab_layout_splits_side_by_side_images(tmp_path):
  for split, values in (("train", range(0, 60, 10)), ("val", [200, 210])):
    write_images(tmp_path / split, values, size=8, width=16, right=lambda v: v + 1)
  c = config(name="folder_pairs", path=str(tmp_path), batch_size=2, image_size=8, channels=1)
  train, test = data.get_source(c), data.get_source(c, "test")
  assert train.size == 6 and test.size == 2
  e = test.examples()
  np.testing.assert_allclose((e["a"][..., 0] + 1) * 127.5, np.full((2, 8, 8), [[[200]], [[210]]]),
                             atol=1e-4)
  np.testing.assert_allclose((e["b"][..., 0] + 1) * 127.5, np.full((2, 8, 8), [[[201]], [[211]]]),
                             atol=1e-4)
  with pytest.raises(ValueError, match=r"pix2pix A\|B layout"):
    data.get_source(config(name="folder_pairs", path=str(tmp_path / "train")))
  with pytest.raises(ValueError, match="needs data.path_a and data.path_b"):
    data.get_source(config(name="folder_pairs"))
  with pytest.raises(FileNotFoundError, match="data.path_b='/nope' is not a folder"):
    data.get_source(config(name="folder_pairs", path_a=str(tmp_path), path_b="/nope"))


def test_second_build_reads_the_cache_and_a_changed_parameter_rebuilds(monkeypatch, cache_dir):
  c = config(name="edges2fashion", limit=64)
  first = data.get_source(c).examples()
  assert len(os.listdir(cache_dir / "data")) == 1

  def no_build(*args, **kwargs):
    raise AssertionError("rebuilt although the cache holds this data set")
  monkeypatch.setattr(fashion, "edge_maps", no_build)
  np.testing.assert_array_equal(data.get_source(c).examples()["a"], first["a"])
  with pytest.raises(AssertionError, match="rebuilt"):  # another size: another data set
    data.get_source(config(name="edges2fashion", limit=64, image_size=64))
  with pytest.raises(AssertionError, match="rebuilt"):  # another limit: another data set
    data.get_source(config(name="edges2fashion", limit=65))
  monkeypatch.setattr(fashion, "EDGES_VERSION", fashion.EDGES_VERSION + 1)
  with pytest.raises(AssertionError, match="rebuilt"):  # a changed builder
    data.get_source(c)
  assert not [f for f in os.listdir(cache_dir / "data") if ".tmp" in f]


def test_fonts_cache_is_reused(monkeypatch):
  c = config(name="fonts", limit=30, image_size=16)
  y = data.get_source(c, "test").examples()["y"]

  def no_render(*args):
    raise AssertionError("rendered although the cache holds the glyphs")
  monkeypatch.setattr(fonts, "render", no_render)
  np.testing.assert_array_equal(data.get_source(c, "test").examples()["y"], y)
  with pytest.raises(AssertionError, match="rendered"):
    data.get_source(config(name="fonts", limit=31, image_size=16))


def test_cache_writes_atomically(tmp_path):
  path = str(tmp_path / "x" / "a.npz")
  cache.save_npz(path, {"v": np.arange(3)})
  assert os.listdir(tmp_path / "x") == ["a.npz"]
  np.testing.assert_array_equal(cache.load_npz(path)["v"], np.arange(3))


def test_image_source_examples_match_arrays():
  source = data.get_source(config(name="fashion_mnist", batch_size=8), "test")
  x, y = source.arrays(10, seed=2)
  e = source.examples(10, seed=2)
  np.testing.assert_array_equal(e["x"], x)
  np.testing.assert_array_equal(e["y"], y)


def test_unknown_split_is_an_error():
  with pytest.raises(ValueError, match="data.name=edges2fashion has splits train, test, not 'val'"):
    data.get_source(config(name="edges2fashion"), "val")


def test_a_split_smaller_than_a_batch_serves_examples_but_no_batches():
  source = paired.PairedSource(np.zeros((3, 4, 4, 1), np.uint8), np.ones((3, 4, 4, 1), np.uint8),
                               None, batch_size=8, seed=0, name="tiny:test")
  assert source.examples()["a"].shape == (3, 4, 4, 1)
  with pytest.raises(ValueError, match="tiny:test has 3 examples, fewer than data.batch_size=8"):
    source.batch(0)
