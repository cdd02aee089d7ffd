import os

import numpy as np
import pytest
from PIL import Image

from gan_jax import config as config_lib, data
from gan_jax.data import datasets, folder, images


def image_config(**data_overrides):
  c = config_lib.base()
  c.data.update({"name": "fashion_mnist", "batch_size": 64, **data_overrides})
  return c


def test_fashion_mnist_offline_batches():
  source = data.get_source(image_config())
  assert source.shape == (28, 28, 1) and source.size == 60_000 and source.num_classes == 10
  b = source.batch(0)
  assert b["x"].shape == (64, 28, 28, 1) and b["x"].dtype == np.float32
  assert b["x"].min() == -1.0 and b["x"].max() == 1.0 and b["y"].shape == (64,)
  assert np.array_equal(b["x"], source.batch(0)["x"])  # random access: a pure function
  test = data.get_source(image_config(), split="test")
  assert test.size == 10_000


def test_one_epoch_visits_every_example_once_in_a_seeded_order():
  x = np.arange(10, dtype=np.uint8).reshape(10, 1, 1, 1)
  source = images.ImageSource(x, np.arange(10), batch_size=3, seed=0)
  assert source.batches_per_epoch == 3  # the remainder of an epoch is dropped
  epoch0 = np.concatenate([source.batch(i)["y"] for i in range(3)])
  epoch1 = np.concatenate([source.batch(i)["y"] for i in range(3, 6)])
  assert len(set(epoch0)) == 9 and len(set(epoch1)) == 9
  assert not np.array_equal(epoch0, epoch1)
  other = images.ImageSource(x, np.arange(10), batch_size=3, seed=1)
  assert not np.array_equal(epoch0, np.concatenate([other.batch(i)["y"] for i in range(3)]))
  # pixel values follow labels: the batch's images are the labelled examples
  b = source.batch(4)
  np.testing.assert_allclose(b["x"][:, 0, 0, 0], b["y"] / 127.5 - 1)


def test_random_flip_mirrors_about_half_of_the_images():
  x = np.tile(np.arange(4, dtype=np.uint8)[None, None, :, None], (256, 4, 1, 1))
  source = images.ImageSource(x, None, batch_size=256, seed=0, flip=True)
  row = source.batch(0)["x"][:, 0, :, 0]
  flipped = row[:, 0] > row[:, -1]
  assert 0.4 < flipped.mean() < 0.6
  np.testing.assert_array_equal(row[flipped], row[~flipped][:1, ::-1].repeat(flipped.sum(), 0))


def test_resize_and_channels():
  source = data.get_source(image_config(image_size=32, channels=3))
  b = source.batch(0)["x"]
  assert b.shape == (64, 32, 32, 3)
  np.testing.assert_array_equal(b[..., 0], b[..., 2])  # gray replicated to RGB


def write_folder(root):
  os.makedirs(root / "a" / "b")
  rng = np.random.default_rng(0)
  Image.fromarray(rng.integers(0, 255, (80, 60, 3), np.uint8)).save(root / "one.png")
  Image.fromarray(rng.integers(0, 255, (64, 64), np.uint8)).save(root / "a" / "gray.png")
  Image.fromarray(rng.integers(0, 255, (100, 100, 4), np.uint8)).save(root / "a" / "b" / "rgba.png")
  Image.fromarray(rng.integers(0, 255, (32, 32, 3), np.uint8)).save(root / "a" / "b" / "c.jpg")
  (root / "a" / "broken.png").write_bytes(b"not an image")
  (root / "notes.txt").write_text("ignored")


def test_folder_reads_nested_mixed_images_and_skips_unreadable(tmp_path, capsys):
  write_folder(tmp_path)
  x, skipped = folder.load(str(tmp_path), size=16, channels=3, progress=False)
  assert x.shape == (4, 16, 16, 3) and x.dtype == np.uint8 and skipped == 1
  out = capsys.readouterr().out
  assert "Skipped 1 unreadable" in out and "mixes 4 image shapes" in out
  c = image_config(name="folder", path=str(tmp_path), image_size=16, batch_size=2)
  assert data.get_source(c).batch(0)["x"].shape == (2, 16, 16, 3)


def test_folder_errors(tmp_path):
  with pytest.raises(FileNotFoundError, match="is not a folder"):
    folder.list_images(str(tmp_path / "missing"))
  with pytest.raises(ValueError, match="holds no images"):
    folder.list_images(str(tmp_path))
  with pytest.raises(ValueError, match="needs data.path"):
    folder.list_images("")


def test_fashion_mnist_missing_and_offline_names_the_package(tmp_path, monkeypatch):
  monkeypatch.setenv("GAN_JAX_FASHION_MNIST_DIR", str(tmp_path))
  import tensorflow_datasets as tfds

  def no_network(*args, **kwargs):
    raise ConnectionError("no network")
  monkeypatch.setattr(tfds, "data_source", no_network)
  with pytest.raises(datasets.DataUnavailableError,
                     match="apt-get install dataset-fashion-mnist"):
    data.get_source(image_config())


def test_unknown_name_lists_the_available_ones():
  with pytest.raises(ValueError, match=r"Unknown data set 'fashion_mnits'.*ring8.*folder.*"
                     r"Closest tensorflow-datasets names: fashion_mnist"):
    data.get_source(image_config(name="fashion_mnits"))


def test_batch_larger_than_the_data_is_an_error():
  with pytest.raises(ValueError, match="fewer than data.batch_size=8"):
    images.ImageSource(np.zeros((5, 2, 2, 1), np.uint8), None, 8, 0)
